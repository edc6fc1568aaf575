"""The masking SQL tracker store on a real SQLite file and a real PostgreSQL server: no raw personal data stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.paths import REPO_ROOT
from bot.server.database import _set_sqlite_pragmas, database_engine, tracker_db_url
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
    assert sa.event.contains(store.engine, "connect", _set_sqlite_pragmas) == url.startswith("sqlite"), \
        "WAL / synchronous=NORMAL for SQLite only, PostgreSQL untouched"
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
    content = b"".join(path.read_bytes() for path in tmp_path.glob("tracker.db*"))  # with the -wal file, if any
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


def _pragmas(engine: sa.engine.Engine) -> tuple[str, int]:
    with engine.connect() as connection:
        journal_mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    return journal_mode, synchronous


def test_sqlite_connections_use_wal_and_normal_sync(tmp_path: Path) -> None:
    """Each new connection of the tracker store's and the shared engine: WAL journal, synchronous=NORMAL (1)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    plain = sa.create_engine(url)
    assert _pragmas(plain)[1] == 2, "SQLite's default is synchronous=FULL (2)"
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    for _ in range(2):  # a connection after the first one as well
        assert _pragmas(store.engine) == ("wal", 1)
    store.engine.dispose()
    assert _pragmas(database_engine(sa.MetaData(), f"sqlite:///{tmp_path / 'other.db'}")) == ("wal", 1)
    assert _pragmas(plain)[0] == "wal", "WAL is a property of the file, kept for every later connection"
    plain.dispose()
    memory = MaskingSQLTrackerStore(domain=DOMAIN, host="sqlite:///:memory:")
    assert not sa.event.contains(memory.engine, "connect", _set_sqlite_pragmas)


SAVE_AND_DIE = """
import asyncio, os, sys
from tests.review.test_tracker_store import DOMAIN, _conversation
from bot.server.tracker_store import MaskingSQLTrackerStore
store = MaskingSQLTrackerStore(domain=DOMAIN, host=sys.argv[1])
asyncio.run(store.save(_conversation("owner-2")))
os._exit(0)  # like a killed server: no engine.dispose(), no WAL checkpoint
"""


async def test_sqlite_conversation_survives_server_restart(tmp_path: Path) -> None:
    """A conversation saved by a server process that then dies is read back whole by the next server."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    subprocess.run([sys.executable, "-c", SAVE_AND_DIE, url], cwd=REPO_ROOT, check=True, timeout=300,
                   env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert (tmp_path / "tracker.db-wal").exists(), "the dead process left its commits in the WAL file"
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    restored = await store.retrieve("owner-2")
    assert restored is not None and len(restored.events) == len(_conversation("owner-2").events)
    assert restored.get_slot("contact") == "<카드번호> 로 연락"
    tracker = _conversation("owner-2")
    tracker.update(BotUttered("다음 턴"))
    await store.save(tracker)
    store.engine.dispose()
    again = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    restored = await again.retrieve("owner-2")
    assert restored is not None and restored.events[-1].text == "다음 턴"
    again.engine.dispose()
