"""Who may use the staff pages: the staff tokens from the environment, the login and logout pages with the signed
session cookie, the lock-out after too many wrong tokens, and the `guard` middleware in front of every page (login
required, CSRF field on every form post, security headers).

Access needs the staff token (env STAFF_TOKEN: one token, or `name:token,name:token` for personal tokens). With
BOT_ENV=production and no token the pages refuse to serve (503); in development a random token is printed at start.
After LOGIN_MAX_FAILURES wrong tokens from one client address within LOGIN_WINDOW seconds (login form or bearer
header), that address is locked out for LOGIN_LOCKOUT seconds (429); failures and lock-outs go to the audit log.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.paths import VAR_DIR
from bot.staff.pages import CONFIG, csrf_token, message_page, render, sign, url
from bot.staff.records import log_action
from bot.staff.store import ReviewError
from channels.limits import client_ip, parse_networks

logger = logging.getLogger(__name__)
COOKIE = "staff_session"
MIN_PRODUCTION_TOKEN = 16
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = 15 * 60.0
LOGIN_LOCKOUT = 15 * 60.0
LOCAL_PROXIES = parse_networks("127.0.0.1 ::1")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def load_tokens() -> tuple[dict[str, str | None], str | None]:
    """(token → fixed staff name or None, reason the pages are disabled or None) from the environment."""
    raw = os.environ.get("STAFF_TOKEN", "").strip()
    production = os.environ.get("BOT_ENV", "development").strip().lower() == "production"
    if not raw:
        if production:
            return {}, "STAFF_TOKEN이 설정되지 않아 상담 검토 페이지를 열 수 없습니다 (BOT_ENV=production)."
        token = secrets.token_urlsafe(18)
        VAR_DIR.mkdir(exist_ok=True)
        token_file = VAR_DIR / "staff_token"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        print(f"[staff] 개발용 상담 검토 토큰 (/staff 로그인): {token}  (var/staff_token에도 저장)", flush=True)
        return {token: None}, None
    tokens: dict[str, str | None] = {}
    for item in raw.split(","):
        name, _, token = item.strip().rpartition(":")
        if token:
            tokens[token] = name.strip() or None
    if production and any(len(token) < MIN_PRODUCTION_TOKEN for token in tokens):
        return {}, f"STAFF_TOKEN이 너무 짧습니다 (운영 모드에서는 {MIN_PRODUCTION_TOKEN}자 이상)."
    return tokens, None


@dataclass
class LoginLimiter:
    """Wrong staff tokens per client address: `max_failures` within `window` seconds lock it out for `lockout`."""

    max_failures: int = LOGIN_MAX_FAILURES
    window: float = LOGIN_WINDOW
    lockout: float = LOGIN_LOCKOUT
    clock: Callable[[], float] = time.monotonic
    max_tracked: int = 10_000
    failures: dict[str, deque[float]] = field(default_factory=dict)
    locked_until: dict[str, float] = field(default_factory=dict)

    def retry_after(self, address: str) -> float:
        """Seconds until `address` may try a token again (0 when it is not locked out)."""
        remaining = self.locked_until.get(address, 0.0) - self.clock()
        if remaining <= 0:
            self.locked_until.pop(address, None)
            return 0.0
        return remaining

    def fail(self, address: str) -> bool:
        """Count one wrong token; True when this failure locks the address out."""
        now = self.clock()
        if len(self.failures) >= self.max_tracked:
            self.failures = {a: f for a, f in self.failures.items() if f and f[-1] > now - self.window}
        recent = self.failures.setdefault(address, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        recent.append(now)
        if len(recent) < self.max_failures:
            return False
        del self.failures[address]
        self.locked_until[address] = now + self.lockout
        return True

    def succeed(self, address: str) -> None:
        """Forget the failures of an address that logged in."""
        self.failures.pop(address, None)


def client_address(request: web.Request) -> str:
    """The client's IP: the last X-Forwarded-For hop when the peer is a proxy on this machine (nginx), else the peer."""
    return client_ip(request.remote or "?", request.headers.get("X-Forwarded-For"), LOCAL_PROXIES)


def _locked_out(request: web.Request) -> web.Response | None:
    """The 429 page when the client's address is locked out after too many wrong tokens, else None."""
    wait = request.app[CONFIG]["login_limiter"].retry_after(client_address(request))
    if not wait:
        return None
    response = message_page(request, "로그인 제한", "잘못된 토큰 입력이 너무 많습니다. "
                            f"{math.ceil(wait / 60)}분 뒤에 다시 시도해 주세요.", status=429)
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response


def _token_failed(request: web.Request, name: str) -> None:
    """Audit a wrong token and count it against the client's address (audited again when that locks it out)."""
    config, address = request.app[CONFIG], client_address(request)
    log_action(name or "?", "login_failed", address, url=config["db"])
    limiter: LoginLimiter = config["login_limiter"]
    if limiter.fail(address):
        logger.warning("Staff login locked for %s after %d wrong tokens", address, limiter.max_failures)
        log_action(name or "?", "login_locked", address,
                   {"failures": limiter.max_failures, "lockout_seconds": limiter.lockout}, config["db"])


def _who(request: web.Request) -> str | None:
    """The logged-in staff name (session cookie, or a bearer token with header X-Staff-Name)."""
    config = request.app[CONFIG]
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
        for known, name in config["tokens"].items():
            if hmac.compare_digest(token, known):
                return name or request.headers.get("X-Staff-Name", "").strip()[:40] or "api"
        _token_failed(request, request.headers.get("X-Staff-Name", "").strip()[:40])
        return None
    name, _, signature = request.cookies.get(COOKIE, "").rpartition("|")
    if name and hmac.compare_digest(signature, sign(config["secret"], "session|" + name)):
        return name
    return None


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse when disabled or locked out; require a login; check the CSRF field of every form post; set security
    headers."""
    config = request.app[CONFIG]
    if config["disabled"]:
        return message_page(request, "사용 불가", config["disabled"], status=503)
    route = request.match_info.route.name
    presents_token = "Authorization" in request.headers or (route == "login" and request.method == "POST")
    if presents_token and (locked := _locked_out(request)) is not None:
        return locked
    if route not in ("login", "logout"):
        who = _who(request)
        if who is None:
            if request.method == "GET":
                raise web.HTTPFound(url(request, "login"))
            return message_page(request, "로그인 필요", "로그인이 필요합니다.", status=401)
        request["who"] = who
        if request.method == "POST" and "Authorization" not in request.headers:
            form = await request.post()
            if not hmac.compare_digest(str(form.get("csrf", "")), csrf_token(request, who)):
                return message_page(request, "요청 거부", "요청이 만료되었습니다. 다시 시도해 주세요.", status=403)
    try:
        response = await handler(request)
    except ReviewError as error:
        response = message_page(request, "오류", str(error), status=400)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
    return response


async def login_page(request: web.Request) -> web.Response:
    """GET: the login form; POST: check the name and token, set the session cookie and go to the queue."""
    error = False
    if request.method == "POST":
        form = await request.post()
        token, name = str(form.get("token", "")).strip(), str(form.get("name", "")).strip()[:40]
        config = request.app[CONFIG]
        fixed = next((n for t, n in config["tokens"].items() if hmac.compare_digest(token, t)), False)
        if fixed is not False and (fixed or name) and "|" not in (fixed or name):
            who = fixed or name
            config["login_limiter"].succeed(client_address(request))
            log_action(who, "login", url=config["db"])
            response = web.HTTPFound(url(request, "queue"))
            response.set_cookie(COOKIE, f"{who}|{sign(config['secret'], 'session|' + who)}", httponly=True,
                                samesite="Strict", path=url(request, "index"), secure=request.secure,
                                max_age=12 * 3600)
            raise response
        if fixed is False:
            _token_failed(request, name)
            if (locked := _locked_out(request)) is not None:
                return locked
        else:
            log_action(name or "?", "login_failed", client_address(request), url=config["db"])
        error = True
    return render(request, "login.html", status=401 if error else 200, error=error)


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPFound(url(request, "login"))
    response.del_cookie(COOKIE, path=url(request, "index"))
    raise response


def add_routes(app: web.Application) -> None:
    """Register the login and logout pages on the staff app."""
    app.router.add_route("*", "/login", login_page, name="login")
    app.router.add_post("/logout", logout, name="logout")
