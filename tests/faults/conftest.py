"""Fault-injection fixtures: the production profile on loopback, with servers the tests stop, kill and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions.profile import PROFILE_SLOTS
from bot.deploy.local_services import LocalPostgres, LocalRedis, free_port, running_postgres, running_redis
from bot.deploy.processes import ServerProcess, start_action_server, start_rasa_server
from bot.deploy.production import PRODUCTION_ENDPOINTS, SharedServices
from bot.server.rasa_api import api_request
from tests.channels.conftest import ALLOWED, SECRET, TOKEN, ThreadedBotApi, WidgetClient

PROFILE_MESSAGE = "창업 2년 된 서울 식품 제조업체인데 운전자금이 필요해요"  # sets several company-profile slots
REPLY_TIMEOUT = 120.0  # seconds; the tests wait for a reply, they do not time it


@dataclass
class FaultStack:
    """PostgreSQL tracker store, Redis lock store, an action server and a Rasa server with every channel on."""

    model: Path
    logs: Path
    postgres: LocalPostgres
    redis: LocalRedis
    bot_api: ThreadedBotApi
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    rasa: ServerProcess | None = None
    action_server: ServerProcess | None = None
    rasa_starts: int = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            **SharedServices(self.postgres.url, self.redis.url).environment(),
            "BOT_CORS_ORIGINS": ALLOWED,
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": self.bot_api.base_url,
        }

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start_action_server(self) -> None:
        """Start the action server on its port (again)."""
        self.action_server = start_action_server(self.action_port, self.env, self.logs)
        self.action_server.wait_ready()

    def start_rasa(self) -> None:
        """Start the Rasa server on its port (again); every start logs to a file of its own."""
        self.rasa_starts += 1
        self.rasa = start_rasa_server(self.rasa_port, self.model, self.action_port, self.env, self.logs,
                                      endpoints=PRODUCTION_ENDPOINTS, name=f"rasa_server-{self.rasa_starts}")
        self.rasa.wait_ready()

    def kill_rasa(self) -> None:
        """SIGKILL the Rasa server: no shutdown handler runs."""
        assert self.rasa is not None
        os.killpg(self.rasa.process.pid, signal.SIGKILL)
        self.rasa.process.wait()

    def rasa_alive(self) -> bool:
        return self.rasa is not None and self.rasa.process.poll() is None

    def rasa_log(self) -> str:
        assert self.rasa is not None
        return self.rasa.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def fault_stack(rasa_model: Path, server_logs: Path) -> Iterator[FaultStack]:
    """The production profile on loopback, shared by one module's tests (each test repairs the fault it made)."""
    bot_api = ThreadedBotApi().start()
    with running_postgres() as postgres, running_redis() as redis:
        stack = FaultStack(rasa_model, server_logs / "faults", postgres, redis, bot_api)
        try:
            stack.start_action_server()
            stack.start_rasa()
            yield stack
        finally:
            for server in (stack.rasa, stack.action_server):
                if server is not None:
                    server.stop()
            bot_api.stop()


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rest_post(rasa_url: str, sender: str, text: str) -> httpx.Response:
    """One message over the REST channel."""
    return httpx.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                      timeout=REPLY_TIMEOUT)


def rest_say(rasa_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    """One message over the REST channel; the bot's messages (the request must succeed)."""
    reply = rest_post(rasa_url, sender, text)
    assert reply.status_code == 200, reply.text
    return reply.json()


def tracker(rasa_url: str, sender: str) -> dict[str, Any]:
    """The stored conversation, from the Rasa HTTP API."""
    return api_request(rasa_url, f"/conversations/{sender}/tracker", timeout=60)


def user_texts(rasa_url: str, sender: str) -> list[str]:
    return [event["text"] for event in tracker(rasa_url, sender)["events"] if event["event"] == "user"]


def profile(rasa_url: str, sender: str) -> dict[str, Any]:
    """The company-profile slots that are set."""
    slots = tracker(rasa_url, sender)["slots"]
    return {name: slots[name] for name in PROFILE_SLOTS if slots.get(name) is not None}


async def widget_say(client: WidgetClient, text: str, session_id: str) -> list[dict[str, Any]]:
    """One widget message, waiting as long as a busy test machine needs."""
    return await client.say({"message": text, "session_id": session_id}, timeout=REPLY_TIMEOUT)


async def wait_until(condition: Any, timeout: float = REPLY_TIMEOUT, what: str = "condition") -> None:
    """Poll `condition()` until it is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
