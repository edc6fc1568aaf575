"""Hostile socket.io events against the real Rasa server: every event gets a polite reply and `bot_done`."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.incoming import NOT_TEXT_REPLY
from channels.socketio import MAX_PACKET_BYTES
from tests.bad_input.conftest import (
    Bystander,
    HostileStack,
    any_char,
    assert_polite,
    encode,
    hostile_texts,
    json_values,
)

REPLY_SECONDS = 120


class Widget:
    """A socket.io client speaking the widget's protocol, synchronously."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for event in ("session_confirm", "bot_uttered", "bot_done", "session_error"):
            self.sio.on(event, lambda data=None, event=event: self.events.put((event, data)))
        self.sio.connect(url, transports=["polling"])
        self.session_id = self.new_session()

    def new_session(self) -> str:
        """Start a fresh conversation (each has its own rate limit)."""
        self.sio.emit("session_request", {"session_id": None})
        event, session_id = self.events.get(timeout=30)
        assert event == "session_confirm"
        return session_id

    def say(self, data: Any) -> list[dict[str, Any]]:
        """Emit one user_uttered event; the bot messages until bot_done."""
        self.sio.emit("user_uttered", data)
        messages = []
        while True:
            event, payload = self.events.get(timeout=REPLY_SECONDS)
            if event == "bot_done":
                return messages
            assert event == "bot_uttered", (event, payload)
            messages.append(payload)

    def close(self) -> None:
        self.sio.eio.disconnect(abort=True)


@pytest.fixture
def widget(hostile_stack: HostileStack) -> Iterator[Widget]:
    client = Widget(hostile_stack.rasa_url)
    yield client
    client.close()


packable_texts = hostile_texts.filter(lambda text: len(encode(text)) < MAX_PACKET_BYTES // 2)
"""Texts whose packet fits (larger ones close the connection, see the last test)."""
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def test_hostile_texts_get_polite_replies(widget: Widget, hostile_stack: HostileStack, bystander: Bystander) -> None:
    @EXAMPLES
    @given(text=packable_texts, session_id=st.one_of(st.none(), st.text(any_char, max_size=80), json_values))
    def one(text: str, session_id: Any) -> None:
        widget.new_session()
        messages = widget.say({"message": text, "session_id": session_id})
        assert_polite([message.get("text", "") for message in messages])

    one()
    bystander.assert_unaffected()
    hostile_stack.assert_alive()


def test_events_of_the_wrong_shape_get_a_polite_reply(
    widget: Widget, hostile_stack: HostileStack, bystander: Bystander
) -> None:
    @EXAMPLES
    @given(data=st.one_of(json_values, st.fixed_dictionaries({}, optional={"message": json_values,
                                                                            "metadata": json_values})))
    @example(data={"message": "안녕하세요", "metadata": {"\ud800": ["\x00\udfff"]}})  # once killed the server
    def one(data: Any) -> None:
        widget.new_session()
        messages = widget.say(data)
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, str):
            assert messages == [{"text": NOT_TEXT_REPLY}]
        else:
            assert_polite([reply.get("text", "") for reply in messages])

    one()
    bystander.assert_unaffected()
    hostile_stack.assert_alive()


def test_a_packet_over_the_limit_drops_only_its_own_connection(
    widget: Widget, hostile_stack: HostileStack, bystander: Bystander
) -> None:
    other = Widget(hostile_stack.rasa_url)
    try:
        widget.sio.emit("user_uttered", {"message": "가" * 100_000, "session_id": widget.session_id})
        widget.sio.sleep(2)
        assert not widget.sio.connected
        assert_polite([message.get("text", "") for message in other.say({"message": "안녕하세요"})])
    finally:
        other.close()
    bystander.assert_unaffected()
    hostile_stack.assert_alive()
