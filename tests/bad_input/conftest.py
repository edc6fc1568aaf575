"""Real servers for the hostile-input tests, hostile values as hypothesis strategies, and a bystander conversation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st

from bot.server.rasa_api import api_url
from channels.incoming import EMPTY_REPLY, ERROR_REPLY, NOT_TEXT_REPLY, RATE_LIMITED_REPLY, TOO_LONG_REPLY
from channels.telegram import HELP_REPLY
from tests.conftest import LiveStack

NAMED_ATTACKS = [
    "", " ", "\t\n \u3000", "\x00", "\x00\x01\x1b[31m", "\ufeff\u200b\u200e", "\u202e나쁜말\u202c",
    "<img src=x onerror=alert(1)>", "<script>alert(document.cookie)</script>", "javascript:alert(1)",
    "'; DROP TABLE events; --", "1' OR '1'='1", "\" OR 1=1 --", "${jndi:ldap://x}", "{{7*7}}", "%s%n%x",
    "/restart", "/greet", '/inform{"industry": "<b>제조업</b>"}', "/ask_program_detail{\"program_id\": 5}", "/",
    "😀🚀👩‍👩‍👧‍👦🇰🇷", "긴급경영안정자금 loan 贷款 ссуда قرض ローン", "가\u0301각\u11a8", "Ａ１２３４",
    "\ud800", "a\udfffb", "가" * 2001, "가" * 100_000, "a" * 100_000, "\n" * 5000 + "안녕",
]
"""Hand-picked hostile texts: empty, whitespace, control and bidi characters, injections, commands, emoji, mixed
scripts, lone surrogates, overlong."""

POLITE_REPLIES = {EMPTY_REPLY, TOO_LONG_REPLY, NOT_TEXT_REPLY, RATE_LIMITED_REPLY, HELP_REPLY}
LEAKS = ("Traceback", "Exception", "Error", "error", "None", "null", "undefined", "{", "utter_", "action_")
"""Text that must never reach a user: internals, stack traces, unfilled templates."""

any_char = st.characters(exclude_categories=())  # every code point, lone surrogates included
hostile_texts = st.one_of(
    st.sampled_from(NAMED_ATTACKS),
    st.text(any_char, max_size=300),
    st.text(st.sampled_from("가나다 긴급자금<>&'\";-/*{}\x00\x7f\u200b\n"), max_size=80),
    st.builds(lambda a, b: a + b, st.sampled_from(NAMED_ATTACKS), st.text(any_char, max_size=20)),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(any_char, max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def encode(value: Any) -> bytes:
    """JSON bytes (non-ASCII escaped, so lone surrogates travel as `\\udXXX` escapes)."""
    return json.dumps(value).encode()


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def assert_polite(texts: list[str]) -> None:
    """At least one reply; every reply is non-empty Korean-facing text without internals."""
    assert texts, "no reply at all"
    for text in texts:
        assert isinstance(text, str) and text.strip(), texts
        assert not any(leak in text for leak in LEAKS) or text in POLITE_REPLIES, text
        assert text != ERROR_REPLY, "the bot failed on this input"


class Bystander:
    """An ordinary REST conversation that must not notice the attacks happening at the same time."""

    OPENING = ["안녕하세요", "서울에서 식품 제조업을 2년째 하고 있어요. 운전자금이 필요해요"]

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.sender = fresh_id("bystander")
        self.tracker_before: dict[str, Any] = {}

    def say(self, text: str) -> list[dict[str, Any]]:
        answer = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                            timeout=120)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def tracker(self) -> dict[str, Any]:
        return httpx.get(api_url(self.rasa_url, f"/conversations/{self.sender}/tracker"), timeout=60).json()

    def start(self) -> None:
        for text in self.OPENING:
            assert_polite([message.get("text", "") for message in self.say(text)])
        self.tracker_before = self.tracker()
        assert self.tracker_before["slots"]["industry"] and self.tracker_before["slots"]["region"]

    def assert_unaffected(self) -> None:
        """Nothing was added to the conversation meanwhile, and it carries on with what it knew."""
        after = self.tracker()
        assert after["events"] == self.tracker_before["events"]
        replies = self.say("대표자는 35세입니다")
        assert_polite([message.get("text", "") for message in replies])
        slots = self.tracker()["slots"]
        for slot in ("industry", "region"):
            assert slots[slot] == self.tracker_before["slots"][slot]


@pytest.fixture
def bystander(live_stack: LiveStack) -> Bystander:
    """A conversation started before the test; the test checks `assert_unaffected()` at its end."""
    person = Bystander(live_stack.rasa_url)
    person.start()
    return person
