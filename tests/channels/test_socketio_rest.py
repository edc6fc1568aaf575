"""Socket.io and REST channels on an in-process Sanic app with a stand-in bot: protocol, origins, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from channels.incoming import EMPTY_REPLY, ERROR_REPLY, NOT_TEXT_REPLY, TOO_LONG_REPLY, prepare_text
from channels.rest import RestInput
from channels.socketio import SocketIOInput
from tests.channels.conftest import ALLOWED, WidgetClient, echo_bot, serve_channels, source_card


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list]]:
    received: list = []

    async def bot(message: Any) -> None:
        received.append(message)
        await echo_bot(message)

    channels = [SocketIOInput(origins={ALLOWED}), RestInput()]
    async with serve_channels(channels, bot) as base:
        yield base, received


@pytest.fixture
async def client() -> AsyncIterator[WidgetClient]:
    widget = WidgetClient()
    yield widget
    await widget.close()


async def test_session_reply_and_done(server, client: WidgetClient) -> None:
    base, received = server
    await client.connect(base)
    session_id = await client.session()
    assert len(session_id) == 32
    assert await client.say({"message": "  긴급경영안정자금 알려주세요 ", "session_id": session_id}) == [
        {"text": "에코: 긴급경영안정자금 알려주세요"}]
    assert (received[0].sender_id, received[0].input_channel) == (session_id, "socketio")
    await client.say({"message": "제 번호는 010-1234-5678 입니다", "session_id": session_id})
    assert received[1].text == "제 번호는 <전화번호> 입니다"  # masked before the bot sees it (channels.privacy)


async def test_buttons_arrive_as_quick_replies(server, client: WidgetClient) -> None:
    base, _ = server
    await client.connect(base)
    session_id = await client.session()
    [message] = await client.say({"message": "버튼", "session_id": session_id})
    assert message["text"] == "업종을 골라 주세요."
    assert [reply["title"] for reply in message["quick_replies"]] == ["제조업", "도매 및 소매업"]


async def test_a_link_button_arrives_as_a_web_url_quick_reply_without_payload(client: WidgetClient) -> None:
    card, link = source_card()

    async def bot(message: Any) -> None:
        await message.output_channel.send_response(message.sender_id, {**card, "buttons": list(card["buttons"])})

    async with serve_channels([SocketIOInput(origins={ALLOWED})], bot) as base:
        await client.connect(base)
        session_id = await client.session()
        [message] = await client.say({"message": "긴급경영안정자금 알려주세요", "session_id": session_id})
    assert message["text"] == card["text"] and "http" not in message["text"]
    assert message["quick_replies"][-1] == {"type": "web_url", "title": link["title"], "url": link["url"]}
    assert [reply["payload"] for reply in message["quick_replies"][:-1]] == [b["payload"] for b in card["buttons"][:-1]]


async def test_the_same_session_continues_on_a_new_connection(server) -> None:
    base, received = server
    first, second = WidgetClient(), WidgetClient()
    await first.connect(base)
    session_id = await first.session()
    await first.close()
    await second.connect(base)
    assert await second.session(session_id) == session_id
    await second.say({"message": "다시 왔어요", "session_id": session_id})
    await second.close()
    assert received[-1].sender_id == session_id


async def test_malformed_session_ids_get_a_fresh_session(server, client: WidgetClient) -> None:
    base, _ = server
    await client.connect(base)
    for bad in ("../../etc", "x" * 500, 12345, {"a": 1}, ""):
        fresh = await client.session(bad)
        assert fresh != bad and len(fresh) == 32


async def test_a_socket_speaks_only_for_its_own_session(server, client: WidgetClient) -> None:
    base, received = server
    await client.connect(base)
    own = await client.session()
    await client.say({"message": "안녕", "session_id": "someone-elses-session"})
    assert received[-1].sender_id == own


async def test_bad_events_get_polite_replies_not_crashes(server, client: WidgetClient) -> None:
    base, received = server
    await client.connect(base)
    await client.sio.emit("user_uttered", {"message": "세션 없이"})
    assert await client.next() == ("session_error", "send session_request first")
    session_id = await client.session()
    cases = [
        ({"message": "", "session_id": session_id}, EMPTY_REPLY),
        ({"message": " \u200b\n ", "session_id": session_id}, EMPTY_REPLY),
        ({"message": "가" * 2001, "session_id": session_id}, TOO_LONG_REPLY),
        ({"message": 123, "session_id": session_id}, NOT_TEXT_REPLY),
        ({"message": ["목록"], "session_id": session_id}, NOT_TEXT_REPLY),
        ("그냥 문자열", NOT_TEXT_REPLY),
        (None, NOT_TEXT_REPLY),
        ({"message": b"\xff\xfe binary", "session_id": session_id}, NOT_TEXT_REPLY),
    ]
    for data, reply in cases:
        assert await client.say(data) == [{"text": reply}], data
    assert received == []
    assert await client.say({"message": "오류", "session_id": session_id}) == [{"text": ERROR_REPLY}]
    assert await client.say({"message": "메타", "metadata": "not a dict"}) == [{"text": "에코: 메타"}]


async def test_browsers_from_other_origins_cannot_connect(server) -> None:
    base, _ = server
    stranger = WidgetClient()
    await stranger.connect(base, origin="https://evil.example", wait=False)
    assert (await stranger.next())[0] == "connect_error"
    assert not stranger.sio.connected
    await stranger.close()
    localhost = WidgetClient()
    await localhost.connect(base, origin=ALLOWED)
    await localhost.close()


def test_allowed_origins_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CORS_ORIGINS", "https://www.kosme.example http://127.0.0.1:9000/")
    channel = SocketIOInput.from_credentials({})
    assert channel.origins == {"https://www.kosme.example", "http://127.0.0.1:9000"}
    assert channel.origin_allowed("http://127.0.0.1:9000") and not channel.origin_allowed("http://127.0.0.1:8080")
    assert channel.origin_allowed(None)
    monkeypatch.delenv("BOT_CORS_ORIGINS")
    assert SocketIOInput.from_credentials(None).origins == {"http://127.0.0.1:8080", "http://localhost:8080"}


def test_prepare_text_normalises() -> None:
    assert prepare_text("  \ufeff자금\u0000 문의\r\n ") == "자금 문의"
    assert prepare_text("한글".encode()) == "한글"
    assert prepare_text("\u1100\u1161") == "가"  # NFC


async def test_rest_answers_and_rejects_bad_requests(server) -> None:
    base, received = server
    url = f"{base}/webhooks/rest/webhook"
    async with httpx.AsyncClient(timeout=10) as http:
        ok = await http.post(url, json={"sender": "u1", "message": "자금 문의"})
        assert ok.status_code == 200 and ok.json() == [{"recipient_id": "u1", "text": "에코: 자금 문의"}]
        bad = [
            b"{not json", b"\xff\xfe", b"[]", b'"x"', b"{}", b'{"sender": 5, "message": "a"}',
            b'{"sender": "", "message": "a"}', b'{"sender": "u", "message": 5}', b'{"sender": "u"}',
            b'{"sender": "u", "message": "a", "metadata": [1]}',
        ]
        for body in bad:
            reply = await http.post(url, content=body, headers={"Content-Type": "application/json"})
            assert reply.status_code == 400 and "error" in reply.json(), body
        huge = await http.post(url, json={"sender": "u", "message": "가" * 40_000})
        assert huge.status_code == 413
        empty = await http.post(url, json={"sender": "u", "message": "   "})
        assert empty.json() == [{"recipient_id": "u", "text": EMPTY_REPLY}]
        failing = await http.post(url, json={"sender": "u", "message": "오류"})
        assert failing.status_code == 500 and "error" in failing.json()
        masked = await http.post(url, json={"sender": "u", "message": "메일은 ceo@example.com"})
        assert masked.json() == [{"recipient_id": "u", "text": "에코: 메일은 <이메일>"}]
    assert [m.text for m in received] == ["자금 문의", "오류", "메일은 <이메일>"]
