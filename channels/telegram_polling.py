"""Development mode without a public URL: `python -m channels.telegram --polling` (or `-m channels.telegram_polling`).

Long-polls getUpdates and forwards each update to the webhook of a running Rasa server with the secret, so polling
and webhook mode share one code path. Needs the same TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys

import httpx
from telegram import Update
from telegram.error import TelegramError

from channels.telegram_api import ALLOWED_UPDATES, SECRET_HEADER, TelegramSettings, make_bot, with_retry

logger = logging.getLogger(__name__)

DEFAULT_RASA_URL = "http://127.0.0.1:5005"


async def poll(settings: TelegramSettings, rasa_url: str, timeout: int = 25) -> None:
    """getUpdates in a loop and forward each update to the Rasa server's Telegram webhook."""
    if not settings.token or not settings.secret:
        raise SystemExit("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (the same values as the Rasa server).")
    webhook = f"{rasa_url.rstrip('/')}/webhooks/telegram/webhook"
    async with make_bot(settings) as bot, httpx.AsyncClient(timeout=30) as client:
        await with_retry(lambda: bot.delete_webhook())
        logger.info("Polling Telegram as @%s; forwarding updates to %s", bot.username, webhook)
        offset: int | None = None
        while True:
            try:
                updates = await with_retry(
                    lambda offset=offset: bot.get_updates(
                        offset=offset, timeout=timeout, read_timeout=timeout + 10, allowed_updates=ALLOWED_UPDATES
                    )
                )
            except TelegramError:
                logger.exception("getUpdates failed; retrying in 5s")
                await asyncio.sleep(5)
                continue
            for update in updates:
                await forward(client, webhook, settings.secret, update)
                offset = update.update_id + 1


async def forward(client: httpx.AsyncClient, webhook: str, secret: str, update: Update, attempts: int = 10) -> None:
    """POST one update to the Rasa webhook, retrying while the Rasa server is unreachable."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            reply = await client.post(
                webhook, content=update.to_json(), headers={SECRET_HEADER: secret, "Content-Type": "application/json"}
            )
            if reply.status_code == 200:
                return
            logger.error("Rasa webhook answered %s to update %s: %s", reply.status_code, update.update_id, reply.text)
            if reply.status_code < 500:
                return
        except httpx.HTTPError as error:
            logger.warning("Rasa server unreachable (%s), attempt %d/%d", error, attempt, attempts)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)
    logger.error("Dropped Telegram update %s after %d attempts", update.update_id, attempts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels.telegram", description=__doc__.splitlines()[0])
    parser.add_argument("--polling", action="store_true", help="poll getUpdates and forward to the Rasa server")
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", DEFAULT_RASA_URL),
                        help="the Rasa server (default: env RASA_URL, else %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not args.polling:
        parser.print_help()
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(poll(TelegramSettings.from_env(), args.rasa_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
