"""A slow action server: the Rasa server stops waiting after ACTION_TIMEOUT_SECONDS and apologises instead."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.deploy.local_services import free_port
from bot.deploy.processes import start_rasa_server
from bot.server.rasa_server import APOLOGY, HANDOFF_BUTTON
from tests.faults.conftest import new_sender, rest_say, user_texts

pytestmark = pytest.mark.timeout(600)
ACTION_TIMEOUT_SECONDS = 2
QUICK_ANSWER = "빠른 답변입니다."


class SlowActionServer(ThreadingHTTPServer):
    """An action server that answers every action after `delay` seconds (or at once when `delay` is 0)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ActionHandler)
        self.delay = 10 * ACTION_TIMEOUT_SECONDS
        self.calls: list[str] = []
        self.released = threading.Event()  # set on shutdown, so sleeping requests end

    @property
    def port(self) -> int:
        return self.server_address[1]


class ActionHandler(BaseHTTPRequestHandler):
    server: SlowActionServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append(body["next_action"])
        self.server.released.wait(self.server.delay)
        answer = {"events": [], "responses": [{"text": QUICK_ANSWER}]}
        if body["next_action"] == "action_session_start":
            answer = {"events": [{"event": "session_started"}, {"event": "action", "name": "action_listen"}],
                      "responses": []}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        """Quiet."""


@dataclass
class SlowStack:
    rasa_url: str
    action_server: SlowActionServer


@pytest.fixture(scope="module")
def slow_stack(rasa_model: Path, server_env: dict[str, str], server_logs: Path) -> Iterator[SlowStack]:
    """A Rasa server whose action endpoint is the slow action server, with a short action timeout."""
    action_server = SlowActionServer()
    threading.Thread(target=action_server.serve_forever, daemon=True).start()
    env = {**server_env, "ACTION_TIMEOUT_SECONDS": str(ACTION_TIMEOUT_SECONDS)}
    rasa = start_rasa_server(free_port(), rasa_model, action_server.port, env, server_logs / "faults",
                             name="rasa_server-slow-actions")
    try:
        rasa.wait_ready()
        yield SlowStack(rasa.url, action_server)
    finally:
        rasa.stop()
        action_server.released.set()
        action_server.shutdown()


def test_slow_action_server_gets_the_apology_and_the_conversation_continues(slow_stack: SlowStack) -> None:
    sender = new_sender("slow-actions")
    messages = rest_say(slow_stack.rasa_url, sender, "긴급경영안정자금 알려주세요")
    assert [message.get("text") for message in messages] == [APOLOGY]
    assert messages[0]["buttons"] == [HANDOFF_BUTTON]
    assert "action_session_start" in slow_stack.action_server.calls  # the server was called, and was too slow
    assert len(slow_stack.action_server.calls) >= 2

    slow_stack.action_server.delay = 0  # the action server is quick again
    answer = rest_say(slow_stack.rasa_url, sender, "긴급경영안정자금 알려주세요")
    assert [message.get("text") for message in answer] == [QUICK_ANSWER]
    assert user_texts(slow_stack.rasa_url, sender) == ["긴급경영안정자금 알려주세요"] * 2
