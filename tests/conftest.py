"""Session fixtures: a trained model and the real action, Rasa and web servers on loopback ports."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.deploy.local_services import free_port
from bot.deploy.processes import ServerProcess, start_action_server, start_rasa_server, start_web_server
from bot.server.rasa_api import api_url
from bot.training import train
from tests.channels.conftest import SECRET, TOKEN, ThreadedBotApi

# Staff answers written during the tests (and by the test servers, which inherit the environment) go to a folder
# of their own, never to a developer's var/staff_guides.
os.environ["KB_STAFF_GUIDES_DIR"] = tempfile.mkdtemp(prefix="test-staff-guides-")


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The model trained from the current training data (trains only if stale)."""
    return train()


@pytest.fixture(scope="session")
def web_port() -> int:
    """The port of the test demo website, chosen first so the Rasa server can allow its origin."""
    return free_port()


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory, web_port: int) -> dict[str, str]:
    """Environment for the test servers: a tracker database of their own and the test website's origin (their
    staff answers folder is the session's KB_STAFF_GUIDES_DIR, set above)."""
    database = tmp_path_factory.mktemp("tracker") / "tracker.db"
    return {"TRACKER_DB_URL": f"sqlite:///{database}", "BOT_CORS_ORIGINS": f"http://127.0.0.1:{web_port}"}


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


def _running(server: ServerProcess) -> Iterator[ServerProcess]:
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def action_server(server_env: dict[str, str], server_logs: Path) -> Iterator[str]:
    """Base URL of a running action server."""
    for server in _running(start_action_server(free_port(), server_env, server_logs)):
        yield server.url


@pytest.fixture(scope="session")
def rasa_server(rasa_model: Path, action_server: str, server_env: dict[str, str], server_logs: Path) -> Iterator[str]:
    """Base URL of a running Rasa server (REST channel at /webhooks/rest/webhook) wired to the action server."""
    action_port = int(action_server.rsplit(":", 1)[1])
    for server in _running(start_rasa_server(free_port(), rasa_model, action_port, server_env, server_logs)):
        yield server.url


@pytest.fixture(scope="session")
def web_server(rasa_server: str, web_port: int, server_env: dict[str, str], server_logs: Path) -> Iterator[str]:
    """Base URL of the demo website whose widget talks to `rasa_server`."""
    for server in _running(start_web_server(web_port, rasa_server, server_env, server_logs)):
        yield server.url


@dataclass
class LiveStack:
    """A real Rasa server with every channel on (Telegram against a fake Bot API), its demo website."""

    rasa: ServerProcess
    web: ServerProcess
    bot_api: ThreadedBotApi

    @property
    def rasa_url(self) -> str:
        return self.rasa.url

    @property
    def web_url(self) -> str:
        return self.web.url

    def assert_alive(self) -> None:
        """The servers still run and answer."""
        for server in (self.rasa, self.web):
            assert server.process.poll() is None, server.log_tail()
        assert httpx.get(api_url(self.rasa_url, "/status"), timeout=30).status_code == 200
        assert httpx.get(f"{self.rasa_url}/webhooks/rest/", timeout=30).json() == {"status": "ok"}
        assert httpx.get(f"{self.web_url}/healthz", timeout=30).text == "ok"


@pytest.fixture(scope="session")
def live_stack(
    rasa_model: Path, action_server: str, server_logs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    """Own Rasa and web servers for the channel and hostile-input tests: the widget page's random port must be an
    allowed origin and Telegram must be on. All test clients share 127.0.0.1, so the per-IP limit is off
    (tests/security/test_rate_limits.py covers it); the per-sender limit keeps its default."""
    bot_api = ThreadedBotApi().start()
    web_port = free_port()
    env = {
        "TRACKER_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('channels-tracker') / 'tracker.db'}",
        "BOT_CORS_ORIGINS": f"http://127.0.0.1:{web_port}",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "BOT_RATE_LIMIT_PER_IP": "0",
    }
    logs = server_logs / "channels"
    action_port = int(action_server.rsplit(":", 1)[1])
    rasa = start_rasa_server(free_port(), rasa_model, action_port, env, logs, name="rasa_channels")
    web_site = start_web_server(web_port, rasa.url, env, logs)
    try:
        rasa.wait_ready()
        web_site.wait_ready()
        yield LiveStack(rasa, web_site, bot_api)
    finally:
        web_site.stop()
        rasa.stop()
        bot_api.stop()
