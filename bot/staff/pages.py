"""HTML helpers of the staff pages: the page frame and style, links, forms with their CSRF field, escaping, times
in KST; shared by the review pages (web.py) and the answer pages (answers.py)."""

from __future__ import annotations

import hashlib
import hmac
import html
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from bot.staff.store import KST, REASONS, ReviewError

CONFIG: web.AppKey[dict[str, Any]] = web.AppKey("staff_config", dict)


STYLE = """
body{font-family:'Noto Sans KR','Noto Sans CJK KR','Malgun Gothic',sans-serif;margin:0;color:#222;background:#f6f7f9}
nav{background:#12355b;padding:.6em 1em}nav a{color:#fff;margin-right:1.2em;text-decoration:none}
main{padding:1em 1.5em;max-width:1200px}table{border-collapse:collapse;width:100%;background:#fff}
td,th{border:1px solid #dde;padding:.35em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#eef1f6}.badge{display:inline-block;background:#e3ecf7;border-radius:.6em;padding:0 .5em;margin:1px;
font-size:.85em}.warn{background:#fde2e1}.msg{background:#fff7d6;border:1px solid #eed27a;padding:.5em;margin:.5em 0}
.err{background:#fde2e1;border-color:#e99}.user{background:#eef6ff}.bot{background:#fff}.focus{outline:3px solid #f0a}
form.inline{display:inline}button{margin:2px;padding:.25em .7em}input,select{padding:.2em}
.chat td{border:none;border-bottom:1px solid #eee}.charts svg{max-width:100%;height:auto;background:#fff;margin:.5em 0}
pre{white-space:pre-wrap;margin:0}
"""


def sign(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request, who: str) -> str:
    return sign(request.app[CONFIG]["secret"], "csrf|" + who)[:32]


def url(request: web.Request, name: str, query: dict[str, Any] | None = None, **parts: Any) -> str:
    """URL of a named staff route (with the /staff prefix when mounted)."""
    target = request.app.router[name].url_for(**{k: str(v) for k, v in parts.items()})
    if query:
        target = target.with_query({k: str(v) for k, v in query.items() if v not in (None, "")})
    return str(target)


def kst(moment: datetime | None, seconds: bool = False) -> str:
    """KST text of a stored time (SQLite returns naive UTC datetimes)."""
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return f"{moment.astimezone(KST):%Y-%m-%d %H:%M{':%S' if seconds else ''}}"


def esc(value: Any) -> str:
    """HTML-escaped text of a value (empty for None)."""
    return "" if value is None else html.escape(str(value))


def page(request: web.Request, title: str, body: str, status: int = 200) -> web.Response:
    """A full staff page with the navigation bar."""
    nav = ""
    if request.get("who"):
        links = [("queue", "검토 대기열"), ("handoffs", "상담원 연결"), ("analytics", "통계"), ("models", "모델"),
                 ("audit", "감사 로그")]
        nav = "<nav>" + "".join(f"<a href='{url(request, n)}'>{t}</a>" for n, t in links)
        nav += (f"<form class='inline' method='post' action='{url(request, 'logout')}'>"
                f"<button>로그아웃 ({esc(request['who'])})</button></form></nav>")
    message = request.query.get("msg")
    flash = f"<p class='msg'>{esc(message)}</p>" if message else ""
    text = (f"<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>{esc(title)} · 상담 검토</title>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{STYLE}</style></head>"
            f"<body>{nav}<main><h1>{esc(title)}</h1>{flash}{body}</main></body></html>")
    return web.Response(text=text, content_type="text/html", status=status)


def post_form(request: web.Request, action: str, fields: str, button: str) -> str:
    """An inline POST form with the CSRF field."""
    return (f"<form class='inline' method='post' action='{action}'>"
            f"<input type='hidden' name='csrf' value='{csrf_token(request, request['who'])}'>{fields}"
            f"<button>{button}</button></form>")


def options(values: list[str], selected: str | None, labels: dict[str, str] | None = None, blank: str = "전체") -> str:
    """<option> list with an empty first choice."""
    items = [f"<option value=''>{blank}</option>"] if blank else []
    for value in values:
        mark = " selected" if value == selected else ""
        items.append(f"<option value='{esc(value)}'{mark}>{esc((labels or {}).get(value, value))}</option>")
    return "".join(items)


def redirect(request: web.Request, name: str, message: str, **parts: Any) -> web.HTTPFound:
    """Redirect to a named page with a flash message."""
    return web.HTTPFound(url(request, name, {"msg": message}, **parts))


def badges(reasons: list[str]) -> str:
    return "".join(f"<span class='badge warn'>{esc(REASONS.get(r, r))}</span>" for r in reasons)


def int_field(value: str) -> int:
    try:
        return int(value)
    except ValueError as error:
        raise ReviewError(f"번호가 올바르지 않습니다: {value!r}") from error
