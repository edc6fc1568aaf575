"""Fixtures of the review tests: a PostgreSQL server on loopback and a conversation with personal data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.deploy.local_services import postgres_bindir, running_postgres
from bot.paths import DOMAIN_FILE
from bot.server.tracker_store import MaskingSQLTrackerStore

RAW_PII = ["900101-1234567", "123-45-67890", "010-1234-5678", "foo@bar.co.kr", "110-123-456789", "1234-5678-9012-3456"]
PII_MESSAGES = [
    "안녕하세요 제 주민번호는 900101-1234567 이에요",
    "사업자등록번호 123-45-67890 인데 긴급경영안정자금 받을 수 있나요",
    "연락처는 010-1234-5678, 이메일은 foo@bar.co.kr 입니다",
    "입금은 신한 110-123-456789 계좌로, 카드는 1234-5678-9012-3456 이요",
]


@pytest.fixture(autouse=True)
def export_to_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports by default paths go to the test's folder, never into the repository's training data."""
    monkeypatch.setattr("bot.staff.export.REVIEWED_FILE", tmp_path / "default_reviewed_examples.yml")
    monkeypatch.setattr("bot.staff.export.HOLDOUT_FILE", tmp_path / "default_reviewed_holdout.yml")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a real PostgreSQL server started for this test session on 127.0.0.1."""
    if postgres_bindir() is None:
        pytest.fail("PostgreSQL server binaries not found: apt-get install postgresql (.ci/run does)")
    with running_postgres() as server:
        yield server.url

PII_TURN = "제 번호는 010-1234-5678인데 서울에서 자금 문의요"


def _user(text: str, intent: str, confidence: float, channel: str, entities: list | None = None,
          ranking: list | None = None) -> UserUttered:
    parse_data = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or [],
                  "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    return UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data, input_channel=channel)


def logged_conversations() -> dict[str, list[Event]]:
    """Two conversations as Rasa would log them: low confidence with PII, thumbs-down, handoff, fallback, correction."""
    rest = [
        ActionExecuted("action_listen"),
        _user("안녕하세요", "greet", 0.98, "rest"), ActionExecuted("utter_greet"), BotUttered("안녕하세요!"),
        ActionExecuted("action_listen"),
        _user(PII_TURN, "ask_emergency_fund", 0.45, "rest",
              [{"entity": "region", "start": PII_TURN.index("서울"), "end": PII_TURN.index("서울") + 2,
                "value": "서울특별시"}]),
        ActionExecuted("action_search_programs"),
        SlotSet("recommended_programs", ["emergency-management-stabilization", "startup-fund"]),
        BotUttered("긴급경영안정자금을 추천합니다. 콜센터 1811-3655"), ActionExecuted("action_listen"),
        _user('/rate_answer{"rating":"down"}', "rate_answer", 1.0, "rest",
              [{"entity": "rating", "value": "down"}]),
        ActionExecuted("action_rate_answer"), BotUttered("도움이 되지 못해 죄송해요."), ActionExecuted("action_listen"),
        _user("상담원 연결해 주세요", "request_human", 0.93, "rest"), ActionExecuted("action_handoff"),
        BotUttered("상담원 연결을 요청했어요."), ActionExecuted("action_listen"),
    ]
    widget = [
        ActionExecuted("action_listen"),
        _user("코인 선물 투자 상담해줘", "nlu_fallback", 0.6, "socketio",
              ranking=[{"name": "nlu_fallback", "confidence": 0.6}, {"name": "ask_investment_loan", "confidence": 0.4},
                       {"name": "out_of_scope", "confidence": 0.3}]),
        ActionExecuted("action_default_fallback"), BotUttered("죄송해요, 잘 이해하지 못했어요."),
        ActionExecuted("action_listen"),
        _user("아 업력은 5년이에요", "correct_info", 0.81, "socketio",
              [{"entity": "business_age", "start": 6, "end": 8, "value": 5.0}]),
        ActionExecuted("action_acknowledge_correction"), ActionExecuted("action_listen"),
        _user('/rate_answer{"rating":"up"}', "rate_answer", 1.0, "socketio", [{"entity": "rating", "value": "up"}]),
        ActionExecuted("action_rate_answer"), ActionExecuted("action_listen"),
    ]
    return {"owner-rest": rest, "owner-widget": widget}


async def log_conversations(url: str) -> None:
    """Save the conversations of `logged_conversations` through the masking tracker store at `url`."""
    store = MaskingSQLTrackerStore(domain=Domain.load(str(DOMAIN_FILE)), host=url)
    for sender_id, conversation in logged_conversations().items():
        tracker = DialogueStateTracker(sender_id, store.domain.slots)
        for event in conversation:
            tracker.update(event)
        await store.save(tracker)
    store.engine.dispose()


@pytest.fixture
async def logged_db(tmp_path: Path) -> str:
    """URL of a SQLite file holding the two logged conversations."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    await log_conversations(url)
    return url
