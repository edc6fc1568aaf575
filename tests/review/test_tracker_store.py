"""The masking SQL tracker store on a real SQLite file and a real PostgreSQL server: no raw personal data stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server.database import tracker_db_url
from bot.server.tracker_store import MaskingSQLTrackerStore
from tests.review.conftest import PII_MESSAGES, RAW_PII

DOMAIN = Domain.from_dict({"intents": ["inform"], "entities": ["money"],
                           "slots": {"contact": {"type": "text", "mappings": [{"type": "custom"}]}}})


def _conversation(sender_id: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender_id, DOMAIN.slots)
    for text in PII_MESSAGES:
        raw = [value for value in RAW_PII if value in text][-1]
        start = text.find(raw)
        parse_data = {"text": text, "intent": {"name": "inform", "confidence": 0.4},
                      "entities": [{"entity": "money", "start": start, "end": start + len(raw), "value": raw}]}
        tracker.update(UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data,
                                   input_channel="rest"))
        tracker.update(SlotSet("contact", f"{raw} 로 연락"))
        tracker.update(BotUttered(f"{raw} 확인했습니다. 콜센터 1811-3655"))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


async def _check_store(url: str) -> list[str]:
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    tracker = _conversation("owner-1")
    await store.save(tracker)
    restored = await store.retrieve("owner-1")
    assert restored is not None and len(restored.events) == len(tracker.events)
    texts = [event.text for event in restored.events if isinstance(event, UserUttered)]
    assert "<주민등록번호>" in texts[0] and "<사업자등록번호>" in texts[1]
    assert "<전화번호>" in texts[2] and "<이메일>" in texts[2]
    assert "<계좌번호>" in texts[3] and "<카드번호>" in texts[3]
    assert restored.get_slot("contact") == "<카드번호> 로 연락"
    bot_texts = [event.text for event in restored.events if isinstance(event, BotUttered)]
    assert all("1811-3655" in text for text in bot_texts), "the call centre number is not personal data"
    with sa.create_engine(url).connect() as connection:
        query = sa.text("SELECT data FROM events WHERE sender_id = :sender")
        rows = [row[0] for row in connection.execute(query, {"sender": "owner-1"})]
    store.engine.dispose()
    return rows


async def test_sqlite_file_holds_no_raw_value(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    rows = await _check_store(f"sqlite:///{database}")
    assert rows and not any(raw in row for row in rows for raw in RAW_PII)
    content = database.read_bytes()
    for raw in RAW_PII:
        assert raw.encode() not in content, f"{raw} found in the database file"
    assert "<전화번호>".encode() in content


async def test_postgresql_holds_no_raw_value(postgres_url: str) -> None:
    rows = await _check_store(postgres_url)
    assert len(rows) == 16
    assert not any(raw in row for row in rows for raw in RAW_PII)


def test_default_url_is_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    assert tracker_db_url().endswith("/var/tracker.db") and tracker_db_url().startswith("sqlite:////")
    monkeypatch.setenv("TRACKER_DB_URL", "postgresql://user@127.0.0.1:5432/db")
    assert tracker_db_url() == "postgresql://user@127.0.0.1:5432/db"
