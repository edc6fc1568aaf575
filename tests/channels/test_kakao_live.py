"""The Kakao channel on a real Rasa server (with `credentials.yml`, as `make run` starts it) and the real action
server, driven by the fake Kakao platform: the same answers as over REST, quick replies that continue the
consultation, the callback flow, refused requests that leave no trace. Request/response pairs go to
reports/channels/kakao-*.json."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.deploy.local_services import free_port
from bot.deploy.processes import ServerProcess, start_rasa_server
from bot.paths import REPO_ROOT
from bot.server.rasa_api import api_url
from channels.kakao import DEFAULT_SYNC_BUDGET, WAIT_TEXT
from channels.kakao_format import LINKS_TEXT
from tests.channels.kakao_platform import (
    BOT_ID,
    SECRET,
    FakeKakaoPlatform,
    press,
    problems,
    quick_replies,
    skill_payload,
    start_platform,
    texts,
)

REPORTS = REPO_ROOT / "reports" / "channels"
QUESTION = "긴급경영안정자금 한도가 얼마예요?"
COMPANY = ("서울에서 식품 제조업을 2년째 하고 있고 직원은 5명입니다. 매출은 작년보다 20% 줄었고 수출은 안 해요. "
           "운전자금이 필요해요")
INTAKE_ANSWERS = {"만 나이": "대표자는 35세입니다"}  # questions without a fitting button get typed answers


def kakao_env(database: Path, **extra: str) -> dict[str, str]:
    return {"TRACKER_DB_URL": f"sqlite:///{database}", "KAKAO_SKILL_ENABLED": "1", "KAKAO_SKILL_SECRET": SECRET,
            "KAKAO_BOT_IDS": BOT_ID, "KAKAO_CALLBACK_HOSTS": "127.0.0.1", "BOT_RATE_LIMIT_PER_IP": "0", **extra}


@pytest.fixture(scope="module")
def kakao_servers(rasa_model: Path, action_server: str, server_logs: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    """Two Rasa servers started together: the default time budget, and a budget of 0 (every answer that has a
    callback URL goes through the callback)."""
    action_port = int(action_server.rsplit(":", 1)[1])
    folder = tmp_path_factory.mktemp("kakao-tracker")
    logs = server_logs / "kakao"
    servers = {
        "sync": start_rasa_server(free_port(), rasa_model, action_port, kakao_env(folder / "sync.db"), logs,
                                  name="rasa_kakao"),
        "callback": start_rasa_server(free_port(), rasa_model, action_port,
                                      kakao_env(folder / "callback.db", KAKAO_SYNC_BUDGET_SECONDS="0"), logs,
                                      name="rasa_kakao_callback"),
    }
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def ready(server: ServerProcess) -> str:
    server.wait_ready()
    return server.url


@pytest.fixture
async def platform() -> AsyncIterator[FakeKakaoPlatform]:
    fake, runner = await start_platform()
    yield fake
    await runner.cleanup()


async def rest(rasa: str, sender: str, text: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as client:
        reply = await client.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert reply.status_code == 200, reply.text
    return reply.json()


def rest_view(messages: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """What a user reads in a REST turn (texts joined by blank lines) and the payloads of its buttons."""
    text = "\n\n".join(m["text"].strip() for m in messages if (m.get("text") or "").strip())
    return text, [b["payload"] for m in messages for b in m.get("buttons") or [] if "payload" in b]


def kakao_view(body: dict[str, Any]) -> tuple[str, list[str]]:
    """The same for a Kakao response (without the heading of a card that only carries link buttons)."""
    read = [text for text in texts(body) if text != LINKS_TEXT]
    return "\n\n".join(read), [r["extra"]["rasa_payload"] for r in quick_replies(body)]


async def ask(platform: FakeKakaoPlatform, rasa: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    reply = await platform.send(f"{rasa}/webhooks/kakao/webhook", payload)  # 5 s, as Kakao waits
    seconds = time.monotonic() - started
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert problems(body) == [], body
    return body, seconds


def tracker_events(rasa: str, sender: str) -> list[dict[str, Any]]:
    reply = httpx.get(api_url(rasa, f"/conversations/{sender}/tracker"), timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["events"]


def save(name: str, exchanges: list[dict[str, Any]]) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / name).write_text(json.dumps(exchanges, ensure_ascii=False, indent=2), encoding="utf-8")


@pytest.mark.timeout(600)
async def test_a_korean_question_gets_the_rest_answer_in_time(kakao_servers, platform) -> None:
    rasa = ready(kakao_servers["sync"])
    user = f"kakao-{uuid.uuid4().hex[:12]}"
    expected = rest_view(await rest(rasa, f"rest-{uuid.uuid4().hex[:8]}", QUESTION))
    body, seconds = await ask(platform, rasa, skill_payload(QUESTION, user_id=user))
    assert "useCallback" not in body and seconds < DEFAULT_SYNC_BUDGET
    assert kakao_view(body) == expected
    assert "10억원" in expected[0] and "15억원" in expected[0], expected
    assert "출처: " in expected[0] and "http" not in expected[0]  # a named source with its year, no raw link
    assert all("simpleText" in output for output in body["template"]["outputs"])  # links become cards elsewhere
    [uttered] = [e for e in tracker_events(rasa, user) if e["event"] == "user"]
    assert (uttered["text"], uttered["input_channel"]) == (QUESTION, "kakao")
    save("kakao-question.json", [{"request": skill_payload(QUESTION, user_id=user), "response": body,
                                  "seconds": round(seconds, 3)}])


@pytest.mark.timeout(600)
async def test_a_recommendation_consultation_gives_the_rest_replies_and_its_quick_replies_continue_it(
        kakao_servers, platform) -> None:
    rasa = ready(kakao_servers["sync"])
    user, sender = f"kakao-{uuid.uuid4().hex[:12]}", f"rest-{uuid.uuid4().hex[:8]}"
    exchanges, slowest = [], 0.0
    request = skill_payload(COMPANY, user_id=user)
    rest_text = COMPANY
    for _ in range(6):
        body, seconds = await ask(platform, rasa, request)
        slowest = max(slowest, seconds)
        exchanges.append({"request": request, "response": body, "seconds": round(seconds, 3)})
        assert kakao_view(body) == rest_view(await rest(rasa, sender, rest_text)), body
        if "1. " in kakao_view(body)[0]:
            break
        asked = kakao_view(body)[0].splitlines()[-1]
        typed = next((answer for cue, answer in INTAKE_ANSWERS.items() if cue in asked), None)
        choices = [r for r in quick_replies(body) if r["extra"]["rasa_payload"].startswith("/inform")]
        choices += [r for r in quick_replies(body) if r["extra"]["rasa_payload"] == "/dont_know"]
        if typed:
            request, rest_text = skill_payload(typed, user_id=user), typed
        else:  # tap the first answer the question offers, as an owner would
            assert choices, body
            request, rest_text = press(choices[0], user_id=user), choices[0]["extra"]["rasa_payload"]
    recommendation = exchanges[-1]["response"]
    assert "1. " in texts(recommendation)[0] and "2. " in texts(recommendation)[0], recommendation
    payloads = kakao_view(recommendation)[1]
    assert '/rate_answer{"rating":"up"}' in payloads and len(payloads) <= 10, payloads
    detail = next(r for r in quick_replies(recommendation) if r["extra"]["rasa_payload"].startswith(
        "/ask_program_detail"))
    details = press(detail, user_id=user)
    body, seconds = await ask(platform, rasa, details)
    exchanges.append({"request": details, "response": body, "seconds": round(seconds, 3)})
    assert kakao_view(body) == rest_view(await rest(rasa, sender, detail["extra"]["rasa_payload"]))
    users = [e for e in tracker_events(rasa, user) if e["event"] == "user"]
    assert users[-1]["text"].startswith("/ask_program_detail") and {e["input_channel"] for e in users} == {"kakao"}
    assert slowest < DEFAULT_SYNC_BUDGET, slowest
    save("kakao-recommendation.json", exchanges)


@pytest.mark.timeout(600)
async def test_a_slow_answer_goes_through_the_callback_once(kakao_servers, platform) -> None:
    rasa = ready(kakao_servers["callback"])  # KAKAO_SYNC_BUDGET_SECONDS=0
    user = f"kakao-{uuid.uuid4().hex[:12]}"
    request = skill_payload(QUESTION, user_id=user, callback_url=platform.callback_url())
    ack, seconds = await ask(platform, rasa, request)
    assert ack == {"version": "2.0", "useCallback": True, "data": {"text": WAIT_TEXT}} and seconds < 1.0
    [callback] = await platform.wait_for_callbacks(1, timeout=60)
    assert callback.status == "SUCCESS" and callback.seconds_after_issue < 60
    assert kakao_view(callback.body) == rest_view(await rest(rasa, f"rest-{uuid.uuid4().hex[:8]}", QUESTION))
    await asyncio.sleep(1.0)
    assert len(platform.callbacks) == 1  # the one-time URL is used once
    save("kakao-callback.json", [{"request": request, "response": ack, "seconds": round(seconds, 3)},
                                 {"callback_post": callback.body, "platform_answer": callback.status,
                                  "seconds_after_request": round(callback.seconds_after_issue, 3)}])


@pytest.mark.timeout(600)
async def test_refused_requests_leave_no_trace_and_the_server_keeps_serving(kakao_servers, platform) -> None:
    rasa = ready(kakao_servers["sync"])
    url = f"{rasa}/webhooks/kakao/webhook"
    user = f"kakao-{uuid.uuid4().hex[:12]}"
    for secret in ("forged", "", None):
        assert (await platform.send(url, skill_payload(QUESTION, user_id=user), secret=secret)).status_code == 403
    assert (await platform.send(url, skill_payload(QUESTION, user_id=user, bot_id="other"))).status_code == 403
    for raw in (b"{oops", b"\x00\xff" * 100, b'{"userRequest": {"user": {"id": 1}, "utterance": 2}}'):
        assert (await platform.send(url, raw=raw)).status_code == 400
    assert (await platform.send(url, raw=b'{"pad": "' + b"x" * 200_000 + b'"}')).status_code == 413
    # Reading a tracker starts a session for an unknown sender; nothing was said in it.
    assert [e for e in tracker_events(rasa, user) if e["event"] in {"user", "bot"}] == []
    assert httpx.get(f"{rasa}/webhooks/kakao/", timeout=10).json() == {"status": "ok"}
    body, _ = await ask(platform, rasa, skill_payload("안녕하세요", user_id=user))
    assert texts(body)
