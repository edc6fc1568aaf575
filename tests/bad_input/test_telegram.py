"""Hostile Telegram webhook bodies and texts against the real Rasa server and a fake Bot API."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.telegram import MAX_UPDATE_BYTES, SECRET_HEADER
from tests.bad_input.conftest import Bystander, assert_polite, encode, hostile_texts, json_values
from tests.channels.conftest import SECRET, message_update
from tests.conftest import LiveStack

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
chat_ids = itertools.count(random.randrange(10**9, 2 * 10**9))  # a new chat per example and run


@pytest.fixture
def webhook(live_stack: LiveStack) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60, headers={SECRET_HEADER: SECRET}) as client:
        client.base_url = f"{live_stack.rasa_url}/webhooks/telegram"
        yield client


def replies_to(stack: LiveStack, chat_id: int, timeout: float = 120) -> list[str]:
    """The texts sent to a chat, waiting for the first one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = [call.params["text"] for call in stack.bot_api.calls_to("sendMessage")
                if call.params["chat_id"] == chat_id]
        if sent:
            return sent
        time.sleep(0.05)
    return []


def test_hostile_texts_get_polite_replies(
    webhook: httpx.Client, live_stack: LiveStack, bystander: Bystander
) -> None:
    @EXAMPLES
    @given(text=hostile_texts)
    def one(text: str) -> None:
        chat_id = next(chat_ids)
        update = message_update(text, chat_id=chat_id)
        answer = webhook.post("/webhook", content=encode(update))
        if len(encode(update)) > MAX_UPDATE_BYTES:
            assert answer.status_code == 413
            return
        assert answer.status_code == 200, answer.text
        assert_polite(replies_to(live_stack, chat_id))

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_malformed_updates_get_a_400_and_odd_ones_are_ignored(
    webhook: httpx.Client, live_stack: LiveStack, bystander: Bystander
) -> None:
    odd_messages = st.builds(
        lambda extra, chat_type: message_update(None, chat_id=next(chat_ids), chat_type=chat_type, **extra),
        st.dictionaries(st.sampled_from(["sticker", "photo", "caption", "entities", "reply_to_message", "via_bot"]),
                        json_values, max_size=2),
        st.sampled_from(["private", "group", "supergroup", "channel"]),
    )

    @EXAMPLES
    @given(body=st.one_of(st.binary(max_size=200), json_values.map(encode), odd_messages.map(encode)))
    def one(body: bytes) -> None:
        answer = webhook.post("/webhook", content=body)
        assert answer.status_code in (200, 400), (answer.status_code, answer.text)
        if answer.status_code == 400:
            assert isinstance(answer.json()["error"], str)

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_a_very_long_chat_id_and_odd_sender_fields_are_served(
    webhook: httpx.Client, live_stack: LiveStack
) -> None:
    chat_id = 2**62 + next(chat_ids)
    update: dict[str, Any] = message_update("안녕하세요", chat_id=chat_id)
    update["message"]["from"].update(first_name="<script>alert(1)</script>" * 10, username="x" * 300)
    assert webhook.post("/webhook", content=encode(update)).status_code == 200
    assert_polite(replies_to(live_stack, chat_id))
