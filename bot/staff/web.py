"""Staff pages (aiohttp sub-application mounted at /staff by bot/deploy/website.py), in Korean: review queue, turn
review, export, handoff inbox, analytics, model registry with a retrain button, and the audit log.

Access needs the staff token (env STAFF_TOKEN: one token, or `name:token,name:token` for personal tokens). With
BOT_ENV=production and no token the pages refuse to serve (503); in development a random token is printed at start.
After LOGIN_MAX_FAILURES wrong tokens from one client address within LOGIN_WINDOW seconds (login form or bearer
header), that address is locked out for LOGIN_LOCKOUT seconds (429); failures and lock-outs go to the audit log.
"""

from __future__ import annotations

import hmac
import html
import logging
import math
import os
import secrets
import subprocess
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import desc, select

from bot.paths import REPO_ROOT, VAR_DIR
from bot.server.database import tracker_db_url
from bot.server.rasa_api import default_rasa_url
from bot.staff import analytics, handoff
from bot.staff.export import export
from bot.staff.inbox import take_or_release
from bot.staff.pages import (
    CONFIG,
    badges,
    csrf_token,
    esc,
    int_field,
    kst,
    options,
    page,
    post_form,
    redirect,
    sign,
    url,
)
from bot.staff.retrain import is_running
from bot.staff.store import (
    DECISIONS,
    KST,
    REASONS,
    QueueFilter,
    ReviewError,
    annotate,
    audit_log,
    decide,
    domain_names,
    engine,
    get_turn,
    log_action,
    parse_day,
    queue,
    registry,
)
from channels.limits import client_ip, parse_networks

logger = logging.getLogger(__name__)
COOKIE = "staff_session"
MIN_PRODUCTION_TOKEN = 16
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = 15 * 60.0
LOGIN_LOCKOUT = 15 * 60.0
LOCAL_PROXIES = parse_networks("127.0.0.1 ::1")
STATUS_LABELS = {"pending": "미검토", "reviewed": "검토 완료", "all": "전체"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- configuration and authentication --------------------------------------------------------------------------


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
    response = page(request, "로그인 제한", "<p class='msg err'>잘못된 토큰 입력이 너무 많습니다. "
                    f"{math.ceil(wait / 60)}분 뒤에 다시 시도해 주세요.</p>", status=429)
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
        return page(request, "사용 불가", f"<p class='msg err'>{html.escape(config['disabled'])}</p>", status=503)
    route = request.match_info.route.name
    presents_token = "Authorization" in request.headers or (route == "login" and request.method == "POST")
    if presents_token and (locked := _locked_out(request)) is not None:
        return locked
    if route not in ("login", "logout"):
        who = _who(request)
        if who is None:
            if request.method == "GET":
                raise web.HTTPFound(url(request, "login"))
            return page(request, "로그인 필요", "<p class='msg err'>로그인이 필요합니다.</p>", status=401)
        request["who"] = who
        if request.method == "POST" and "Authorization" not in request.headers:
            form = await request.post()
            if not hmac.compare_digest(str(form.get("csrf", "")), csrf_token(request, who)):
                return page(request, "요청 거부", "<p class='msg err'>요청이 만료되었습니다. 다시 시도해 주세요.</p>",
                            status=403)
    try:
        response = await handler(request)
    except ReviewError as error:
        response = page(request, "오류", f"<p class='msg err'>{html.escape(str(error))}</p>", status=400)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
    return response


# --- HTML helpers -----------------------------------------------------------------------------------------------


# --- pages ------------------------------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    error = ""
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
        error = "<p class='msg err'>토큰 또는 이름이 올바르지 않습니다.</p>"
    body = (f"{error}<form method='post'><p><label>이름 <input name='name' maxlength='40' autocomplete='username'>"
            "</label></p><p><label>직원 토큰 <input name='token' type='password' autocomplete='current-password'>"
            "</label></p><button>로그인</button></form>")
    return page(request, "직원 로그인", body, status=401 if error else 200)


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPFound(url(request, "login"))
    response.del_cookie(COOKIE, path=url(request, "index"))
    raise response


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound(url(request, "queue"))


def _filters(request: web.Request) -> QueueFilter:
    query = request.query
    return QueueFilter(since=parse_day(query.get("from")), until=parse_day(query.get("to")),
                       channel=query.get("channel") or None, intent=query.get("intent") or None,
                       reason=query.get("reason") or None, status=query.get("status") or "pending")


def _decision(decision: dict[str, Any]) -> str:
    """A decision's label with the intent it set (an `answered` decision sets none)."""
    label = DECISIONS.get(decision["decision"], decision["decision"])
    return f"{label} → {esc(decision['intent'])}" if decision.get("intent") else label


async def queue_page(request: web.Request) -> web.Response:
    filters, db = _filters(request), request.app[CONFIG]["db"]
    turns = queue(filters, db)
    intents = [*domain_names()[0], "nlu_fallback"]
    q = request.query
    form = (
        "<form method='get'>"
        f"기간 <input type='date' name='from' value='{esc(q.get('from'))}'> ~ "
        f"<input type='date' name='to' value='{esc(q.get('to'))}'> "
        f"채널 <select name='channel'>{options(['rest', 'socketio', 'telegram'], filters.channel)}</select> "
        f"의도 <select name='intent'>{options(intents, filters.intent)}</select> "
        f"사유 <select name='reason'>{options(list(REASONS), filters.reason, REASONS)}</select> "
        f"상태 <select name='status'>{options(list(STATUS_LABELS), filters.status, STATUS_LABELS, blank='')}</select> "
        "<button>조회</button></form>"
    )
    rows = []
    for turn in turns[:500]:
        confidence = f"{turn.confidence:.2f}" if turn.confidence is not None else "-"
        decision = turn.decision
        state = f"{_decision(decision)} ({esc(decision['reviewed_by'])})" if decision else "미검토"
        answer = (f" · <a href='{url(request, 'answer', event_id=turn.event_id)}'>답변 작성</a>"
                  if "unanswered" in turn.reasons else "")
        rows.append(
            f"<tr><td>{turn.when:%Y-%m-%d %H:%M}</td><td>{esc(turn.channel)}</td><td>{esc(turn.text)}</td>"
            f"<td>{esc(turn.predicted_intent)} ({confidence})</td><td>{badges(turn.reasons)}"
            f"{' 👎' if turn.rating == 'down' else ''}</td><td>{state}</td>"
            f"<td><a href='{url(request, 'turn', event_id=turn.event_id)}'>검토</a>{answer}</td></tr>")
    export_form = post_form(request, url(request, "export"), "", "확인된 예문 내보내기 (reviewed_examples.yml)")
    body = (f"{form}<p>{len(turns)}건 {export_form}</p><table><tr><th>시각(KST)</th><th>채널</th><th>사용자 메시지</th>"
            f"<th>예측 의도(확신도)</th><th>사유</th><th>검토</th><th></th></tr>{''.join(rows)}</table>")
    return page(request, "검토 대기열", body)


async def turn_page(request: web.Request) -> web.Response:
    event_id = int_field(request.match_info["event_id"])
    db = request.app[CONFIG]["db"]
    if request.method == "POST":
        form = await request.post()
        action = str(form.get("action", ""))
        try:
            decide(event_id, action, request["who"], intent=str(form.get("intent", "")) or None,
                   annotated=str(form.get("annotated", "")), url=db)
        except ReviewError as error:
            raise redirect(request, "turn", f"오류: {error}", event_id=event_id) from error
        raise redirect(request, "queue", f"턴 {event_id}: {DECISIONS.get(action, action)} 완료")
    turn, conversation = get_turn(event_id, db)
    chat = []
    for item in conversation:
        focus = " class='user focus'" if item.event_id == event_id else " class='user'"
        confidence = f"{item.confidence:.2f}" if item.confidence is not None else ""
        rating = {"up": " 👍", "down": " 👎"}.get(item.rating or "", "")
        chat.append(f"<tr{focus}><td>{item.when:%m-%d %H:%M}</td><td>👤 {esc(item.text)}</td>"
                    f"<td>{esc(item.intent)} {confidence} {badges(item.reasons)}{rating}</td></tr>")
        chat += [f"<tr class='bot'><td></td><td><pre>🤖 {esc(reply)}</pre></td><td></td></tr>"
                 for reply in item.bot_replies]
    ranking = ", ".join(f"{esc(r.get('name'))} {float(r.get('confidence') or 0):.2f}" for r in turn.ranking[:5])
    entities = turn.decision["entities"] if turn.decision else turn.entities
    current = (f"<p class='msg'>현재 결정: {_decision(turn.decision)} "
               f"({esc(turn.decision['reviewed_by'])}, {kst(turn.decision['reviewed_at'])})</p>"
               if turn.decision else "")
    action = url(request, "turn", event_id=event_id)
    intents = domain_names()[0]
    forms = [
        post_form(request, action, "<input type='hidden' name='action' value='confirm'>",
                  f"확인 ({esc(turn.predicted_intent)})"),
        post_form(request, action, "<input type='hidden' name='action' value='relabel'>"
                  f"<select name='intent'>{options(list(intents), turn.predicted_intent, blank='')}</select>",
                  "의도 수정"),
        post_form(request, action, "<input type='hidden' name='action' value='out_of_scope'>", "범위 밖으로 표시"),
        post_form(request, action, "<input type='hidden' name='action' value='dismiss'>", "제외 (학습에 쓰지 않음)"),
    ]
    entity_form = post_form(
        request, action, "<input type='hidden' name='action' value='entities'>"
        f"<input name='annotated' size='70' value='{esc(annotate(turn.text, entities))}'> ", "개체 수정")
    body = (
        f"{current}<h2>메시지</h2><p><b>{esc(turn.text)}</b></p><p>채널 {esc(turn.channel)}"
        f" · 대화 {esc(turn.sender_id)} · 예측 {esc(turn.predicted_intent)} · 순위: {ranking}</p>"
        f"<p>사유 {badges(turn.reasons)}</p>"
        f"<h2>결정</h2><p>{' '.join(forms)}</p><p>{entity_form}</p>"
        f"<p><a href='{url(request, 'answer', event_id=event_id)}'>미답변 질문 답변 작성</a>"
        " (답변과 출처를 쓰거나 기존 가이드로 연결)</p>"
        "<p>개체 표시법: <code>[서울](region)에서 [제조업](industry) 해요</code> · 정규화 값은 "
        "<code>[서울](region:서울특별시)</code></p>"
        f"<h2>대화 전체</h2><table class='chat'>{''.join(chat)}</table>"
    )
    return page(request, f"턴 {event_id} 검토", body)


async def export_action(request: web.Request) -> web.Response:
    result = export(request["who"], url=request.app[CONFIG]["db"])
    raise redirect(request, "queue", "내보내기 완료: " + result.summary())


async def handoffs_page(request: web.Request) -> web.Response:
    db = request.app[CONFIG]["db"]
    status = request.query.get("status", "open")
    if status not in (*handoff.STATUSES, "all"):
        raise ReviewError("상태는 open, taken, released, all 중 하나여야 합니다.")
    records = handoff.list_handoffs(None if status == "all" else status, url=db)
    labels = {"open": "대기", "taken": "상담 중", "released": "종료", "all": "전체"}
    tabs = " · ".join(f"<a href='{url(request, 'handoffs', {'status': s})}'>{labels[s]}</a>" for s in labels)
    rows = []
    for record in records:
        messages = "".join(f"<div>{esc(m.get('role', m.get('sender', '')))}: {esc(m.get('text'))}</div>"
                           for m in record.get("last_messages") or [] if isinstance(m, dict))
        buttons = ""
        if record["status"] == "open":
            buttons += post_form(request, url(request, "handoff_action", handoff_id=record["id"], verb="take"), "",
                                 "담당하기")
        if record["status"] in handoff.SILENT_STATUSES:
            buttons += post_form(request, url(request, "handoff_action", handoff_id=record["id"], verb="release"),
                                 "", "종료 (챗봇 재개)")
        rows.append(f"<tr><td>{record['id']}</td><td>{kst(record['created_at'])}</td><td>{esc(record['channel'])}</td>"
                    f"<td>{esc(record['sender_id'])}</td><td><pre>{esc(record['summary'])}</pre></td>"
                    f"<td>{messages}</td><td>{labels.get(record['status'], record['status'])}"
                    f" {esc(record.get('taken_by') or '')}</td><td>{buttons}</td></tr>")
    body = (f"<p>{tabs}</p><table><tr><th>#</th><th>요청 시각</th><th>채널</th><th>대화</th><th>요약</th>"
            f"<th>최근 메시지</th><th>상태</th><th></th></tr>{''.join(rows)}</table>")
    return page(request, "상담원 연결 요청함", body)


async def handoff_action(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    message = take_or_release(int_field(request.match_info["handoff_id"]), request.match_info["verb"], request["who"],
                              config["rasa_url"], config["db"])
    raise redirect(request, "handoffs", message)


async def analytics_page(request: web.Request) -> web.Response:
    today = datetime.now(KST).date()
    since = parse_day(request.query.get("from")) or today - timedelta(days=29)
    until = parse_day(request.query.get("to")) or today
    if since > until:
        raise ReviewError("시작일이 종료일보다 늦습니다.")
    result = analytics.compute(since, until, request.app[CONFIG]["db"])
    summary = (f"<p>대화 {result.conversations}건 · 사용자 메시지 {result.messages}건 · 폴백 비율 "
               f"{100 * result.fallback_rate:.1f}% · 상담원 연결 비율 {100 * result.handoff_rate:.1f}% · "
               f"평가 👍 {result.ratings.get('up', 0)} / 👎 {result.ratings.get('down', 0)}</p>")
    form = (f"<form method='get'>기간 <input type='date' name='from' value='{since}'> ~ "
            f"<input type='date' name='to' value='{until}'> <button>조회</button></form>")
    charts = "".join(f"<h2>{esc(title)}</h2>{svg}" for title, svg in analytics.charts(result).items())
    return page(request, "상담 통계", f"{form}{summary}<div class='charts'>{charts}</div>")


def _latest_retrain_log() -> Path | None:
    logs = sorted((VAR_DIR / "logs").glob("retrain-*.log"))
    return logs[-1] if logs else None


async def models_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    with engine(config["db"]).connect() as connection:
        rows = [dict(r) for r in connection.execute(select(registry).order_by(desc(registry.c.id)).limit(50))
                .mappings()]
    table = []
    for row in rows:
        scores = "<br>".join(f"{esc(name)}: 의도 F1 {s.get('intent_f1')} / 정확도 {s.get('intent_accuracy')}"
                             for name, s in (row["scores"] or {}).items())
        promoted = f"{kst(row['promoted_at'])} {esc(row['promoted_by'])}" if row["promoted_at"] else ""
        table.append(f"<tr><td>{row['id']}</td><td>{esc(Path(row['model']).name)}</td>"
                     f"<td>{kst(row['created_at'])}</td><td><code>{esc(row['data_hash'][:12])}</code></td>"
                     f"<td>{row['reviewed_examples']}</td><td>{scores}</td><td>{esc(row['decision'])}"
                     f"<pre>{esc(row['reasons'])}</pre></td><td>{promoted}</td><td>{esc(row['started_by'])}</td></tr>")
    running = is_running() or (config.get("process") is not None and config["process"].poll() is None)
    log = _latest_retrain_log()
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]) if log else ""
    button = ("<p class='msg'>재학습이 진행 중입니다. 잠시 후 새로고침해 주세요.</p>" if running else
              post_form(request, url(request, "retrain"), "", "검토 데이터로 재학습·평가·승격"))
    body = (f"{button}<table><tr><th>#</th><th>모델</th><th>학습 시각</th><th>데이터 해시</th><th>검토 예문</th>"
            f"<th>점수</th><th>결정</th><th>승격</th><th>실행자</th></tr>{''.join(table)}</table>"
            f"<h2>최근 재학습 로그</h2><pre>{esc(tail)}</pre>")
    return page(request, "모델 기록", body)


async def retrain_action(request: web.Request) -> web.Response:
    config, who = request.app[CONFIG], request["who"]
    if is_running() or (config.get("process") is not None and config["process"].poll() is None):
        raise redirect(request, "models", "재학습이 이미 진행 중입니다.")
    log_dir = VAR_DIR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"retrain-{datetime.now(KST):%Y%m%d-%H%M%S}.log"
    with log_path.open("wb") as log_file:
        config["process"] = subprocess.Popen(
            [sys.executable, "-m", "bot.staff.retrain", "--by", who, "--rasa-url", config["rasa_url"]],
            cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TRACKER_DB_URL": config["db"]})
    log_action(who, "retrain:request", None, {"log": log_path.name}, config["db"])
    raise redirect(request, "models", "재학습을 시작했습니다. 몇 분 뒤 결과가 이 표에 나타납니다.")


async def audit_page(request: web.Request) -> web.Response:
    rows = "".join(f"<tr><td>{kst(r['at'], seconds=True)}</td>"
                   f"<td>{esc(r['who'])}</td><td>{esc(r['action'])}</td><td>{esc(r['target'])}</td>"
                   f"<td>{esc(r['detail'])}</td></tr>" for r in audit_log(url=request.app[CONFIG]["db"]))
    return page(request, "직원 작업 기록",
                f"<table><tr><th>시각</th><th>직원</th><th>작업</th><th>대상</th><th>내용</th></tr>{rows}</table>")


def create_app(rasa_url: str | None = None, db_url: str | None = None) -> web.Application:
    """The staff sub-application (Rasa HTTP API at `rasa_url` or env RASA_URL; tracker DB at `db_url`)."""
    tokens, disabled = load_tokens()
    if disabled:
        logger.error(disabled)
    app = web.Application(middlewares=[guard], client_max_size=256 * 1024)
    app[CONFIG] = {"tokens": tokens, "disabled": disabled, "secret": secrets.token_bytes(32),
                   "rasa_url": rasa_url or default_rasa_url(),
                   "db": tracker_db_url(db_url), "process": None, "login_limiter": LoginLimiter()}
    app.router.add_get("/", index, name="index")
    app.router.add_route("*", "/login", login_page, name="login")
    app.router.add_post("/logout", logout, name="logout")
    app.router.add_get("/queue", queue_page, name="queue")
    app.router.add_route("*", "/turn/{event_id}", turn_page, name="turn")
    app.router.add_post("/export", export_action, name="export")
    app.router.add_get("/handoffs", handoffs_page, name="handoffs")
    app.router.add_post("/handoffs/{handoff_id}/{verb}", handoff_action, name="handoff_action")
    app.router.add_get("/analytics", analytics_page, name="analytics")
    app.router.add_get("/models", models_page, name="models")
    app.router.add_post("/retrain", retrain_action, name="retrain")
    app.router.add_get("/audit", audit_page, name="audit")
    from bot.staff.answers import add_routes  # it uses this module's page helpers

    add_routes(app)
    return app

