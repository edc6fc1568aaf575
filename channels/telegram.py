"""Telegram channel on python-telegram-bot 22: webhook route on the Rasa server and a polling mode for development.

Configured by environment variables: TELEGRAM_BOT_TOKEN (the channel is on when set), TELEGRAM_WEBHOOK_SECRET
(required for the webhook), TELEGRAM_API_BASE_URL (python-telegram-bot's `base_url`), TELEGRAM_WEBHOOK_URL
(optional: setWebhook at start-up). Polling: `python -m channels.telegram --polling` forwards updates from
getUpdates to the webhook of a running Rasa server, so both modes share one code path.

Nothing a button press needs is kept in the process: callback data carries the payload itself
(`telegram_buttons`), so any of several Rasa servers behind a load balancer, or one that restarted, understands it.
Next to it: `telegram_api` (settings, retries, setWebhook), `telegram_polling` (the development poller), `text`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType, MessageLimit
from telegram.error import TelegramError

from channels import telegram_buttons
from channels.incoming import ERROR_REPLY, RATE_LIMITED_REPLY, RejectedMessage, hand_off, prepare_text
from channels.limits import ChannelLimits, read_body
from channels.telegram_api import SECRET_HEADER as SECRET_HEADER
from channels.telegram_api import TelegramSettings, make_bot, set_webhook, with_retry
from channels.text import split_text

logger = logging.getLogger(__name__)

SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_UPDATE_BYTES = 256 * 1024
MAX_TEXT_UNITS = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted in UTF-16 code units

START_PAYLOAD = "/greet"
HELP_REPLY = (
    "중소기업 정책자금·지원사업 상담 챗봇입니다. 회사 상황이나 궁금한 점을 글로 적어 주세요.\n"
    "예: '창업 2년 된 서울 식품 제조업체인데 운전자금이 필요해요'\n/start 로 처음부터 다시 시작할 수 있어요."
)
NON_TEXT_REPLY = "사진·스티커·음성·파일은 아직 읽지 못해요. 궁금한 점을 글로 적어 주세요."
GROUP_REPLY = "상담은 개인 대화(1:1)에서만 할 수 있어요. 봇에게 직접 메시지를 보내 주세요."
EXPIRED_BUTTON_REPLY = "이 버튼은 만료되었어요. 질문을 글로 다시 적어 주세요."  # only hash keys of older versions
RECENT_UPDATES = 1000


class TelegramOutput(OutputChannel):
    """Sends Rasa's replies as plain text (no parse mode, so nothing needs escaping) with inline keyboards."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def _send(self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Send text in chunks; a chunk that still fails after retries is logged and the rest dropped."""
        chunks = split_text(text, MAX_TEXT_UNITS) or [" "]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            try:
                await with_retry(
                    lambda chunk=chunk, last=last: self.bot.send_message(
                        chat_id=chat_id, text=chunk, reply_markup=markup if last else None
                    )
                )
            except TelegramError as error:
                logger.error("Could not send a reply to Telegram chat %s: %s", chat_id, error)
                return

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Plain text, split at Telegram's length limit."""
        await self._send(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text with one inline-keyboard button per row, attached to the last chunk."""
        rows = []
        for button in buttons:
            title = str(button.get("title") or button.get("payload") or "").strip()[:64]
            if not title:
                continue
            if str(button.get("url", "")).startswith(("https://", "http://")):
                rows.append([InlineKeyboardButton(title, url=button["url"])])
            else:
                payload = str(button.get("payload") or title)
                rows.append([InlineKeyboardButton(title, callback_data=telegram_buttons.encode(payload, title))])
        await self._send(recipient_id, text, InlineKeyboardMarkup(rows) if rows else None)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images are sent as their link (Telegram shows a preview)."""
        await self._send(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Attachments are sent as text."""
        text = attachment if isinstance(attachment, str) else json.dumps(attachment, ensure_ascii=False)
        await self._send(recipient_id, text)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Custom payloads: their `text` (if any) is sent; the rest is web-widget specific and skipped."""
        if isinstance(json_message, dict) and isinstance(json_message.get("text"), str):
            await self._send(recipient_id, json_message["text"])


@dataclass
class _ChatTurns:
    """Serialises the updates of one chat so replies keep their order."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0


class TelegramBridge:
    """Turns Telegram updates into Rasa user messages and sends the replies back through the Bot API.

    Messages and button presses are rate-limited per chat (every update comes from Telegram's servers, so there is
    no per-IP limit); a chat over the limit is told once and its updates are dropped until it slows down.
    """

    def __init__(
        self, bot: Bot, on_new_message: Callable[[UserMessage], Awaitable[Any]], limits: ChannelLimits | None = None
    ) -> None:
        self.bot = bot
        self.on_new_message = on_new_message
        self.limits = limits or ChannelLimits.from_env()
        self.output = TelegramOutput(bot)
        self._chats: dict[int, _ChatTurns] = {}
        self._recent_updates: deque[int] = deque(maxlen=RECENT_UPDATES)
        self._tasks: set[asyncio.Task] = set()

    def accept(self, update: Update) -> bool:
        """Schedule an update for background processing; False if it is a repeat (Telegram retried it).

        The repeats remembered are this process's: Telegram delivers each update in one webhook call and calls again
        only when that call failed (no 200 within its timeout). This channel answers 200 before any work, so a
        retried update almost always means the first call never reached a server; a retry that nginx routes to
        another replica after a lost answer is processed once more there (a conversation turn repeated, no state
        lost). Sharing the set in Redis would close that gap; see channels/README.md *Telegram*.
        """
        if update.update_id in self._recent_updates:
            return False
        self._recent_updates.append(update.update_id)
        self.spawn(self.process(update))
        return True

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run a coroutine in the background, keeping a reference until it finishes."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every background task (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def process(self, update: Update) -> None:
        """Handle one update; errors are logged, never raised."""
        chat = update.effective_chat
        if chat is None:
            return
        turn = self._chats.setdefault(chat.id, _ChatTurns())
        turn.pending += 1
        try:
            async with turn.lock:
                await self._dispatch(update)
        except Exception:
            logger.exception("Telegram update %s failed", update.update_id)
        finally:
            turn.pending -= 1
            if turn.pending == 0:
                self._chats.pop(chat.id, None)

    async def _dispatch(self, update: Update) -> None:
        if update.callback_query is None and update.message is None:
            logger.debug("Ignoring Telegram update %s (edited message, channel post or other)", update.update_id)
            return
        if not await self._within_rate(update):
            return
        if update.callback_query is not None:
            await self._callback(update)
        else:
            await self._message(update.message)

    async def _within_rate(self, update: Update) -> bool:
        """Take one message from the chat's budget; over it, answer a pressed button and tell the chat once."""
        chat_id = str(update.effective_chat.id)
        decision = self.limits.check_sender(chat_id)
        if decision.allowed:
            return True
        logger.info("Telegram chat %s is over the rate limit; update %s dropped", chat_id, update.update_id)
        if update.callback_query is not None:
            await with_retry(lambda: update.callback_query.answer())
        if decision.first_refusal:
            await self.output.send_text_message(chat_id, RATE_LIMITED_REPLY)
        return False

    async def _callback(self, update: Update) -> None:
        query = update.callback_query
        pressed = telegram_buttons.decode(query.data) if query.data else None
        try:
            text = prepare_text(pressed) if pressed is not None else None
        except RejectedMessage:
            text = None
        await with_retry(lambda: query.answer(text=None if text else EXPIRED_BUTTON_REPLY))
        message = query.message
        if text is None or message is None or message.chat.type != ChatType.PRIVATE:
            return
        await self._to_rasa(str(message.chat.id), text)

    async def _message(self, message: Message) -> None:
        chat_id = str(message.chat.id)
        if message.chat.type != ChatType.PRIVATE:
            if message.text and message.text.startswith("/"):
                await self.output.send_text_message(chat_id, GROUP_REPLY)
            return
        if message.text is None:
            await self.output.send_text_message(chat_id, NON_TEXT_REPLY)
            return
        if message.text.startswith("/"):
            command = message.text.split(maxsplit=1)[0].split("@", 1)[0].lower()
            if command == "/start":
                await self._to_rasa(chat_id, START_PAYLOAD)
            else:
                await self.output.send_text_message(chat_id, HELP_REPLY)
            return
        try:
            text = prepare_text(message.text)
        except RejectedMessage as rejected:
            await self.output.send_text_message(chat_id, rejected.reply)
            return
        await self._to_rasa(chat_id, text)

    async def _to_rasa(self, chat_id: str, text: str) -> None:
        try:
            await self.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
        except TelegramError as error:
            logger.debug("sendChatAction failed: %s", error)
        try:
            await self.on_new_message(UserMessage(text, self.output, chat_id, input_channel="telegram"))
        except Exception:
            logger.exception("Rasa failed on a Telegram message from chat %s", chat_id)
            await self.output.send_text_message(chat_id, ERROR_REPLY)


class TelegramInput(InputChannel):
    """`POST /webhooks/telegram/webhook`: checks the secret header, answers 200 at once, processes in background."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TelegramSettings.from_env())

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.bridge: TelegramBridge | None = None
        if settings.token and not settings.secret:
            logger.warning("TELEGRAM_WEBHOOK_SECRET is not set: the Telegram webhook will refuse every update")
        elif settings.secret and not SECRET_PATTERN.match(settings.secret):
            logger.warning("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")

    def get_output_channel(self) -> OutputChannel | None:
        return self.bridge.output if self.bridge else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health check at `/` and the webhook at `/webhook`; start-up sets the webhook when configured."""
        webhook = Blueprint("channels_telegram_webhook", __name__)
        settings = self.settings
        if settings.token:
            self.bridge = TelegramBridge(make_bot(settings), hand_off(on_new_message))
        bridge = self.bridge

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if bridge else "off"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if bridge is None:
                return response.json({"error": "Telegram channel is off (TELEGRAM_BOT_TOKEN not set)"}, status=404)
            given = request.headers.get(SECRET_HEADER, "")
            if not settings.secret or not hmac.compare_digest(given.encode(), settings.secret.encode()):
                return response.json({"error": "forbidden"}, status=403)
            body = await read_body(request, MAX_UPDATE_BYTES)
            if body is None:
                return response.json({"error": "update too large"}, status=413)
            try:
                update = Update.de_json(json.loads(body), bridge.bot)
            except Exception:
                return response.json({"error": "body must be a Telegram Update JSON object"}, status=400)
            bridge.accept(update)
            return response.json({"ok": True})

        @webhook.listener("after_server_start")
        async def start(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
            if bridge is not None and settings.webhook_url:
                bridge.spawn(_set_webhook_logged(bridge.bot, settings))

        @webhook.listener("before_server_stop")
        async def stop(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
            if bridge is not None:
                await bridge.drain()
                await bridge.bot.shutdown()

        return webhook


async def _set_webhook_logged(bot: Bot, settings: TelegramSettings) -> None:
    try:
        await set_webhook(bot, settings)
    except TelegramError:
        logger.exception("Could not set the Telegram webhook to %s", settings.webhook_url)


if __name__ == "__main__":
    from channels.telegram_polling import main

    sys.exit(main())
