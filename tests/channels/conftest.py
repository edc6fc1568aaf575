"""Channel test helpers: a fake Telegram Bot API server and an in-process Sanic app serving our input channels."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import socketio
from aiohttp import web
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.server import configure_cors
from sanic import Sanic

from bot.deploy.local_services import free_port

TOKEN = "123456:TEST-token"
SECRET = "test-secret_42"
ALLOWED = "http://127.0.0.1:8080"
update_ids = itertools.count(1)


@dataclass
class ApiCall:
    """One request python-telegram-bot made to the fake Bot API."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeBotApi:
    """A local Telegram Bot API: records every call and answers like Telegram does.

    `failures[method]` is a list of (HTTP status, Bot API error body) answered before the call succeeds.
    """

    url: str = ""
    calls: list[ApiCall] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    @property
    def base_url(self) -> str:
        """Value for TELEGRAM_API_BASE_URL (python-telegram-bot appends the token)."""
        return f"{self.url}/bot"

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        """Wait until `method` was called at least `count` times."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                calls = len(self.calls_to(method))
                raise AssertionError(f"{method} called {calls} times, wanted {count}: {self.calls}")
            await asyncio.sleep(0.02)
        return self.calls_to(method)

    def result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "상담봇", "username": "test_consult_bot"}
        if method == "sendMessage":
            return {
                "message_id": next(self.message_ids), "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params["text"],
            }
        if method == "getUpdates":
            updates, self.updates = self.updates, []
            return updates
        return True

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {}
            for key, value in (await request.post()).items():
                try:
                    params[key] = json.loads(value)
                except (TypeError, ValueError):
                    params[key] = value
        self.calls.append(ApiCall(method, params))
        queued = self.failures.get(method)
        if queued:
            status, body = queued.pop(0)
            return web.json_response(body, status=status)
        return web.json_response({"ok": True, "result": self.result(method, params)})


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server on 127.0.0.1 for one test."""
    api = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    api.url = f"http://127.0.0.1:{port}"
    yield api
    await runner.cleanup()


Handler = Callable[[UserMessage], Awaitable[Any]]


@asynccontextmanager
async def serve_channels(
    channels: list[InputChannel], handler: Handler, port: int | None = None, cors: list[str] | None = None
) -> AsyncIterator[str]:
    """Serve input channels on a Sanic app like `rasa run --cors ...` does, with `handler` in place of Rasa's agent.

    Leaving the context drops every open connection, as a server that stops would.
    """
    Sanic.test_mode = True
    app = Sanic(f"channels-test-{next(_app_numbers)}")
    if cors is not None:
        configure_cors(app, cors)
    for channel in channels:
        app.blueprint(channel.blueprint(handler), url_prefix=urljoin("/webhooks/", channel.url_prefix()))
    port = port or free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        for connection in list(server.connections):
            connection.abort()
        await server.wait_closed()
        await server.after_stop()


_app_numbers = itertools.count()


def source_card(program_id: str = "emergency-management-stabilization") -> tuple[dict[str, Any], dict[str, str]]:
    """A real program card as the actions send it (text naming its source, follow-up buttons, the source's link
    button) and that link button: {"title": "<publisher> <year>년", "url": "https://…"}."""
    from actions import render
    from knowledge_base.answering import first_sources
    from knowledge_base.documents import load_programs

    program = next(program for program in load_programs() if program.program_id == program_id)
    [link] = render.link_buttons(first_sources(program))
    return {"text": render.program_text(program), "buttons": [*render.detail_buttons(program_id), link]}, link


async def echo_bot(message: UserMessage) -> None:
    """A stand-in for Rasa: echoes text, offers buttons for '버튼', answers at length for '긴 답변'."""
    if message.text == "버튼":
        await message.output_channel.send_response(message.sender_id, {
            "text": "업종을 골라 주세요.",
            "buttons": [
                {"title": "제조업", "payload": '/inform{"industry":"제조업"}'},
                {"title": "도매 및 소매업", "payload": '/inform{"industry":"도매 및 소매업"}'},
            ],
        })
    elif message.text == "긴 답변":
        await message.output_channel.send_response(message.sender_id, {"text": "가나다라마바사 " * 1200})
    elif message.text == "오류":
        raise RuntimeError("boom")
    else:
        await message.output_channel.send_response(message.sender_id, {"text": f"에코: {message.text}"})


class ThreadedBotApi(FakeBotApi):
    """The fake Bot API in a thread of its own, for servers that outlive one test's event loop."""

    def start(self) -> ThreadedBotApi:
        ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        port = free_port()

        async def serve() -> None:
            app = web.Application()
            app.router.add_post("/bot{token}/{method}", self.handle)
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", port).start()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="fake-bot-api", daemon=True)
        self.thread.start()
        ready.wait(10)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def message_update(text: str | None = None, chat_id: int = 42, chat_type: str = "private", **extra: Any) -> dict:
    """A Telegram Update with a message (text, or other content passed in `extra`)."""
    message = {
        "message_id": next(update_ids), "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type, **({"title": "모임"} if chat_type != "private" else {})},
        "from": {"id": chat_id, "is_bot": False, "first_name": "사장님"},
        **({"text": text} if text is not None else {}), **extra,
    }
    return {"update_id": next(update_ids), "message": message}


def callback_update(data: str, chat_id: int = 42) -> dict:
    """A pressed inline-keyboard button."""
    return {
        "update_id": next(update_ids),
        "callback_query": {
            "id": f"cb{next(update_ids)}", "chat_instance": "ci", "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "사장님"},
            "message": {"message_id": 7, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                        "text": "업종을 골라 주세요."},
        },
    }


class WidgetClient:
    """A socket.io client speaking the widget's protocol."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for event in ("session_confirm", "bot_uttered", "bot_done", "session_error", "connect_error"):
            self.sio.on(event, lambda data=None, event=event: self.events.put_nowait((event, data)))

    async def connect(self, url: str, origin: str | None = ALLOWED, wait: bool = True) -> None:
        headers = {"Origin": origin} if origin else {}
        # Long-polling only: engineio 4.15's websocket client needs aiohttp>=3.10 and Rasa pins 3.9.
        await self.sio.connect(url, headers=headers, transports=["polling"], wait=wait)

    async def close(self) -> None:
        """Leave at once: a polling client's graceful disconnect waits for the pending long-poll (~30 s)."""
        await self.sio.eio.disconnect(abort=True)

    async def next(self, timeout: float = 5.0) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def session(self, session_id: Any = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        event, data = await self.next()
        assert event == "session_confirm"
        return data

    async def say(self, data: Any, timeout: float = 5.0) -> list[dict]:
        """Send one user_uttered event; collect the bot messages until bot_done (each within `timeout` s)."""
        await self.sio.emit("user_uttered", data)
        messages = []
        while True:
            event, payload = await self.next(timeout)
            if event == "bot_done":
                return messages
            assert event == "bot_uttered", (event, payload)
            messages.append(payload)
