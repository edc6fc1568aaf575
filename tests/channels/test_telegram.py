"""Telegram channel against a fake Bot API: the exact calls python-telegram-bot makes, secrets, bad input."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from aiohttp import web
from rasa.core.channels.channel import UserMessage

from bot.deploy.local_services import free_port
from channels.incoming import ERROR_REPLY
from channels.telegram import (
    EXPIRED_BUTTON_REPLY,
    GROUP_REPLY,
    HELP_REPLY,
    NON_TEXT_REPLY,
    SECRET_HEADER,
    TelegramInput,
    TelegramSettings,
    split_text,
)
from channels.telegram_polling import poll
from tests.channels.conftest import (
    SECRET,
    TOKEN,
    FakeBotApi,
    callback_update,
    echo_bot,
    message_update,
    serve_channels,
    source_card,
    update_ids,
)

LONG_PAYLOAD = '/ask_program_detail{"program_id":"emergency-management-stabilization"}'


class Recorder:
    """Records the messages handed to Rasa and answers like `echo_bot`."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[UserMessage] = []
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        await echo_bot(message)


def settings_for(api: FakeBotApi, **overrides: Any) -> TelegramSettings:
    return TelegramSettings(**{"token": TOKEN, "secret": SECRET, "base_url": api.base_url, **overrides})


async def post(base: str, body: Any, secret: str | None = SECRET, raw: bytes | None = None) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient(timeout=10) as client:
        if raw is not None:
            return await client.post(f"{base}/webhooks/telegram/webhook", content=raw, headers=headers)
        return await client.post(f"{base}/webhooks/telegram/webhook", json=body, headers=headers)


async def settle(channel: TelegramInput) -> None:
    """Wait for the channel's background processing."""
    await asyncio.sleep(0.05)
    assert channel.bridge is not None
    await channel.bridge.drain()


@pytest.fixture
async def telegram(bot_api: FakeBotApi):
    recorder = Recorder()
    channel = TelegramInput(settings_for(bot_api))
    async with serve_channels([channel], recorder) as base:
        yield base, channel, recorder, bot_api


async def test_forged_or_missing_secret_is_refused_and_nothing_happens(telegram) -> None:
    base, channel, recorder, api = telegram
    for secret in ("wrong-secret", "", None, SECRET + "x"):
        reply = await post(base, message_update("안녕하세요"), secret=secret)
        assert reply.status_code == 403
    await settle(channel)
    assert recorder.messages == [] and api.calls == []


async def test_malformed_bodies_get_400_and_nothing_happens(telegram) -> None:
    base, channel, recorder, api = telegram
    for raw in (b"{not json", b"\xff\xfe\x00binary", b"", b"[1, 2]", b'"text"', b'{"message": 5}',
                b'{"update_id": "x", "message": {"chat": 5}}'):
        reply = await post(base, None, raw=raw)
        assert reply.status_code == 400, raw
        assert "error" in reply.json()
    huge = await post(base, None, raw=b'{"update_id": 1, "pad": "' + b"x" * 300_000 + b'"}')
    assert huge.status_code == 413
    await settle(channel)
    assert recorder.messages == [] and api.calls == []


async def test_text_goes_to_the_bot_and_the_reply_is_sent_as_plain_text(telegram) -> None:
    base, channel, recorder, api = telegram
    reply = await post(base, message_update("긴급경영안정자금 <b>알려주세요</b> *_"))
    assert reply.status_code == 200
    await settle(channel)
    [message] = recorder.messages
    assert (message.text, message.sender_id, message.input_channel) == (
        "긴급경영안정자금 <b>알려주세요</b> *_", "42", "telegram")
    assert api.calls_to("sendChatAction")[0].params == {"chat_id": 42, "action": "typing"}
    [sent] = api.calls_to("sendMessage")
    assert sent.params == {"chat_id": 42, "text": "에코: 긴급경영안정자금 <b>알려주세요</b> *_"}  # no parse_mode
    await post(base, message_update("연락처 010-1234-5678"))
    await settle(channel)
    assert recorder.messages[-1].text == "연락처 <전화번호>"  # masked before the bot sees it (channels.privacy)


async def test_webhook_answers_at_once_while_the_bot_is_still_thinking(bot_api: FakeBotApi) -> None:
    channel = TelegramInput(settings_for(bot_api))
    async with serve_channels([channel], Recorder(delay=2.0)) as base:
        started = time.monotonic()
        reply = await post(base, message_update("천천히"))
        assert reply.status_code == 200 and time.monotonic() - started < 0.5
        assert bot_api.calls_to("sendMessage") == []
        await bot_api.wait_for("sendMessage")


async def test_start_greets_through_the_bot_and_other_commands_get_help(telegram) -> None:
    base, channel, recorder, api = telegram
    await post(base, message_update("/start"))
    await post(base, message_update("/start@test_consult_bot deep-link"))
    await post(base, message_update('/inform{"region":"서울특별시"}'))
    await settle(channel)
    assert [m.text for m in recorder.messages] == ["/greet", "/greet"]
    assert [c.params["text"] for c in api.calls_to("sendMessage")].count(HELP_REPLY) == 1


async def test_buttons_become_an_inline_keyboard_and_a_press_continues_the_conversation(telegram) -> None:
    base, channel, recorder, api = telegram
    await post(base, message_update("버튼"))
    await settle(channel)
    [sent] = api.calls_to("sendMessage")
    assert sent.params["text"] == "업종을 골라 주세요."
    keyboard = sent.params["reply_markup"]["inline_keyboard"]
    assert [[button["text"] for button in row] for row in keyboard] == [["제조업"], ["도매 및 소매업"]]
    assert keyboard[0][0]["callback_data"] == '/inform{"industry":"제조업"}'

    await post(base, callback_update(keyboard[1][0]["callback_data"]))
    await settle(channel)
    [answered] = api.calls_to("answerCallbackQuery")
    assert answered.params["callback_query_id"].startswith("cb") and "text" not in answered.params
    assert recorder.messages[-1].text == '/inform{"industry":"도매 및 소매업"}'
    assert recorder.messages[-1].sender_id == "42"


async def test_a_source_link_is_a_url_button_and_the_text_only_names_it(bot_api: FakeBotApi) -> None:
    card, link = source_card()

    async def bot(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, dict(card))

    channel = TelegramInput(settings_for(bot_api))
    async with serve_channels([channel], bot) as base:
        await post(base, message_update("긴급경영안정자금 알려주세요"))
        await settle(channel)
    [sent] = bot_api.calls_to("sendMessage")
    assert "http" not in sent.params["text"] and sent.params["text"].endswith(f"\n출처: {link['title']}")
    keyboard = sent.params["reply_markup"]["inline_keyboard"]
    assert keyboard[-1] == [{"text": link["title"], "url": link["url"]}]  # opens the source, no callback
    assert all("callback_data" in row[0] and "url" not in row[0] for row in keyboard[:-1])
    assert [row[0]["text"] for row in keyboard] == [button["title"] for button in card["buttons"]]


def long_payload_bot(recorder: Recorder):
    """A stand-in for Rasa that offers a button with a payload over 64 bytes and records the payload when pressed."""

    async def bot(message: UserMessage) -> None:
        if message.text.startswith("/"):
            await recorder(message)
            return
        buttons = [{"title": "긴급경영안정자금", "payload": LONG_PAYLOAD}]
        await message.output_channel.send_response(message.sender_id, {"text": "어느 사업?", "buttons": buttons})

    return bot


async def test_payloads_longer_than_64_bytes_travel_compactly_and_old_hash_keys_are_answered(
    bot_api: FakeBotApi,
) -> None:
    channel, recorder = TelegramInput(settings_for(bot_api)), Recorder()
    async with serve_channels([channel], long_payload_bot(recorder)) as base:
        await post(base, message_update("추천"))
        [sent] = await bot_api.wait_for("sendMessage")
        data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert len(data.encode()) <= 64 and data.startswith("~") and "emergency-management-stabilization" in data
        await post(base, callback_update(data))
        await post(base, callback_update("#0123456789abcdef"))  # a hash key sent by an older version
        await settle(channel)
    assert [m.text for m in recorder.messages] == [LONG_PAYLOAD]
    texts = [call.params.get("text") for call in bot_api.calls_to("answerCallbackQuery")]
    assert texts == [None, EXPIRED_BUTTON_REPLY]


async def test_a_button_rendered_by_one_replica_is_understood_by_another_and_after_a_restart(
    bot_api: FakeBotApi,
) -> None:
    """Two Rasa servers behind nginx: the webhook call of the press may land on the server that did not send it."""
    first, second = TelegramInput(settings_for(bot_api)), TelegramInput(settings_for(bot_api))
    first_seen, second_seen = Recorder(), Recorder()
    async with serve_channels([first], long_payload_bot(first_seen)) as first_url, \
            serve_channels([second], long_payload_bot(second_seen)) as second_url:
        await post(first_url, message_update("추천"))
        [sent] = await bot_api.wait_for("sendMessage")
        data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await post(second_url, callback_update(data))
        await settle(second)
    assert first_seen.messages == []
    assert [(m.text, m.sender_id) for m in second_seen.messages] == [(LONG_PAYLOAD, "42")]
    [answered] = bot_api.calls_to("answerCallbackQuery")
    assert "text" not in answered.params  # not the expired-button reply

    restarted, after_restart = TelegramInput(settings_for(bot_api)), Recorder()  # a fresh process: nothing known
    async with serve_channels([restarted], long_payload_bot(after_restart)) as url:
        await post(url, callback_update(data))
        await settle(restarted)
    assert [m.text for m in after_restart.messages] == [LONG_PAYLOAD]


async def test_a_button_that_cannot_be_made_to_fit_sends_its_title(telegram) -> None:
    base, channel, recorder, api = telegram
    payload = "/ask_question{" + '"question": "' + "가" * 40 + '"}'  # 120+ bytes of entity value

    async def offer(message: UserMessage) -> None:
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "질문을 골라 주세요.", [{"title": "창업 자금 문의", "payload": payload}])

    await offer(UserMessage("x", channel.bridge.output, "42"))
    [sent] = api.calls_to("sendMessage")
    data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data == '"창업 자금 문의'
    await post(base, callback_update(data))
    await settle(channel)
    assert [m.text for m in recorder.messages] == ["창업 자금 문의"]


async def test_non_text_edited_group_and_channel_updates_never_crash(telegram) -> None:
    base, channel, recorder, api = telegram
    file = {"file_id": "f1", "file_unique_id": "u1"}
    updates = [
        message_update(sticker={**file, "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                "type": "regular"}),
        message_update(photo=[{**file, "width": 90, "height": 90}]),
        message_update(voice={**file, "duration": 3}),
        message_update(location={"latitude": 37.5, "longitude": 127.0}),
        {"update_id": next(update_ids), "edited_message": message_update("수정했어요")["message"]},
        {"update_id": next(update_ids), "channel_post": {
            "message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel", "title": "공지"}, "text": "공지"}},
        message_update("단체방 잡담", chat_id=-5, chat_type="group"),
        message_update("/start", chat_id=-6, chat_type="supergroup"),
        {"update_id": next(update_ids), "my_chat_member": None},
        {"update_id": next(update_ids)},
    ]
    for update in updates:
        assert (await post(base, update)).status_code == 200
    await settle(channel)
    assert recorder.messages == []
    sent = [(call.params["chat_id"], call.params["text"]) for call in api.calls_to("sendMessage")]
    assert sent == [(42, NON_TEXT_REPLY)] * 4 + [(-6, GROUP_REPLY)]


async def test_long_replies_are_split_at_the_telegram_limit(telegram) -> None:
    base, channel, recorder, api = telegram
    await post(base, message_update("긴 답변"))
    await settle(channel)
    texts = [call.params["text"] for call in api.calls_to("sendMessage")]
    assert len(texts) == 3 and all(len(text) <= 4096 for text in texts)
    assert " ".join(texts).split() == ("가나다라마바사 " * 1200).split()


def test_split_text_counts_utf16_units_and_prefers_line_breaks() -> None:
    text = "😀" * 3000  # 2 UTF-16 units each
    chunks = split_text(text)
    assert [len(chunk) for chunk in chunks] == [2048, 952]
    assert split_text("첫 문단\n\n둘째 문단", limit=8) == ["첫 문단", "둘째 문단"]
    assert split_text("   ") == []


async def test_transient_errors_are_retried_with_backoff(telegram) -> None:
    base, channel, recorder, api = telegram
    api.failures["sendMessage"] = [
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}}),
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
    ]
    started = time.monotonic()
    await post(base, message_update("재시도"))
    await settle(channel)
    sent = api.calls_to("sendMessage")
    assert [call.params["text"] for call in sent] == ["에코: 재시도"] * 3
    assert time.monotonic() - started >= 1.0  # waited retry_after


async def test_a_bad_request_is_not_retried_and_does_not_crash(telegram) -> None:
    base, channel, recorder, api = telegram
    not_found = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    api.failures["sendMessage"] = [(400, not_found)]
    await post(base, message_update("하나"))
    await post(base, message_update("둘"))
    await settle(channel)
    assert [call.params["text"] for call in api.calls_to("sendMessage")] == ["에코: 하나", "에코: 둘"]


async def test_a_failing_bot_gets_a_polite_reply(telegram) -> None:
    base, channel, recorder, api = telegram
    await post(base, message_update("오류"))
    await settle(channel)
    assert [call.params["text"] for call in api.calls_to("sendMessage")] == [ERROR_REPLY]


async def test_repeated_updates_are_processed_once_and_in_order(telegram) -> None:
    base, channel, recorder, api = telegram
    first, second = message_update("첫째"), message_update("둘째")
    for update in (first, second, first):
        await post(base, update)
    await settle(channel)
    assert [m.text for m in recorder.messages] == ["첫째", "둘째"]


async def test_set_webhook_at_start_up_retries_on_429(bot_api: FakeBotApi) -> None:
    bot_api.failures["setWebhook"] = [
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}}),
    ]
    channel = TelegramInput(settings_for(bot_api, webhook_url="https://bot.example.kr/webhooks/telegram/webhook"))
    async with serve_channels([channel], Recorder()):
        calls = await bot_api.wait_for("setWebhook", 2)
    assert calls[1].params == {
        "url": "https://bot.example.kr/webhooks/telegram/webhook", "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "channel_post", "callback_query"],
    }


async def test_channel_is_off_without_a_token_and_refuses_without_a_secret(bot_api: FakeBotApi) -> None:
    off = TelegramInput(TelegramSettings(token=None, secret=SECRET))
    async with serve_channels([off], Recorder()) as base:
        assert (await post(base, message_update("안녕"))).status_code == 404
    no_secret = TelegramInput(settings_for(bot_api, secret=None))
    async with serve_channels([no_secret], Recorder()) as base:
        assert (await post(base, message_update("안녕"), secret="")).status_code == 403
    assert bot_api.calls == []


async def test_polling_forwards_updates_to_the_rasa_webhook_with_the_secret(bot_api: FakeBotApi) -> None:
    received: list[tuple[str | None, dict]] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/webhooks/telegram/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    update = message_update("폴링 안녕")
    bot_api.updates.append(update)
    task = asyncio.create_task(poll(settings_for(bot_api), f"http://127.0.0.1:{port}", timeout=0))
    try:
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()
    assert [call.method for call in bot_api.calls[:3]] == ["getMe", "deleteWebhook", "getUpdates"]
    [(secret, body)] = received
    assert secret == SECRET
    assert body["update_id"] == update["update_id"] and body["message"]["text"] == "폴링 안녕"
