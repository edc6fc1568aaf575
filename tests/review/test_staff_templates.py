"""The staff pages come from Jinja2 templates (bot/staff/templates): every page extends the layout (style and
navigation), conversation text is escaped wherever it is shown, every post form carries the CSRF field, and a
variable a handler forgets to pass fails the page loudly instead of leaving a hole (aiohttp test client over a real
SQLite tracker database)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import jinja2
import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.paths import DOMAIN_FILE
from bot.server.tracker_store import MaskingSQLTrackerStore
from bot.staff import analytics, handoff, pages
from bot.staff.store import QueueFilter, queue
from bot.staff.web import create_app
from tests.review.conftest import _user

TOKEN = "test-token-0123456789abcdef"
STAFF = Path(pages.__file__).parent
TEMPLATES = STAFF / "templates"
HOSTILE = "<script>alert('x')</script> 정책자금 문의"
HOSTILE_REPLY = "<img src=x onerror=alert(1)> 잘 모르겠어요"
NAVIGATION = ["검토 대기열", "상담원 연결", "통계", "모델", "감사 로그"]
PARTS = {"macros.html", "layout.html"}  # included by the pages, not pages themselves


@pytest.fixture
async def hostile_db(tmp_path: Path) -> str:
    """A tracker database whose conversation, bot reply and handoff hold markup."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = MaskingSQLTrackerStore(domain=Domain.load(str(DOMAIN_FILE)), host=url)
    tracker = DialogueStateTracker("owner-<b>hostile</b>", store.domain.slots)
    for event in [ActionExecuted("action_listen"), _user(HOSTILE, "nlu_fallback", 0.3, "socketio"),
                  ActionExecuted("action_default_fallback"), BotUttered(HOSTILE_REPLY),
                  ActionExecuted("action_listen")]:
        tracker.update(event)
    await store.save(tracker)
    store.engine.dispose()
    handoff.create_handoff("owner-<b>hostile</b>", "socketio", HOSTILE, [{"from": "user", "text": HOSTILE}],
                           "request", url=url)
    return url


@pytest.fixture
async def client(hostile_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_ENV", "production")
    monkeypatch.setenv("KB_STAFF_GUIDES_DIR", str(tmp_path / "staff_guides"))
    async with TestClient(TestServer(create_app(rasa_url="http://127.0.0.1:9", db_url=hostile_db))) as test_client:
        login = await test_client.post("/login", data={"name": "<i>김상담</i>", "token": TOKEN}, allow_redirects=False)
        assert login.status == 302
        yield test_client


def _pages(db: str) -> list[str]:
    event_id = queue(QueueFilter(), db)[0].event_id
    return ["/queue", f"/turn/{event_id}", f"/turn/{event_id}/answer", "/handoffs", "/analytics", "/models", "/audit"]


async def test_conversation_text_is_escaped_on_every_page(client: TestClient, hostile_db: str) -> None:
    for path in _pages(hostile_db):
        response = await client.get(path)
        page = await response.text()
        assert response.status == 200, (path, page)
        assert "<script" not in page and "<img" not in page and "<b>hostile" not in page and "<i>" not in page, path
        assert "&lt;i&gt;김상담&lt;/i&gt;" in page, f"{path}: the staff name in the navigation is escaped"
    turn = await (await client.get(_pages(hostile_db)[1])).text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 정책자금 문의" in turn
    assert "&lt;img src=x onerror=alert(1)&gt; 잘 모르겠어요" in turn and "owner-&lt;b&gt;hostile&lt;/b&gt;" in turn
    assert "value='&lt;script&gt;alert(&#39;x&#39;)" in turn, "inside an attribute too (the entity form)"
    assert "&lt;script&gt;" in await (await client.get("/handoffs")).text()


async def test_a_flash_message_and_an_error_are_escaped(client: TestClient) -> None:
    flashed = await (await client.get("/queue", params={"msg": "<script>x</script>"})).text()
    assert "<p class='msg'>&lt;script&gt;x&lt;/script&gt;</p>" in flashed
    error = await client.get("/queue", params={"from": "<script>"})
    assert error.status == 400 and "<script" not in await error.text() and "&lt;script&gt;" in await error.text()


async def test_every_page_extends_the_layout_with_the_navigation(client: TestClient, hostile_db: str) -> None:
    for path in _pages(hostile_db):
        page = await (await client.get(path)).text()
        assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>"), path
        assert "<style>" in page and "· 상담 검토</title>" in page and "<h1>" in page, path
        nav = re.search(r"<nav>(.*?)</nav>", page, re.S)
        assert nav and [label for label in NAVIGATION if label in nav.group(1)] == NAVIGATION, path
        assert "로그아웃 (" in nav.group(1), path


async def test_pages_before_login_use_the_layout_without_navigation(hostile_db: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    async with TestClient(TestServer(create_app(db_url=hostile_db))) as test_client:
        login = await (await test_client.get("/login")).text()
        refused = await test_client.post("/queue", data={})
        for page in (login, await refused.text()):
            assert page.startswith("<!doctype html>") and "<style>" in page and "<nav>" not in page
        assert "<h1>직원 로그인</h1>" in login
        assert refused.status == 401 and "로그인이 필요합니다" in await refused.text()


async def test_every_post_form_carries_the_csrf_field(client: TestClient, hostile_db: str) -> None:
    for path in _pages(hostile_db):
        page = await (await client.get(path)).text()
        forms = re.findall(r"<form[^>]*method='post'[^>]*>.*?</form>", page, re.S)
        unprotected = [form for form in forms if "name='csrf'" not in form and "logout" not in form]
        assert forms and unprotected == [], path


def test_every_page_template_extends_the_layout_and_none_turns_escaping_off() -> None:
    names = sorted(path.name for path in TEMPLATES.glob("*.html"))
    assert set(names) > PARTS and len(names) >= 10
    for name in names:
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", "") and "autoescape" not in source, name
        if name not in PARTS:
            assert '{% extends "layout.html" %}' in source, name
        pages.TEMPLATES.get_template(name)  # compiles


def test_no_html_is_built_in_python() -> None:
    for path in sorted(STAFF.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        tags = re.findall(r"<(?:p|tr|td|th|table|form|input|select|option|a|pre|div|span|h[12]|nav|html)[ >]", source)
        assert tags == [], f"{path.name}: {tags}"
        if path.name != "web.py":
            assert "Markup" not in source, path.name


def test_the_environment_escapes_and_a_missing_variable_fails_loudly() -> None:
    assert pages.TEMPLATES.autoescape is True and pages.TEMPLATES.undefined is jinja2.StrictUndefined
    template = pages.TEMPLATES.get_template("audit.html")
    context = {"who": "kim", "csrf": "0" * 32, "flash": "", "url": lambda *args, **kwargs: "/",
               "kst": lambda moment, seconds=False: str(moment)}
    assert "<td>&lt;b&gt;</td>" in template.render(rows=[{"at": "t", "who": "<b>", "action": "a", "target": None,
                                                           "detail": None}], **context)
    with pytest.raises(jinja2.UndefinedError, match="rows"):
        template.render(**context)


async def test_a_handler_that_forgets_a_variable_gets_an_error_not_a_page(client: TestClient,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = pages.render

    def forgetful(request, template, status=200, **context):  # noqa: ANN001, ANN202
        context.pop("rows", None)
        return real(request, template, status, **context)

    monkeypatch.setattr("bot.staff.web.render", forgetful)
    assert (await client.get("/audit")).status == 500


def test_chart_labels_are_escaped_by_matplotlib() -> None:
    svg = analytics.bar_chart(Counter({"<script>alert(1)</script>": 3, "a & b": 1}), "<b>제목</b>")
    assert "<script" not in svg and "<b>" not in svg and "&lt;script&gt;" in svg
