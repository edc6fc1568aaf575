"""Hostile socket.io events against the real Rasa server: every event gets a polite reply and `bot_done`."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.incoming import NOT_TEXT_REPLY
from channels.socketio import MAX_PACKET_BYTES
from tests.bad_input.conftest import (
    Bystander,
    any_char,
    assert_polite,
    encode,
    hostile_texts,
    json_values,
)
from tests.channels.conftest import WidgetClient
from tests.conftest import LiveStack

REPLY_SECONDS = 120


def say_once(url: str, data: Any) -> list[dict[str, Any]]:
    """A fresh widget connection and session (each with its own rate limit) sends one event; the bot's messages."""

    async def conversation() -> list[dict[str, Any]]:
        client = WidgetClient()
        await client.connect(url, origin=None)
        try:
            await client.session()
            return await client.say(data, timeout=REPLY_SECONDS)
        finally:
            await client.close()

    return asyncio.run(conversation())


packable_texts = hostile_texts.filter(lambda text: len(encode(text)) < MAX_PACKET_BYTES // 2)
"""Texts whose packet fits (larger ones close the connection, see the last test)."""
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def test_hostile_texts_get_polite_replies(live_stack: LiveStack, bystander: Bystander) -> None:
    @EXAMPLES
    @given(text=packable_texts, session_id=st.one_of(st.none(), st.text(any_char, max_size=80), json_values))
    def one(text: str, session_id: Any) -> None:
        messages = say_once(live_stack.rasa_url, {"message": text, "session_id": session_id})
        assert_polite([message.get("text", "") for message in messages])

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


def test_events_of_the_wrong_shape_get_a_polite_reply(live_stack: LiveStack, bystander: Bystander) -> None:
    @EXAMPLES
    @given(data=st.one_of(json_values, st.fixed_dictionaries({}, optional={"message": json_values,
                                                                            "metadata": json_values})))
    @example(data={"message": "안녕하세요", "metadata": {"\ud800": ["\x00\udfff"]}})  # once killed the server
    def one(data: Any) -> None:
        messages = say_once(live_stack.rasa_url, data)
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, str):
            assert messages == [{"text": NOT_TEXT_REPLY}]
        else:
            assert_polite([reply.get("text", "") for reply in messages])

    one()
    bystander.assert_unaffected()
    live_stack.assert_alive()


async def test_a_packet_over_the_limit_drops_only_its_own_connection(
    live_stack: LiveStack, bystander: Bystander
) -> None:
    attacker, other = WidgetClient(), WidgetClient()
    try:
        for client in (attacker, other):
            await client.connect(live_stack.rasa_url, origin=None)
        session_id = await attacker.session()
        await attacker.sio.emit("user_uttered", {"message": "가" * 100_000, "session_id": session_id})
        await asyncio.sleep(2)
        assert not attacker.sio.connected
        messages = await other.say({"message": "안녕하세요", "session_id": await other.session()}, REPLY_SECONDS)
        assert_polite([message.get("text", "") for message in messages])
    finally:
        for client in (attacker, other):
            await client.close()
    bystander.assert_unaffected()
    live_stack.assert_alive()
