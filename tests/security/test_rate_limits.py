"""Rate and size limits of the REST, socket.io and Telegram channels (channels/limits.py) on in-process servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage

from channels.incoming import RATE_LIMITED_REPLY, TOO_LONG_REPLY
from channels.limits import ChannelLimits, RateLimiter, parse_networks
from channels.rest import MAX_BODY_BYTES, RestInput
from channels.socketio import SocketIOInput
from channels.telegram import TelegramInput, TelegramSettings
from tests.channels import conftest as channel_fixtures
from tests.channels.conftest import (
    SECRET,
    TOKEN,
    FakeBotApi,
    WidgetClient,
    callback_update,
    echo_bot,
    message_update,
    serve_channels,
)
from tests.channels.test_telegram import post, settle

bot_api = channel_fixtures.bot_api  # the fake Telegram Bot API fixture
ATTACKER = "203.0.113.7"
NEIGHBOUR = "198.51.100.20"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Bot:
    """Records what reaches the bot and answers like `echo_bot`."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.texts.append(message.text)
        await echo_bot(message)


def limits(per_sender: int = 0, per_ip: int = 0, trusted: str = "") -> ChannelLimits:
    return ChannelLimits(RateLimiter(per_sender) if per_sender else None, RateLimiter(per_ip) if per_ip else None,
                         parse_networks(trusted))


def rest_client(base: str, source_ip: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client whose connections come from `source_ip` (any 127.x address reaches the loopback server)."""
    transport = httpx.AsyncHTTPTransport(local_address=source_ip)
    return httpx.AsyncClient(base_url=f"{base}/webhooks/rest", transport=transport, timeout=10)


def test_a_bucket_allows_a_burst_then_refills_at_the_rate_per_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock)
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit("a")
    assert not refused.allowed and refused.first_refusal and refused.retry_after == pytest.approx(20.0)
    again = limiter.hit("a")
    assert not again.allowed and not again.first_refusal
    assert limiter.hit("b").allowed  # another key has its own bucket
    clock.now += 20.0
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed and limiter.hit("a").retry_after == pytest.approx(20.0)


def test_idle_and_surplus_keys_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock, max_keys=100)
    for number in range(1000):
        limiter.hit(f"random-sender-{number}")
    assert len(limiter._buckets) == 100
    clock.now += 61
    limiter.hit("late")
    assert list(limiter._buckets) == ["late"]


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_SENDER", "7")
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_IP", "0")
    monkeypatch.setenv("BOT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    configured = ChannelLimits.from_env()
    assert configured.per_sender is not None and configured.per_sender.per_minute == 7
    assert configured.per_ip is None and configured.check_ip(ATTACKER).allowed
    assert configured.client_ip("10.1.2.3", f"{ATTACKER}, 127.0.0.1") == ATTACKER
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_IP", "many")
    with pytest.raises(ValueError, match="BOT_RATE_LIMIT_PER_IP"):
        ChannelLimits.from_env()


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    behind_nginx = limits(trusted="127.0.0.1")
    assert behind_nginx.client_ip("127.0.0.1", ATTACKER) == ATTACKER
    assert behind_nginx.client_ip("127.0.0.1", f"1.2.3.4, {ATTACKER}") == ATTACKER  # the left part is the client's
    assert behind_nginx.client_ip("127.0.0.1", None) == "127.0.0.1"
    assert behind_nginx.client_ip(NEIGHBOUR, ATTACKER) == NEIGHBOUR
    assert limits().client_ip("127.0.0.1", ATTACKER) == "127.0.0.1"


@pytest.fixture
async def bot() -> Bot:
    return Bot()


async def test_rest_answers_429_with_retry_after_to_a_sender_over_the_limit(bot: Bot) -> None:
    async with serve_channels([RestInput(limits(per_sender=3))], bot) as base, rest_client(base) as client:
        answers = [await client.post("/webhook", json={"sender": "fast", "message": f"질문 {n}"}) for n in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert answers[3].json() == {"error": RATE_LIMITED_REPLY}
        assert 1 <= int(answers[3].headers["Retry-After"]) <= 20
        other = await client.post("/webhook", json={"sender": "calm", "message": "안녕하세요"})
        assert other.status_code == 200 and other.json()[0]["text"] == "에코: 안녕하세요"
    assert bot.texts == ["질문 0", "질문 1", "질문 2", "안녕하세요"]


async def test_rest_limits_the_client_address_behind_a_trusted_proxy(bot: Bot) -> None:
    channel = RestInput(limits(per_ip=3, trusted="127.0.0.1"))
    async with serve_channels([channel], bot) as base, rest_client(base) as proxy:
        codes = [(await proxy.post("/webhook", json={"sender": f"s{n}", "message": "안녕"},
                                   headers={"X-Forwarded-For": ATTACKER})).status_code for n in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        neighbour = await proxy.post("/webhook", json={"sender": "n", "message": "안녕"},
                                     headers={"X-Forwarded-For": NEIGHBOUR})
        assert neighbour.status_code == 200
        junk = await proxy.post("/webhook", content=b"{not json", headers={"X-Forwarded-For": ATTACKER})
        assert junk.status_code == 429  # the address is limited before its body is even read
    assert len(bot.texts) == 4


async def test_a_forged_forwarded_for_does_not_escape_the_limit(bot: Bot) -> None:
    async with serve_channels([RestInput(limits(per_ip=2))], bot) as base:
        async with rest_client(base) as attacker:
            codes = [(await attacker.post("/webhook", json={"sender": f"s{n}", "message": "안녕"},
                                          headers={"X-Forwarded-For": f"192.0.2.{n}"})).status_code
                     for n in range(4)]
        async with rest_client(base, source_ip="127.0.0.2") as other_client:
            other = await other_client.post("/webhook", json={"sender": "x", "message": "안녕"})
    assert codes == [200, 200, 429, 429]
    assert other.status_code == 200  # another peer address is not affected


async def test_rest_refuses_bodies_over_the_size_limit_without_reading_them(bot: Bot) -> None:
    async with serve_channels([RestInput(limits())], bot) as base, rest_client(base) as client:
        padded = b'{"sender": "big", "message": "' + b"a" * MAX_BODY_BYTES + b'"}'
        assert (await client.post("/webhook", content=padded)).status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts the bytes that arrive
            for _ in range(64):
                yield b" " * 4096

        chunked = await client.post("/webhook", content=chunks())
        assert chunked.status_code == 413 and "error" in chunked.json()
    async with serve_channels([RestInput(limits())], bot) as base, rest_client(base) as client:
        assert (await client.post("/webhook", json={"sender": "s", "message": "안녕"})).status_code == 200
    assert bot.texts == ["안녕"]


@pytest.fixture
async def widget() -> AsyncIterator[WidgetClient]:
    client = WidgetClient()
    yield client
    await client.close()


async def test_socketio_sessions_over_the_limit_get_a_polite_reply_without_the_bot(
    bot: Bot, widget: WidgetClient
) -> None:
    async with serve_channels([SocketIOInput(limits=limits(per_sender=2))], bot) as base:
        await widget.connect(base, origin=None)
        session_id = await widget.session()
        replies = [await widget.say({"message": f"질문 {n}", "session_id": session_id}) for n in range(3)]
        assert replies[2] == [{"text": RATE_LIMITED_REPLY}]
        other = await widget.session()  # a fresh session has its own budget
        assert await widget.say({"message": "안녕", "session_id": other}) == [{"text": "에코: 안녕"}]
    assert bot.texts == ["질문 0", "질문 1", "안녕"]


async def test_socketio_limits_one_address_across_sessions_and_sockets(bot: Bot) -> None:
    channel = SocketIOInput(limits=limits(per_ip=3, trusted="127.0.0.1"))
    clients = [WidgetClient() for _ in range(3)]
    try:
        async with serve_channels([channel], bot) as base:
            for client in clients[:2]:
                await client.sio.connect(base, headers={"X-Forwarded-For": ATTACKER}, transports=["polling"])
            await clients[2].sio.connect(base, headers={"X-Forwarded-For": NEIGHBOUR}, transports=["polling"])
            texts = []
            for client in [*clients[:2], *clients[:2]]:
                [reply] = await client.say({"message": "안녕", "session_id": await client.session()})
                texts.append(reply["text"])
            assert texts == ["에코: 안녕"] * 3 + [RATE_LIMITED_REPLY]
            assert await clients[2].say({"message": "안녕", "session_id": await clients[2].session()}) == [
                {"text": "에코: 안녕"}]
    finally:
        for client in clients:
            await client.close()


async def test_socketio_texts_over_the_message_limit_get_a_polite_reply(bot: Bot, widget: WidgetClient) -> None:
    async with serve_channels([SocketIOInput(limits=limits())], bot) as base:
        await widget.connect(base, origin=None)
        session_id = await widget.session()
        assert await widget.say({"message": "가" * 5000, "session_id": session_id}) == [{"text": TOO_LONG_REPLY}]
    assert bot.texts == []


async def test_socketio_packets_over_64_kib_drop_only_that_connection(bot: Bot, widget: WidgetClient) -> None:
    async with serve_channels([SocketIOInput(limits=limits())], bot) as base:
        await widget.connect(base, origin=None)
        session_id = await widget.session()
        await widget.sio.emit("user_uttered", {"message": "a" * 100_000, "session_id": session_id})
        await widget.sio.sleep(1.0)
        assert not widget.sio.connected
        fresh = WidgetClient()
        try:
            await fresh.connect(base, origin=None)
            assert await fresh.say({"message": "안녕", "session_id": await fresh.session()}) == [
                {"text": "에코: 안녕"}]
        finally:
            await fresh.close()
    assert bot.texts == ["안녕"]


async def test_telegram_chats_over_the_limit_are_told_once_and_the_bot_is_not_asked(
    bot_api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_SENDER", "2")
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_IP", "1")  # not applied: every update comes from Telegram's servers
    channel = TelegramInput(TelegramSettings(TOKEN, SECRET, bot_api.base_url))
    async with serve_channels([channel], bot) as base:
        for number in range(4):
            assert (await post(base, message_update(f"질문 {number}", chat_id=42))).status_code == 200
        await post(base, callback_update("/greet", chat_id=42))
        await post(base, message_update("안녕하세요", chat_id=43))
        await settle(channel)
    assert bot.texts == ["질문 0", "질문 1", "안녕하세요"]
    to_42 = [call.params["text"] for call in bot_api.calls_to("sendMessage") if call.params["chat_id"] == 42]
    assert to_42 == ["에코: 질문 0", "에코: 질문 1", RATE_LIMITED_REPLY]
    assert len(bot_api.calls_to("answerCallbackQuery")) == 1  # the pressed button does not spin forever


async def test_telegram_texts_over_the_message_limit_get_a_polite_reply(bot_api: FakeBotApi, bot: Bot) -> None:
    channel = TelegramInput(TelegramSettings(TOKEN, SECRET, bot_api.base_url))
    async with serve_channels([channel], bot) as base:
        assert (await post(base, message_update("가" * 4096))).status_code == 200
        huge: dict[str, Any] = message_update("가")
        huge["padding"] = "x" * 300_000
        assert (await post(base, huge)).status_code == 413
        await settle(channel)
    assert bot.texts == []
    assert [call.params["text"] for call in bot_api.calls_to("sendMessage")] == [TOO_LONG_REPLY]
