"""Talking to the Telegram Bot API: settings from the environment, the `Bot`, retries, `setWebhook`."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "callback_query"]

T = TypeVar("T")


@dataclass(frozen=True)
class TelegramSettings:
    """Channel configuration read from the environment."""

    token: str | None
    secret: str | None
    base_url: str = DEFAULT_BASE_URL
    webhook_url: str | None = None

    @classmethod
    def from_env(cls) -> TelegramSettings:
        """Read TELEGRAM_* variables; empty values count as unset."""
        return cls(
            token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
            base_url=os.environ.get("TELEGRAM_API_BASE_URL") or DEFAULT_BASE_URL,
            webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL") or None,
        )


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_retry(
    call: Callable[[], Awaitable[T]], attempts: int = 4, backoff: float = 0.5, max_wait: float = 30.0
) -> T:
    """Run a Bot API call, retrying transient errors (RetryAfter, TimedOut, NetworkError) with backoff.

    BadRequest (also a NetworkError subclass) and other Telegram errors are not transient and are raised at once.
    """
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as error:
            wait = _seconds(error.retry_after)
            if attempt == attempts or wait > max_wait:
                raise
        except BadRequest:
            raise
        except (TimedOut, NetworkError):
            if attempt == attempts:
                raise
            wait, delay = delay, delay * 2
        logger.info("Telegram API call failed (attempt %d/%d); retrying in %.1fs", attempt, attempts, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def make_bot(settings: TelegramSettings) -> Bot:
    """A python-telegram-bot `Bot` for the configured token and API base URL."""
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return Bot(settings.token, base_url=settings.base_url)


async def set_webhook(bot: Bot, settings: TelegramSettings, attempts: int = 8) -> None:
    """Register TELEGRAM_WEBHOOK_URL with the secret, retrying on 429 (RetryAfter) and network errors."""
    await with_retry(
        lambda: bot.set_webhook(
            url=settings.webhook_url, secret_token=settings.secret, allowed_updates=ALLOWED_UPDATES
        ),
        attempts=attempts,
        max_wait=300.0,
    )
    logger.info("Telegram webhook set to %s", settings.webhook_url)
