"""Staff pages (aiohttp sub-application mounted at /staff by bot/deploy/website.py), in Korean: review queue, turn
review, export, handoff inbox, analytics, model registry with a retrain button, and the audit log. `create_app`
builds the app; login and the `guard` middleware are in auth.py, the answer page in answers.py, and every page is a
template in bot/staff/templates rendered by pages.render.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from markupsafe import Markup

from bot.paths import REPO_ROOT, VAR_DIR
from bot.server.database import tracker_db_url
from bot.server.rasa_api import default_rasa_url
from bot.staff import analytics, answers, auth, handoff
from bot.staff.export import export
from bot.staff.inbox import take_or_release
from bot.staff.pages import CONFIG, int_field, redirect, render, url
from bot.staff.records import audit_log, log_action, model_records
from bot.staff.retrain import is_running
from bot.staff.store import (
    DECISIONS,
    KST,
    QueueFilter,
    ReviewError,
    annotate,
    decide,
    domain_names,
    get_turn,
    parse_day,
    queue,
)

logger = logging.getLogger(__name__)
STATUS_LABELS = {"pending": "미검토", "reviewed": "검토 완료", "all": "전체"}
CHANNELS = ["rest", "socketio", "telegram"]
HANDOFF_LABELS = {"open": "대기", "taken": "상담 중", "released": "종료", "all": "전체"}
QUEUE_SHOWN = 500


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound(url(request, "queue"))


def _filters(request: web.Request) -> QueueFilter:
    query = request.query
    return QueueFilter(since=parse_day(query.get("from")), until=parse_day(query.get("to")),
                       channel=query.get("channel") or None, intent=query.get("intent") or None,
                       reason=query.get("reason") or None, status=query.get("status") or "pending")


async def queue_page(request: web.Request) -> web.Response:
    filters = _filters(request)
    turns = queue(filters, request.app[CONFIG]["db"])
    return render(request, "queue.html", filters=filters, turns=turns[:QUEUE_SHOWN], total=len(turns),
                  since=request.query.get("from", ""), until=request.query.get("to", ""), channels=CHANNELS,
                  intents=[*domain_names()[0], "nlu_fallback"], statuses=STATUS_LABELS)


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
    entities = turn.decision["entities"] if turn.decision else turn.entities
    return render(request, "turn.html", turn=turn, conversation=conversation, intents=list(domain_names()[0]),
                  annotated=annotate(turn.text, entities))


async def export_action(request: web.Request) -> web.Response:
    result = export(request["who"], url=request.app[CONFIG]["db"])
    raise redirect(request, "queue", "내보내기 완료: " + result.summary())


async def handoffs_page(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    if status not in (*handoff.STATUSES, "all"):
        raise ReviewError("상태는 open, taken, released, all 중 하나여야 합니다.")
    records = handoff.list_handoffs(None if status == "all" else status, url=request.app[CONFIG]["db"])
    return render(request, "handoffs.html", records=records, labels=HANDOFF_LABELS,
                  silent_statuses=handoff.SILENT_STATUSES)


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
    # The charts are SVG markup drawn by matplotlib, which escapes every label it writes (intent names, channels,
    # program ids); they are the only markup a page takes from Python, and no conversation text is drawn in them.
    charts = {title: Markup(svg) for title, svg in analytics.charts(result).items()}
    return render(request, "analytics.html", since=since.isoformat(), until=until.isoformat(), result=result,
                  charts=charts)


def _latest_retrain_log() -> Path | None:
    logs = sorted((VAR_DIR / "logs").glob("retrain-*.log"))
    return logs[-1] if logs else None


def _retraining(config: dict) -> bool:
    return is_running() or (config.get("process") is not None and config["process"].poll() is None)


async def models_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    rows = [{**row, "model_name": Path(row["model"]).name} for row in model_records(url=config["db"])]
    log = _latest_retrain_log()
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]) if log else ""
    return render(request, "models.html", rows=rows, running=_retraining(config), log_tail=tail)


async def retrain_action(request: web.Request) -> web.Response:
    config, who = request.app[CONFIG], request["who"]
    if _retraining(config):
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
    return render(request, "audit.html", rows=audit_log(url=request.app[CONFIG]["db"]))


def create_app(rasa_url: str | None = None, db_url: str | None = None) -> web.Application:
    """The staff sub-application (Rasa HTTP API at `rasa_url` or env RASA_URL; tracker DB at `db_url`)."""
    tokens, disabled = auth.load_tokens()
    if disabled:
        logger.error(disabled)
    app = web.Application(middlewares=[auth.guard], client_max_size=256 * 1024)
    app[CONFIG] = {"tokens": tokens, "disabled": disabled, "secret": secrets.token_bytes(32),
                   "rasa_url": rasa_url or default_rasa_url(),
                   "db": tracker_db_url(db_url), "process": None, "login_limiter": auth.LoginLimiter()}
    app.router.add_get("/", index, name="index")
    auth.add_routes(app)
    app.router.add_get("/queue", queue_page, name="queue")
    app.router.add_route("*", "/turn/{event_id}", turn_page, name="turn")
    app.router.add_post("/export", export_action, name="export")
    app.router.add_get("/handoffs", handoffs_page, name="handoffs")
    app.router.add_post("/handoffs/{handoff_id}/{verb}", handoff_action, name="handoff_action")
    app.router.add_get("/analytics", analytics_page, name="analytics")
    app.router.add_get("/models", models_page, name="models")
    app.router.add_post("/retrain", retrain_action, name="retrain")
    app.router.add_get("/audit", audit_page, name="audit")
    answers.add_routes(app)
    return app
