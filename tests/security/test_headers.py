"""Security headers of the demo website and the staff pages (bot/deploy/website.py), errors and redirects included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.deploy.website import create_app

RASA_URL = "http://127.0.0.1:5005"
COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def directives(policy: str) -> dict[str, list[str]]:
    """`"a x y; b z"` → {"a": ["x", "y"], "b": ["z"]}."""
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.fixture
async def site(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    monkeypatch.setenv("STAFF_TOKEN", "staff-token-0123456789abcdef")
    async with TestClient(TestServer(create_app(RASA_URL))) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/widget.js", "/widget-config.json", "/index.html", "/no-such-page"])
async def test_the_website_sends_the_security_headers_on_every_answer(site: TestClient, path: str) -> None:
    answer = await site.get(path, allow_redirects=False)
    assert answer.status == (404 if path == "/no-such-page" else 200)
    assert {name: answer.headers.get(name) for name in COMMON} == COMMON
    policy = directives(answer.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # no inline or foreign scripts
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert set(policy["connect-src"]) == {"'self'", RASA_URL, "ws://127.0.0.1:5005"}  # the widget's socket.io
    assert "no-store" not in answer.headers.get("Cache-Control", "")


async def test_a_secure_rasa_url_is_allowed_over_https_and_wss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_TOKEN", "staff-token-0123456789abcdef")
    async with TestClient(TestServer(create_app("https://chat-api.example.go.kr"))) as client:
        answer = await client.get("/")
    connect = directives(answer.headers["Content-Security-Policy"])["connect-src"]
    assert set(connect) == {"'self'", "https://chat-api.example.go.kr", "wss://chat-api.example.go.kr"}


@pytest.mark.parametrize("path", ["/staff", "/staff/", "/staff/login", "/staff/queue", "/staff/no-such-page"])
async def test_staff_pages_are_never_cached_and_keep_their_stricter_policy(site: TestClient, path: str) -> None:
    answer = await site.get(path, allow_redirects=False)
    assert answer.status in (200, 302, 404)
    assert answer.headers["Cache-Control"] == "no-store"
    assert {name: answer.headers.get(name) for name in COMMON} == COMMON
    policy = directives(answer.headers["Content-Security-Policy"])
    assert RASA_URL not in policy.get("connect-src", [])  # the staff pages talk to nobody but their own server
    assert "'unsafe-inline'" not in policy.get("script-src", policy["default-src"])
