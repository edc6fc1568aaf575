"""REST channel (`POST /webhooks/rest/webhook`): Rasa's request/response format with strict input checks."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.incoming import RATE_LIMITED_REPLY, RejectedMessage, hand_off, prepare_metadata, prepare_text
from channels.limits import ChannelLimits, Decision, read_body, retry_after_header

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128


def bad_request(message: str, status: int = 400) -> HTTPResponse:
    """A JSON error response."""
    return response.json({"error": message}, status=status)


def valid_sender(sender: object) -> bool:
    """A conversation id the tracker stores can keep: printable (no control characters, which PostgreSQL refuses,
    nor lone surrogates, which crash Rasa's SQL tracker store), not blank, at most MAX_SENDER_CHARS."""
    return isinstance(sender, str) and sender.strip() != "" and len(sender) <= MAX_SENDER_CHARS and sender.isprintable()


def too_many_requests(decision: Decision) -> HTTPResponse:
    """429 with Retry-After; the polite Korean text travels in `error` for clients that show it."""
    return response.json({"error": RATE_LIMITED_REPLY}, status=429, headers=retry_after_header(decision))


class RestInput(InputChannel):
    """`{"sender": str, "message": str, "metadata": {...}?}` in, the list of bot messages out.

    Limits: body size, then messages per client IP (before the body is read) and per sender (channels/limits.py).
    """

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, limits: ChannelLimits | None = None) -> None:
        self.limits = limits or ChannelLimits.from_env()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health check at `/` and the message endpoint at `/webhook`."""
        on_new_message = hand_off(on_new_message)
        webhook = Blueprint("channels_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            decision = self.limits.check_ip(self.limits.request_ip(request))
            if not decision.allowed:
                return too_many_requests(decision)
            body = await read_body(request, MAX_BODY_BYTES)
            if body is None:
                return bad_request(f"request body larger than {MAX_BODY_BYTES} bytes", 413)
            try:
                payload = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return bad_request("body must be a JSON object")
            if not isinstance(payload, dict):
                return bad_request("body must be a JSON object")
            sender = payload.get("sender")
            if not valid_sender(sender):
                return bad_request(
                    f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} printable characters")
            metadata = payload.get("metadata") or {}
            if not isinstance(metadata, dict):
                return bad_request("'metadata' must be a JSON object")
            if not isinstance(payload.get("message"), str):
                return bad_request("'message' must be a string")
            decision = self.limits.check_sender(sender)
            if not decision.allowed:
                return too_many_requests(decision)
            try:
                text = prepare_text(payload["message"])
            except RejectedMessage as rejected:
                return response.json([{"recipient_id": sender, "text": rejected.reply}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=prepare_metadata(metadata))
                )
            except Exception:
                logger.exception("REST message from %s failed", sender)
                return response.json({"error": "the bot failed to answer; try again later"}, status=500)
            return response.json(collector.messages)

        return webhook
