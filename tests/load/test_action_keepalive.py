"""Custom action calls reuse one keep-alive connection to the action server instead of opening one per call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from aiohttp import web
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.server import rasa_server
from bot.server.rasa_server import ResilientRemoteAction, close_action_sessions

ANSWER = "액션 서버의 답변입니다."
DOMAIN = Domain.from_dict({"actions": ["action_answer"]})


class ActionServer:
    """A local aiohttp action server that records the client address of every call (one per TCP connection)."""

    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []
        self.url = ""

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [{"text": f"{ANSWER} {body['next_action']}"}]})

    @property
    def connections(self) -> int:
        return len(set(self.peers))


@pytest.fixture
async def action_server() -> AsyncIterator[ActionServer]:
    server = ActionServer()
    app = web.Application()
    app.router.add_post("/webhook", server.webhook)
    runner = web.AppRunner(app, keepalive_timeout=1.5)  # shorter than the test's pause below
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/webhook"
    yield server
    await close_action_sessions()
    await runner.cleanup()


async def call(server: ActionServer) -> str:
    action = ResilientRemoteAction("action_answer", EndpointConfig(server.url))  # a new action object, as Rasa does
    events = await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
                              DialogueStateTracker("keepalive", []), DOMAIN)
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    return events[0].text


async def test_action_calls_reuse_one_connection(action_server: ActionServer) -> None:
    for _ in range(3):
        assert await call(action_server) == f"{ANSWER} action_answer"
    assert len(action_server.peers) == 3
    assert action_server.connections == 1, "every call opened a new TCP connection"


async def test_concurrent_calls_then_reuse(action_server: ActionServer) -> None:
    await asyncio.gather(*(call(action_server) for _ in range(3)))
    opened = action_server.connections
    assert opened <= 3
    await call(action_server)
    assert action_server.connections == opened, "a pooled connection is reused after concurrent calls"


async def test_connection_closed_by_the_server_is_replaced(action_server: ActionServer) -> None:
    """The action server closes an idle connection (its keep-alive timeout): the next call opens a new one."""
    await call(action_server)
    await asyncio.sleep(2.5)
    assert await call(action_server) == f"{ANSWER} action_answer"
    assert action_server.connections == 2


async def test_idle_connections_are_dropped_before_the_action_servers_timeout() -> None:
    assert rasa_server.ACTION_KEEPALIVE_SECONDS < 5  # Sanic's (rasa-sdk's) KEEP_ALIVE_TIMEOUT default


async def test_sessions_are_closed_at_shutdown(action_server: ActionServer) -> None:
    await call(action_server)
    sessions = list(rasa_server._action_sessions.values())
    assert sessions and not any(session.closed for session in sessions)
    app = SimpleNamespace(ctx=SimpleNamespace())  # a Sanic app without an agent
    await rasa_server.close_resources(app, asyncio.get_running_loop())  # the patched Rasa listener
    assert all(session.closed for session in sessions)
    assert await call(action_server) == f"{ANSWER} action_answer"  # a later call gets a new session
    assert action_server.connections == 2


def test_install_patches_rasas_shutdown_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core import run as rasa_run
    from rasa.core.actions import action as rasa_action
    from rasa.core.actions import forms as rasa_forms
    from rasa.core.agent import Agent

    for module, name in ((rasa_run, "close_resources"), (rasa_action, "RemoteAction"),
                         (rasa_forms, "RemoteAction"), (Agent, "_create_tracker_store")):
        monkeypatch.setattr(module, name, vars(module)[name])  # restored (as staticmethod) after the test
    rasa_server.install()
    assert rasa_run.close_resources is rasa_server.close_resources
    assert rasa_action.RemoteAction is ResilientRemoteAction
