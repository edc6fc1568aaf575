"""Rendering of the staff pages: one Jinja2 environment over bot/staff/templates (autoescaped, strict about missing
variables), the `render` that every page goes through, and the helpers the templates and handlers share — named
route URLs, the CSRF token, times in KST, redirects with a flash message."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from functools import partial
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.staff.store import DECISIONS, KST, REASONS, ReviewError

CONFIG: web.AppKey[dict[str, Any]] = web.AppKey("staff_config", dict)


def _blank_none(value: Any) -> Any:
    """`{{ None }}` prints nothing (as an empty table cell), not "None"."""
    return "" if value is None else value


TEMPLATES = Environment(
    loader=PackageLoader("bot.staff", "templates"),
    autoescape=True,  # every variable is HTML-escaped; no template marks user or conversation text safe
    undefined=StrictUndefined,  # a variable a handler forgot to pass fails the page, it is not left out silently
    finalize=_blank_none,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals.update(REASONS=REASONS, DECISIONS=DECISIONS)


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


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A staff page from its template (which extends layout.html: style, navigation, title, flash message).

    Every template also sees `who` (the logged-in staff name or None), `csrf` (the form token of that name),
    `flash` (the `msg` query parameter), `url(name, query, **parts)` and `kst(time)`."""
    who = request.get("who")
    text = TEMPLATES.get_template(template).render(
        who=who, csrf=csrf_token(request, who) if who else "", flash=request.query.get("msg", ""),
        url=partial(url, request), kst=kst, **context)
    return web.Response(text=text, content_type="text/html", status=status)


def message_page(request: web.Request, title: str, message: str, status: int) -> web.Response:
    """A page that only says what went wrong (refusals, errors)."""
    return render(request, "message.html", status=status, title=title, message=message)


def redirect(request: web.Request, name: str, message: str, **parts: Any) -> web.HTTPFound:
    """Redirect to a named page with a flash message."""
    return web.HTTPFound(url(request, name, {"msg": message}, **parts))


def int_field(value: str) -> int:
    try:
        return int(value)
    except ValueError as error:
        raise ReviewError(f"번호가 올바르지 않습니다: {value!r}") from error
