"""Session fixtures: a trained model and the real action, Rasa and web servers on loopback ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.processes import ServerProcess, start_action_server, start_rasa_server, start_web_server
from bot.training import train


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    """Environment for the test servers: a tracker database of their own and the test website's origin."""
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
