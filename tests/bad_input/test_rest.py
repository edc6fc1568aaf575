"""Hostile REST requests against the real Rasa server: every answer is a 4xx with a JSON error or a polite reply."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.incoming import RATE_LIMITED_REPLY
from channels.limits import DEFAULT_PER_SENDER
from channels.rest import MAX_BODY_BYTES, MAX_SENDER_CHARS
from tests.bad_input.conftest import (
    Bystander,
    any_char,
    assert_polite,
    encode,
    fresh_id,
    hostile_texts,
    json_values,
)
from tests.conftest import LiveStack

FLOOD = 3 * DEFAULT_PER_SENDER
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
THROUGH_THE_BOT = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b"[]", b"null", b'"x"', b"{'sender': 'a'}", b'{"sender": "a", "message": "\xff\xfe"}',
                     b'{"sender": "a", "message": "a"', b"\xef\xbb\xbf{}", b'{"sender": "a"} trailing']),
    json_values.map(encode),
)
wrong_shapes = st.fixed_dictionaries(
    {}, optional={"sender": json_values, "message": json_values, "metadata": json_values}
).map(encode)
bad_senders = st.one_of(
    st.none(), st.integers(), st.lists(st.text(max_size=3), max_size=2), st.sampled_from(["", " ", "\t\n"]),
    st.text(min_size=MAX_SENDER_CHARS + 1, max_size=10_000),
)


@pytest.fixture
def rest(live_stack: LiveStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{live_stack.rasa_url}/webhooks/rest", timeout=120) as client:
        yield client


def assert_refused(answer: httpx.Response) -> None:
    """A client error with a JSON `error` message."""
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    assert isinstance(answer.json()["error"], str)


def assert_answered(answer: httpx.Response, sender: str) -> None:
    """200 with polite replies addressed to the sender."""
    assert answer.status_code == 200, (answer.status_code, answer.text)
    messages: list[dict[str, Any]] = answer.json()
    assert all(message["recipient_id"] == sender for message in messages), messages
    assert_polite([message.get("text", "") for message in messages])


def test_malformed_bodies_and_wrong_types_get_a_4xx(
    rest: httpx.Client, live_stack: LiveStack, bystander: Bystander
) -> None:
    @FUZZ
    @given(body=st.one_of(raw_bodies, wrong_shapes))
    def one(body: bytes) -> None:
        answer = rest.post("/webhook", content=body, headers={"Content-Type": "application/json"})
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        well_formed = (isinstance(payload, dict) and isinstance(payload.get("sender"), str)
                       and payload["sender"].strip() and isinstance(payload.get("message"), str)
                       and isinstance(payload.get("metadata") or {}, dict))
        if not well_formed:
            assert_refused(answer)
        elif answer.status_code == 200:  # a valid request after all
            assert_answered(answer, payload["sender"])
        else:
            assert_refused(answer)

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_missing_empty_or_huge_senders_get_a_400(
    rest: httpx.Client, live_stack: LiveStack, bystander: Bystander
) -> None:
    @FUZZ
    @given(sender=bad_senders, send_sender=st.booleans())
    def one(sender: Any, send_sender: bool) -> None:
        body = {"sender": sender, "message": "안녕하세요"} if send_sender else {"message": "안녕하세요"}
        answer = rest.post("/webhook", content=encode(body))
        assert answer.status_code == 400
        assert "sender" in answer.json()["error"]

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_hostile_texts_get_a_polite_reply_or_a_413(
    rest: httpx.Client, live_stack: LiveStack, bystander: Bystander
) -> None:
    @THROUGH_THE_BOT
    @given(text=hostile_texts, metadata=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), json_values)))
    @example(text="안녕하세요", metadata={"\ud800": "\x00\udfff", "nested": [{"<script>": None}]})
    def one(text: str, metadata: dict | None) -> None:
        sender = fresh_id("hostile")
        body = encode({"sender": sender, "message": text, **({"metadata": metadata} if metadata is not None else {})})
        answer = rest.post("/webhook", content=body)
        if len(body) > MAX_BODY_BYTES:
            assert answer.status_code == 413
        else:
            assert_answered(answer, sender)

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_senders_are_printable_identifiers_or_refused(
    rest: httpx.Client, live_stack: LiveStack, bystander: Bystander
) -> None:
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(sender=st.text(any_char, min_size=1, max_size=MAX_SENDER_CHARS))
    @example(sender="a\ud800b")  # once killed the Rasa server (its SQL tracker store exits on the encoding error)
    @example(sender="\x00\x1b[2J")  # PostgreSQL refuses NUL in text
    @example(sender="<script>alert(1)</script>")
    @example(sender="'; DROP TABLE events; --")
    @example(sender="../../etc/passwd")
    @example(sender="x" * MAX_SENDER_CHARS)
    def one(sender: str) -> None:
        answer = rest.post("/webhook", content=encode({"sender": sender, "message": "안녕하세요"}))
        if sender.isprintable() and sender.strip():
            assert_answered(answer, sender)
        else:
            assert answer.status_code == 400 and "sender" in answer.json()["error"]

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_a_flooding_sender_is_slowed_down_and_nobody_else_notices(
    live_stack: LiveStack, bystander: Bystander
) -> None:
    sender = fresh_id("flood")

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=f"{live_stack.rasa_url}/webhooks/rest", timeout=300) as client:
            return await asyncio.gather(*(client.post("/webhook", json={"sender": sender, "message": f"안녕 {n}"})
                                          for n in range(FLOOD)))

    answers = asyncio.run(flood())
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) >= FLOOD - 2 * DEFAULT_PER_SENDER  # a burst of DEFAULT_PER_SENDER, then a trickle
    assert all(answer.status_code == 200 for answer in answers if answer not in refused)
    assert all(answer.json() == {"error": RATE_LIMITED_REPLY} and int(answer.headers["Retry-After"]) >= 1
               for answer in refused)
    bystander.assert_unaffected()
    live_stack.assert_alive()
