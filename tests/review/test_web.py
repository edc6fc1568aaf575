"""Staff pages: token login, refusal in production without a token, review actions with CSRF, handoff inbox,
analytics charts and the audit log (aiohttp test client over a real SQLite tracker database)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.staff import handoff
from bot.staff.records import audit_log
from bot.staff.store import QueueFilter, queue
from bot.staff.web import create_app

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
async def client(logged_db: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_ENV", "production")
    async with TestClient(TestServer(create_app(rasa_url="http://127.0.0.1:9", db_url=logged_db))) as test_client:
        yield test_client


async def _login(client: TestClient, name: str = "김상담") -> None:
    response = await client.post("/login", data={"name": name, "token": TOKEN}, allow_redirects=False)
    assert response.status == 302


async def _csrf(client: TestClient, path: str) -> str:
    page = await (await client.get(path)).text()
    return re.search(r"name='csrf' value='([0-9a-f]+)'", page).group(1)


async def test_production_without_token_refuses(logged_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAFF_TOKEN", raising=False)
    monkeypatch.setenv("BOT_ENV", "production")
    async with TestClient(TestServer(create_app(db_url=logged_db))) as test_client:
        for path in ("/", "/login", "/queue"):
            response = await test_client.get(path)
            assert response.status == 503 and "STAFF_TOKEN" in await response.text()


async def test_production_refuses_a_short_token(logged_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_TOKEN", "short")
    monkeypatch.setenv("BOT_ENV", "production")
    async with TestClient(TestServer(create_app(db_url=logged_db))) as test_client:
        assert (await test_client.get("/queue")).status == 503


async def test_development_prints_a_random_token(logged_db: str, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("STAFF_TOKEN", raising=False)
    monkeypatch.setenv("BOT_ENV", "development")
    create_app(db_url=logged_db)
    token = re.search(r"토큰 \(/staff 로그인\): (\S+)", capsys.readouterr().out).group(1)
    async with TestClient(TestServer(create_app(db_url=logged_db))) as test_client:
        fresh = re.search(r"로그인\): (\S+)", capsys.readouterr().out).group(1)
        assert fresh != token
        response = await test_client.post("/login", data={"name": "dev", "token": fresh}, allow_redirects=False)
        assert response.status == 302


async def test_login_is_required(client: TestClient) -> None:
    response = await client.get("/queue", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].endswith("/login")
    assert (await client.post("/export", allow_redirects=False)).status == 401
    wrong = await client.post("/login", data={"name": "x", "token": "wrong"})
    assert wrong.status == 401 and "올바르지 않습니다" in await wrong.text()
    bearer = await client.get("/queue", headers={"Authorization": f"Bearer {TOKEN}", "X-Staff-Name": "api-bot"})
    assert bearer.status == 200


async def test_review_a_turn_from_the_queue(client: TestClient, logged_db: str, tmp_path: Path) -> None:
    await _login(client)
    page = await (await client.get("/queue")).text()
    assert "&lt;전화번호&gt;" in page and "010-1234-5678" not in page and "상담원 연결해 주세요" in page
    filtered = await (await client.get("/queue", params={"channel": "socketio", "reason": "fallback"})).text()
    assert "코인 선물 투자 상담해줘" in filtered and "상담원 연결해 주세요" not in filtered
    bad = await client.get("/queue", params={"from": "어제"})
    assert bad.status == 400 and "날짜 형식" in await bad.text()
    turn = next(t for t in queue(QueueFilter(), logged_db) if t.text == "코인 선물 투자 상담해줘")
    path = f"/turn/{turn.event_id}"
    detail = await (await client.get(path)).text()
    assert "죄송해요, 잘 이해하지 못했어요." in detail and "ask_investment_loan" in detail
    forged = await client.post(path, data={"action": "out_of_scope", "csrf": "0" * 32}, allow_redirects=False)
    assert forged.status == 403
    csrf = await _csrf(client, path)
    done = await client.post(path, data={"action": "out_of_scope", "csrf": csrf}, allow_redirects=False)
    assert done.status == 302
    assert queue(QueueFilter(status="reviewed"), logged_db)[0].decision["intent"] == "out_of_scope"
    wrong = await client.post(path, data={"action": "relabel", "intent": "nope", "csrf": csrf})
    assert wrong.status == 200 and "도메인에 없는 의도" in await wrong.text()
    assert (await client.get("/turn/abc")).status == 400
    assert (await client.get("/turn/99999")).status == 400
    exported = await client.post("/export", data={"csrf": csrf})
    assert "내보내기 완료" in await exported.text()
    assert "out_of_scope" in (tmp_path / "default_reviewed_examples.yml").read_text(encoding="utf-8") + (
        tmp_path / "default_reviewed_holdout.yml").read_text(encoding="utf-8")
    assert ("김상담", "review:out_of_scope") in [(r["who"], r["action"]) for r in audit_log(url=logged_db)]


async def test_handoff_inbox_take_and_release(client: TestClient, logged_db: str) -> None:
    handoff_id = handoff.create_handoff("owner-rest", "rest", "사유: 사용자 요청\n회사 정보: 서울 제조업",
                                        [{"from": "user", "text": "상담원 연결해 주세요"}], "request", url=logged_db)
    await _login(client, "이상담")
    inbox = await (await client.get("/handoffs")).text()
    assert "서울 제조업" in inbox and "담당하기" in inbox
    csrf = await _csrf(client, "/handoffs")
    taken = await client.post(f"/handoffs/{handoff_id}/take", data={"csrf": csrf})
    assert "담당합니다" in await taken.text()
    assert handoff.list_handoffs("taken", url=logged_db)[0]["taken_by"] == "이상담"
    again = await client.post(f"/handoffs/{handoff_id}/take", data={"csrf": csrf})
    assert again.status == 400
    released = await client.post(f"/handoffs/{handoff_id}/release", data={"csrf": csrf})
    assert "재개하지 못했습니다" in await released.text()  # no Rasa server in this test; the record is released
    assert handoff.list_handoffs("released", url=logged_db)[0]["id"] == handoff_id
    assert (await client.post("/handoffs/999/take", data={"csrf": csrf})).status == 400
    actions = [(r["who"], r["action"]) for r in audit_log(url=logged_db)]
    assert ("이상담", "handoff:take") in actions and ("이상담", "handoff:release") in actions


async def test_analytics_models_and_audit_pages(client: TestClient) -> None:
    await _login(client)
    page = await (await client.get("/analytics")).text()
    assert page.count("<svg") == 6 and "대화 2건" in page and "상담원 연결 비율 50.0%" in page
    assert (await client.get("/analytics", params={"from": "2025-02-01", "to": "2025-01-01"})).status == 400
    assert "재학습" in await (await client.get("/models")).text()
    audit = await (await client.get("/audit")).text()
    assert "김상담" in audit and "login" in audit


async def test_mounted_under_staff_like_the_demo_website(logged_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_TOKEN", TOKEN)
    root = web.Application()
    root.add_subapp("/staff", create_app(db_url=logged_db))
    async with TestClient(TestServer(root)) as test_client:
        response = await test_client.get("/staff/", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/staff/login"
        login = await test_client.post("/staff/login", data={"name": "kim", "token": TOKEN})
        assert login.status == 200 and "검토 대기열" in await login.text()


async def test_retrain_button_starts_one_background_retraining(client: TestClient, logged_db: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    started = []

    class FakeProcess:
        def __init__(self, command: list[str], **kwargs: object) -> None:
            started.append((command, kwargs["env"]))

        def poll(self) -> None:
            return None

    monkeypatch.setattr("bot.staff.web.subprocess.Popen", FakeProcess)
    monkeypatch.setattr("bot.staff.web.VAR_DIR", tmp_path)
    await _login(client, "박운영")
    csrf = await _csrf(client, "/models")
    first = await (await client.post("/retrain", data={"csrf": csrf})).text()
    assert "재학습을 시작했습니다" in first and "진행 중" in first
    second = await (await client.post("/retrain", data={"csrf": csrf})).text()
    assert "이미 진행 중" in second and len(started) == 1
    command, env = started[0]
    assert command[1:] == ["-m", "bot.staff.retrain", "--by", "박운영", "--rasa-url", "http://127.0.0.1:9"]
    assert env["TRACKER_DB_URL"] == logged_db
    assert ("박운영", "retrain:request") in [(r["who"], r["action"]) for r in audit_log(url=logged_db)]
