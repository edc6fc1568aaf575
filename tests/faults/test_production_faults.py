"""Faults of the production profile (PostgreSQL, Redis, action server, Rasa server) with real servers on loopback."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.server.rasa_server import APOLOGY, HANDOFF_BUTTON
from channels.incoming import ERROR_REPLY
from channels.telegram import SECRET_HEADER
from tests.channels.conftest import SECRET, WidgetClient, message_update
from tests.faults.conftest import (
    PROFILE_MESSAGE,
    REPLY_TIMEOUT,
    FaultStack,
    new_sender,
    profile,
    rest_post,
    rest_say,
    tracker,
    user_texts,
    wait_until,
    widget_say,
)

pytestmark = pytest.mark.timeout(900)
PROGRAM_QUESTION = "긴급경영안정자금 알려주세요"
_chat_ids = itertools.count(random.randrange(10**9, 2 * 10**9))  # fresh Telegram chats on every run


def texts(messages: list[dict]) -> list[str]:
    return [message.get("text") or "" for message in messages]


def test_action_server_down_apologises_offers_the_handoff_and_recovers(fault_stack: FaultStack) -> None:
    sender = new_sender("action-down")
    assert fault_stack.action_server is not None
    fault_stack.action_server.stop()
    try:
        messages = rest_say(fault_stack.rasa_url, sender, PROGRAM_QUESTION)
        assert texts(messages) == [APOLOGY]  # one apology, even though several custom actions failed
        assert "1811-3655" in APOLOGY
        assert messages[0]["buttons"] == [HANDOFF_BUTTON]
        assert fault_stack.rasa_alive()
    finally:
        fault_stack.start_action_server()
    answer = rest_say(fault_stack.rasa_url, sender, PROGRAM_QUESTION)
    assert answer and APOLOGY not in texts(answer)
    assert any("긴급경영안정자금" in text for text in texts(answer)), answer
    assert user_texts(fault_stack.rasa_url, sender) == [PROGRAM_QUESTION, PROGRAM_QUESTION]


def test_action_server_down_during_the_intake_form_asks_the_question_again(fault_stack: FaultStack) -> None:
    sender = new_sender("form-down")
    question = texts(rest_say(fault_stack.rasa_url, sender, "맞춤 지원사업 추천해 주세요"))[-1]
    assert "몇 년" in question  # the intake form asks for the business age
    assert fault_stack.action_server is not None
    fault_stack.action_server.stop()
    try:
        assert texts(rest_say(fault_stack.rasa_url, sender, "3년")) == [APOLOGY, question]  # validation failed
    finally:
        fault_stack.start_action_server()
    assert APOLOGY not in texts(rest_say(fault_stack.rasa_url, sender, "3년"))
    assert profile(fault_stack.rasa_url, sender)["business_age"]


def test_postgres_restart_mid_conversation_loses_no_event(fault_stack: FaultStack) -> None:
    sender = new_sender("pg-restart")
    rest_say(fault_stack.rasa_url, sender, PROFILE_MESSAGE)
    before = tracker(fault_stack.rasa_url, sender)
    known = profile(fault_stack.rasa_url, sender)
    assert known

    fault_stack.postgres.stop()
    with ThreadPoolExecutor(1) as pool:
        sent_while_down = pool.submit(rest_post, fault_stack.rasa_url, sender, PROGRAM_QUESTION)
        try:
            asyncio.run(wait_until(lambda: f"Tracker database unreachable while reading conversation {sender}"
                                   in fault_stack.rasa_log(), what="the tracker store to retry"))
        finally:
            fault_stack.postgres.start()
        reply = sent_while_down.result(REPLY_TIMEOUT)
    assert reply.status_code == 200, reply.text
    assert reply.json() and APOLOGY not in texts(reply.json())

    after = tracker(fault_stack.rasa_url, sender)
    assert after["events"][: len(before["events"])] == before["events"]  # nothing lost or rewritten
    assert user_texts(fault_stack.rasa_url, sender) == [PROFILE_MESSAGE, PROGRAM_QUESTION]
    assert profile(fault_stack.rasa_url, sender) == known
    assert "Tracker database reachable again" in fault_stack.rasa_log()
    assert rest_say(fault_stack.rasa_url, sender, "고마워요")  # and the next turn works as usual


def test_postgres_down_longer_than_the_retries_gives_an_error_not_a_new_conversation(
    fault_stack: FaultStack,
) -> None:
    sender = new_sender("pg-down")
    rest_say(fault_stack.rasa_url, sender, PROFILE_MESSAGE)
    before = tracker(fault_stack.rasa_url, sender)
    known = profile(fault_stack.rasa_url, sender)
    fault_stack.postgres.stop()
    try:
        refused = rest_post(fault_stack.rasa_url, sender, PROGRAM_QUESTION)
        assert refused.status_code == 500  # not an answer from an empty conversation kept in memory
        assert "giving up after" in fault_stack.rasa_log()
    finally:
        fault_stack.postgres.start()
    assert tracker(fault_stack.rasa_url, sender)["events"] == before["events"]
    assert rest_say(fault_stack.rasa_url, sender, PROGRAM_QUESTION)
    assert user_texts(fault_stack.rasa_url, sender) == [PROFILE_MESSAGE, PROGRAM_QUESTION]
    assert profile(fault_stack.rasa_url, sender) == known


async def test_redis_down_gives_a_clear_error_and_keeps_the_conversation(fault_stack: FaultStack) -> None:
    sender = new_sender("redis-down")
    rest_say(fault_stack.rasa_url, sender, PROFILE_MESSAGE)
    before = tracker(fault_stack.rasa_url, sender)
    known = profile(fault_stack.rasa_url, sender)
    widget = WidgetClient()
    await widget.connect(fault_stack.rasa_url)
    try:
        session_id = await widget.session(uuid.uuid4().hex)
        fault_stack.redis.stop()
        try:
            refused = rest_post(fault_stack.rasa_url, sender, PROGRAM_QUESTION)
            assert refused.status_code == 500
            assert "error" in refused.json()
            assert texts(await widget_say(widget, PROGRAM_QUESTION, session_id)) == [ERROR_REPLY]
            assert tracker(fault_stack.rasa_url, sender)["events"] == before["events"]  # untouched, not half a turn
            assert fault_stack.rasa_alive()
        finally:
            fault_stack.redis.start()
        assert APOLOGY not in texts(await widget_say(widget, PROGRAM_QUESTION, session_id))
    finally:
        await widget.close()
    assert rest_say(fault_stack.rasa_url, sender, PROGRAM_QUESTION)
    after = tracker(fault_stack.rasa_url, sender)
    assert after["events"][: len(before["events"])] == before["events"]
    assert user_texts(fault_stack.rasa_url, sender) == [PROFILE_MESSAGE, PROGRAM_QUESTION]
    assert profile(fault_stack.rasa_url, sender) == known


async def telegram_say(stack: FaultStack, chat_id: int, text: str) -> list[str]:
    """One Telegram message to the webhook; the texts the bot sent back to that chat."""
    def sent() -> list[str]:
        return [call.params["text"] for call in stack.bot_api.calls_to("sendMessage")
                if str(call.params["chat_id"]) == str(chat_id)]

    before = len(sent())
    async with httpx.AsyncClient(timeout=30) as http:
        reply = await http.post(f"{stack.rasa_url}/webhooks/telegram/webhook",
                                content=json.dumps(message_update(text, chat_id=chat_id)),
                                headers={SECRET_HEADER: SECRET})
    assert reply.status_code == 200
    await wait_until(lambda: len(sent()) > before, what="the Telegram reply")
    await wait_until(lambda: sender_idle(stack, str(chat_id)), what="the Telegram turn to end")
    return sent()[before:]


def sender_idle(stack: FaultStack, sender: str) -> bool:
    """True when the stored conversation ends by listening for the user (the turn is over)."""
    events = tracker(stack.rasa_url, sender)["events"]
    return bool(events) and events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"


async def test_rasa_killed_and_restarted_widget_and_telegram_continue_from_the_stored_tracker(
    fault_stack: FaultStack,
) -> None:
    session_id, chat_id = uuid.uuid4().hex, next(_chat_ids)
    widget = WidgetClient()
    await widget.connect(fault_stack.rasa_url)
    try:
        assert await widget.session(session_id) == session_id
        assert await widget_say(widget, PROFILE_MESSAGE, session_id)
    finally:
        await widget.close()
    assert await telegram_say(fault_stack, chat_id, PROFILE_MESSAGE)
    widget_profile = profile(fault_stack.rasa_url, session_id)
    telegram_profile = profile(fault_stack.rasa_url, str(chat_id))
    assert widget_profile and telegram_profile

    fault_stack.kill_rasa()
    fault_stack.start_rasa()

    widget = WidgetClient()  # the widget reconnects with the session id it keeps in localStorage
    await widget.connect(fault_stack.rasa_url)
    try:
        assert await widget.session(session_id) == session_id
        assert await widget_say(widget, PROGRAM_QUESTION, session_id)
    finally:
        await widget.close()
    assert await telegram_say(fault_stack, chat_id, PROGRAM_QUESTION)
    for sender, known in ((session_id, widget_profile), (str(chat_id), telegram_profile)):
        assert user_texts(fault_stack.rasa_url, sender) == [PROFILE_MESSAGE, PROGRAM_QUESTION]
        assert profile(fault_stack.rasa_url, sender) == known
