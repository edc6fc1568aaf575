"""The one place every incoming user text passes through before it becomes a Rasa `UserMessage`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage

from channels.privacy import masking_on_new_message

Handler = Callable[[UserMessage], Awaitable[Any]]

MAX_MESSAGE_CHARS = 2000
"""Longest message handed to the bot; longer ones get a polite request to shorten them."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
"""Control, zero-width and bidi-override characters, and lone surrogates (JSON escapes that are not Unicode text)."""

EMPTY_REPLY = "메시지가 비어 있어요. 궁금한 점을 글로 적어 주세요."
TOO_LONG_REPLY = f"메시지가 너무 길어요. {MAX_MESSAGE_CHARS}자 이내로 나누어 보내 주세요."
NOT_TEXT_REPLY = "글자로 된 메시지만 읽을 수 있어요. 궁금한 점을 글로 적어 주세요."
RATE_LIMITED_REPLY = "메시지가 너무 빨리 이어지고 있어요. 잠시 후 다시 보내 주세요."
ERROR_REPLY = "죄송합니다. 일시적인 오류로 답변하지 못했어요. 잠시 후 다시 시도해 주세요."


class RejectedMessage(ValueError):
    """An incoming message the bot will not read; `reply` is the polite Korean answer to send instead."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def prepare_text(raw: object) -> str:
    """Validate and normalise one incoming user text (NFC, no control characters, trimmed, bounded).

    Raises RejectedMessage for non-text, empty or overlong input.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RejectedMessage(NOT_TEXT_REPLY) from error
    if not isinstance(raw, str):
        raise RejectedMessage(NOT_TEXT_REPLY)
    text = _CONTROL.sub("", unicodedata.normalize("NFC", raw)).strip()
    if not text:
        raise RejectedMessage(EMPTY_REPLY)
    if len(text) > MAX_MESSAGE_CHARS:
        raise RejectedMessage(TOO_LONG_REPLY)
    return text


def prepare_metadata(raw: object) -> dict[str, Any]:
    """Client metadata as the tracker store can keep it: a JSON object (else empty) whose strings lose control
    characters and lone surrogates (a lone surrogate makes Rasa's SQL tracker store exit the whole server)."""
    return _without_control(raw) if isinstance(raw, dict) else {}


def _without_control(value: Any) -> Any:
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, dict):
        return {_without_control(key): _without_control(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_control(item) for item in value]
    return value


def hand_off(on_new_message: Handler) -> Handler:
    """Rasa's message handler as every channel calls it: personal data is masked first (channels.privacy)."""
    return masking_on_new_message(on_new_message)
