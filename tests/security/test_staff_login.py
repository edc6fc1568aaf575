"""Staff login limit: repeated wrong tokens from one client address lock that address out (429, Korean message,
audit entries) for a while, without locking out other addresses or the right token once the lock-out ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bot.staff.auth import LOGIN_LOCKOUT, LOGIN_MAX_FAILURES, LoginLimiter, client_address
from bot.staff.pages import CONFIG
from bot.staff.records import audit_log
from bot.staff.web import create_app

TOKEN = "staff-token-0123456789abcdef"
ATTACKER = {"X-Forwarded-For": "203.0.113.7"}
COLLEAGUE = {"X-Forwarded-For": "198.51.100.20"}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(db_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_ENV", "production")
    app = create_app(rasa_url="http://127.0.0.1:9", db_url=db_url)
    app[CONFIG]["login_limiter"] = LoginLimiter(clock=clock)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def _login(client: TestClient, token: str, headers: dict[str, str]) -> int:
    response = await client.post("/login", data={"name": "김상담", "token": token}, headers=headers,
                                 allow_redirects=False)
    return response.status


async def test_repeated_wrong_tokens_lock_out_the_address(client: TestClient, clock: FakeClock, db_url: str) -> None:
    for _ in range(LOGIN_MAX_FAILURES - 1):
        assert await _login(client, "wrong-guess", ATTACKER) == 401
    locked = await client.post("/login", data={"name": "김상담", "token": "wrong-guess"}, headers=ATTACKER)
    assert locked.status == 429
    assert "잘못된 토큰 입력이 너무 많습니다" in await locked.text()
    assert int(locked.headers["Retry-After"]) == LOGIN_LOCKOUT

    assert await _login(client, TOKEN, ATTACKER) == 429, "the right token must not get through a lock-out"
    bearer = await client.get("/queue", headers={**ATTACKER, "Authorization": f"Bearer {TOKEN}"})
    assert bearer.status == 429
    assert await _login(client, TOKEN, COLLEAGUE) == 302, "other addresses keep working"

    actions = [(row["action"], row["target"]) for row in audit_log(url=db_url)]
    assert actions.count(("login_failed", "203.0.113.7")) == LOGIN_MAX_FAILURES
    assert actions.count(("login_locked", "203.0.113.7")) == 1
    assert ("login", None) in actions

    clock.now += LOGIN_LOCKOUT + 1
    assert await _login(client, TOKEN, ATTACKER) == 302


async def test_wrong_bearer_tokens_count_too(client: TestClient, db_url: str) -> None:
    for _ in range(LOGIN_MAX_FAILURES):
        response = await client.get("/queue", headers={**ATTACKER, "Authorization": "Bearer guess"},
                                    allow_redirects=False)
        assert response.status == 302
    assert await _login(client, TOKEN, ATTACKER) == 429
    assert ("login_locked", "203.0.113.7") in [(row["action"], row["target"]) for row in audit_log(url=db_url)]


async def test_failures_outside_the_window_are_forgotten(client: TestClient, clock: FakeClock) -> None:
    for _ in range(LOGIN_MAX_FAILURES - 1):
        assert await _login(client, "wrong-guess", ATTACKER) == 401
    clock.now += LoginLimiter().window + 1
    assert await _login(client, "wrong-guess", ATTACKER) == 401
    assert await _login(client, TOKEN, ATTACKER) == 302


async def test_a_successful_login_resets_the_count(client: TestClient) -> None:
    for _ in range(LOGIN_MAX_FAILURES - 1):
        assert await _login(client, "wrong-guess", ATTACKER) == 401
    assert await _login(client, TOKEN, ATTACKER) == 302
    for _ in range(LOGIN_MAX_FAILURES - 1):
        assert await _login(client, "wrong-guess", ATTACKER) == 401


def test_forwarded_address_is_trusted_only_from_a_local_proxy() -> None:
    def request(peer: str, forwarded: str) -> web.Request:
        transport = mock.Mock()
        transport.get_extra_info.return_value = (peer, 40000)
        return make_mocked_request("GET", "/", headers={"X-Forwarded-For": forwarded}, transport=transport)

    assert client_address(request("127.0.0.1", "10.0.0.1, 203.0.113.7")) == "203.0.113.7"
    assert client_address(request("198.51.100.20", "203.0.113.7")) == "198.51.100.20"


def test_stale_addresses_are_pruned() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(max_tracked=3, clock=clock)
    for address in ("a", "b", "c"):
        limiter.fail(address)
    clock.now += limiter.window + 1
    limiter.fail("d")
    assert set(limiter.failures) == {"d"}
