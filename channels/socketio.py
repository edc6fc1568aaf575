"""Socket.io channel for the website widget: Rasa's protocol, allowed origins only, strict input checks."""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.incoming import (
    ERROR_REPLY,
    RATE_LIMITED_REPLY,
    RejectedMessage,
    hand_off,
    prepare_metadata,
    prepare_text,
)
from channels.limits import ChannelLimits

logger = logging.getLogger(__name__)

DEFAULT_ORIGINS = "http://127.0.0.1:8080 http://localhost:8080"
"""Same default as the `--cors` origins of `python -m bot run` (env BOT_CORS_ORIGINS)."""

MAX_PACKET_BYTES = 64 * 1024
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DONE_EVT = "bot_done"
"""Emitted to the session after the bot has sent every reply to one user message (hides the typing indicator)."""


def is_link(button: dict[str, Any]) -> bool:
    """A link button: an http(s) `url` (e.g. a named source, actions.render.link_buttons), no payload needed."""
    return str(button.get("url") or "").startswith(("https://", "http://"))


class WidgetOutput(SocketIOOutput):
    """Rasa's socket.io output, except that link buttons travel as `{"type": "web_url", "title", "url"}` quick
    replies (the widget shows them as links), where Rasa's own output needs a payload on every button."""

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """The text split at blank lines as Rasa does, every button on the last part in its order."""
        parts = text.strip().split("\n\n") or [text]
        replies = [{"type": "web_url", "title": str(button.get("title") or ""), "url": button["url"]}
                   if is_link(button) else
                   {"content_type": "text", "title": button.get("title"), "payload": button.get("payload")}
                   for button in buttons]
        for index, part in enumerate(parts):
            await self._send_message(recipient_id, {"text": part,
                                                    "quick_replies": replies if index == len(parts) - 1 else []})


def allowed_origins(configured: str | list[str] | None = None) -> set[str]:
    """Origins allowed to open the socket: the credentials' `cors_origins`, else env BOT_CORS_ORIGINS, else default."""
    if configured is None:
        configured = os.environ.get("BOT_CORS_ORIGINS") or DEFAULT_ORIGINS
    if isinstance(configured, str):
        configured = configured.split()
    return {origin.rstrip("/") for origin in configured}


class SocketIOInput(InputChannel):
    """Rasa's socket.io protocol (`session_request`/`session_confirm`, `user_uttered`/`bot_uttered`).

    Differences from Rasa's own channel: browsers from origins outside the allowed list cannot connect (the
    websocket transport has no CORS, so the Origin header is checked at connect); a socket may only speak for
    the session it requested; malformed events get a polite reply instead of an exception; `bot_done` follows
    the replies to every message; messages are rate-limited per client IP and per session (channels/limits.py),
    packets over 64 KiB close the connection and texts over the message limit get a polite reply.
    """

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            origins=allowed_origins(credentials.get("cors_origins")),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        socketio_path: str = "/socket.io",
        origins: set[str] | None = None,
        limits: ChannelLimits | None = None,
    ) -> None:
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.socketio_path = socketio_path
        self.origins = allowed_origins() if origins is None else origins
        self.sio: AsyncServer | None = None
        self.limits = limits or ChannelLimits.from_env()
        self.sessions: dict[str, str] = {}
        self.client_ips: dict[str, str] = {}

    def get_output_channel(self) -> OutputChannel | None:
        """Output channel for messages pushed from outside a conversation turn (e.g. reminders)."""
        return None if self.sio is None else WidgetOutput(self.sio, self.bot_message_evt)

    def origin_allowed(self, origin: str | None) -> bool:
        """Browsers always send Origin; clients without one (scripts, tests) are not subject to CORS."""
        return origin is None or "*" in self.origins or origin.rstrip("/") in self.origins

    def check_rate(self, sid: str, session_id: str) -> None:
        """Raise RejectedMessage when the socket's client IP or its session sends too fast."""
        for decision in (self.limits.check_ip(self.client_ips.get(sid, "")), self.limits.check_sender(session_id)):
            if not decision.allowed:
                raise RejectedMessage(RATE_LIMITED_REPLY)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The socket.io server attached to the Sanic app, plus a health route at /webhooks/socketio/."""
        on_new_message = hand_off(on_new_message)
        # cors_allowed_origins=[] leaves the CORS headers of the long-polling transport to Sanic-CORS
        # (`rasa run --cors ...`), which would otherwise duplicate them; the origin check happens in `connect`.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=MAX_PACKET_BYTES)
        self.sio = sio
        webhook = SocketBlueprint(sio, self.socketio_path, "channels_socketio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            await sio.shutdown()  # ends the engine.io ping tasks and disconnects the clients (they reconnect)

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not self.origin_allowed(origin):
                logger.warning("socket.io connection from origin %s refused (not in the allowed origins)", origin)
                return False
            request = environ.get("sanic.request")
            self.client_ips[sid] = self.limits.request_ip(request) if request else environ.get("REMOTE_ADDR", "")
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str, *_: Any) -> None:
            self.sessions.pop(sid, None)
            self.client_ips.pop(sid, None)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.match(requested) else uuid.uuid4().hex
            previous = self.sessions.get(sid)
            if previous and previous != session_id:
                await sio.leave_room(sid, previous)
            self.sessions[sid] = session_id
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any = None) -> None:
            session_id = self.sessions.get(sid)
            if session_id is None:
                await sio.emit("session_error", "send session_request first", room=sid)
                return
            output = WidgetOutput(sio, self.bot_message_evt)
            try:
                self.check_rate(sid, session_id)
                text = prepare_text(data.get("message") if isinstance(data, dict) else None)
            except RejectedMessage as rejected:
                await output.send_text_message(session_id, rejected.reply)
                await sio.emit(DONE_EVT, {}, room=session_id)
                return
            message = UserMessage(
                text, output, session_id, input_channel=self.name(), metadata=prepare_metadata(data.get("metadata"))
            )
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("socket.io message of session %s failed", session_id)
                await output.send_text_message(session_id, ERROR_REPLY)
            await sio.emit(DONE_EVT, {}, room=session_id)

        return webhook
