"""The conversation test stories (bot/tests) against the trained model, and real consultations over REST
with the Rasa server and the action server running on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from bot.paths import REPO_ROOT, VENV_BIN
from bot.staff import handoff

TEST_STORIES = REPO_ROOT / "bot" / "tests"
YEAR = re.compile(r"20\d\d년")


def test_conversation_stories_pass(rasa_model: Path, tmp_path: Path):
    stories = sum(len(yaml.safe_load(path.read_text(encoding="utf-8"))["stories"])
                  for path in TEST_STORIES.glob("*.yml"))
    assert stories >= 40
    env = {**os.environ, "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
           "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}"}
    result = subprocess.run(
        [str(VENV_BIN / "rasa"), "test", "core", "--model", str(rasa_model), "--stories", str(TEST_STORIES),
         "--out", str(tmp_path / "results")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed


class Chat:
    """One user talking to the Rasa REST channel."""

    def __init__(self, rasa_url: str) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = f"e2e-{uuid.uuid4().hex[:8]}"
        self.turns = 0

    def say(self, text: str) -> list[dict]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            self.turns += 1
            return json.loads(response.read())


def joined(replies: list[dict]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def button_payloads(replies: list[dict]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons") or [] if "payload" in button]


def link_buttons(replies: list[dict]) -> list[dict]:
    """Buttons that are links (a named source): {"title": "뉴시스 2025년", "url": "https://…"}."""
    return [button for reply in replies for button in reply.get("buttons") or [] if "url" in button]


def test_three_explained_recommendations_within_five_turns(rasa_server: str):
    chat = Chat(rasa_server)
    assert "정책자금·지원사업 추천" in joined(chat.say("안녕하세요"))
    replies = chat.say("서울에서 식품 제조업을 2년째 하고 있고 직원은 5명입니다. 매출은 작년보다 20% 줄었고 "
                       "수출은 안 해요. 운전자금이 필요해요")
    answers = {"rep_age": "대표자는 35세입니다", "export_status": '/inform{"export_status":"내수"}',
               "fund_purpose": '/inform{"fund_purpose":"운전"}', "revenue_change": '/inform{"revenue_change":-20}'}
    questions = {"만 나이": "rep_age", "수출을": "export_status", "어디에 쓰실": "fund_purpose",
                 "매출이 얼마나": "revenue_change"}
    while "1. " not in joined(replies) and chat.turns < 5:
        asked = next((slot for cue, slot in questions.items() if cue in joined(replies)), None)
        assert asked, joined(replies)
        replies = chat.say(answers[asked])
    text = joined(replies)
    assert chat.turns <= 5 and "1. " in text and "2. " in text and "3. " in text, text
    card = next(reply["text"] for reply in replies if "1. " in (reply.get("text") or ""))
    assert len(card) <= 600 and "출처: " in card and "http" not in card and YEAR.search(card), card
    assert any(p.startswith("/ask_program_detail") for p in button_payloads(replies))
    assert '/rate_answer{"rating":"up"}' in button_payloads(replies)


def test_the_first_greeting_is_said_once(rasa_server: str):
    replies = Chat(rasa_server).say("안녕하세요")
    text = joined(replies)
    assert "정책자금·지원사업 추천" in text and "반갑습니다" not in text, text
    assert len(replies) == 1


@pytest.mark.parametrize(("message", "title"), [
    ("긴급경영안정자금 알려주세요", "[긴급경영안정자금]"),
    ("청년전용창업자금 알려줘", "[청년전용창업자금]"),
    ("수출인큐베이터가 뭐예요", "[수출인큐베이터]"),
])
def test_a_named_program_is_shown_with_terms_year_and_source(rasa_server: str, message: str, title: str):
    replies = Chat(rasa_server).say(message)
    card = next((reply.get("text") or "" for reply in replies if (reply.get("text") or "").startswith(title)), "")
    lines = card.splitlines()
    assert len(lines) >= 4 and lines[1] and "지원대상" not in card, joined(replies)
    assert YEAR.search(card) and card.count("• ") >= 2 and lines[-1].startswith("출처: ") and "http" not in card, card
    [source] = [button for reply in replies if (reply.get("text") or "").startswith(title)
                for button in reply.get("buttons") or [] if "url" in button]
    assert lines[-1] == f"출처: {source['title']}" and source["url"].startswith("https://"), source
    if title == "[긴급경영안정자금]":
        assert '/ask_emergency_fund{"crisis_type": "재해"}' in button_payloads(replies)


def test_program_question_is_answered_with_year_and_source(rasa_server: str):
    chat = Chat(rasa_server)
    text = joined(chat.say('/ask_terms{"program":"emergency-management-stabilization","term_type":"금리"}'))
    assert "금리" in text and YEAR.search(text) and "출처: " in text and "http" not in text, text  # named source


def test_disaster_fast_track_in_one_turn(rasa_server: str):
    chat = Chat(rasa_server)
    text = joined(chat.say('/ask_emergency_fund{"crisis_type":"호우"}'))
    assert "재해" in text and "1811-3655" in text and "출처: 뉴시스" in text, text
    assert "http" not in text and len(text) <= 600, text  # named sources, one phone screen


def test_handoff_silences_the_bot_until_released(rasa_server: str, server_env: dict[str, str]):
    url = server_env["TRACKER_DB_URL"]
    chat = Chat(rasa_server)
    chat.say("안녕하세요")
    assert "1811-3655" in joined(chat.say("/request_human"))
    record = handoff.open_handoff(chat.sender, url)
    assert record is not None and record["status"] == "open" and record["channel"] == "rest"
    assert chat.say("여보세요? 언제 연결되나요") == []
    handoff.set_status(record["id"], "taken", taken_by="상담원 김", url=url)
    assert chat.say("아직인가요") == []
    handoff.release(record["id"], rasa_server, url=url)
    assert not handoff.is_silenced(chat.sender, url)
    assert "반갑습니다" in joined(chat.say("/greet"))


def test_two_fallbacks_in_a_row_hand_over(rasa_server: str, server_env: dict[str, str]):
    chat = Chat(rasa_server)
    first = chat.say("/nlu_fallback")
    assert "/request_human" in button_payloads(first)
    assert handoff.open_handoff(chat.sender, server_env["TRACKER_DB_URL"]) is None
    second = chat.say("/nlu_fallback")
    assert "상담원" in joined(second)
    assert handoff.open_handoff(chat.sender, server_env["TRACKER_DB_URL"])["reason"] == "fallback"


@pytest.mark.parametrize(("message", "expected"), [
    ("/out_of_scope", "안내해 드릴 수 없어요"),
    ("/chitchat", "회사 상황을 알려 주시면"),
    ("/restart", "처음부터 다시 시작할게요"),
])
def test_scope_chitchat_and_restart(rasa_server: str, message: str, expected: str):
    chat = Chat(rasa_server)
    assert expected in joined(chat.say(message))
