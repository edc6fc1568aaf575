"""The whole loop against real servers: chat with personal data over REST (SQLite file and PostgreSQL tracker stores),
find no raw value in the database, review, export, retrain small models, gate, promote into the running Rasa server
without a restart, and chat with the promoted model."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot import paths
from bot.deploy import processes
from bot.deploy.local_services import free_port
from bot.deploy.processes import ServerProcess, start_action_server, start_rasa_server
from bot.server.rasa_api import api_url
from bot.staff.export import export, read_examples
from bot.staff.records import registry
from bot.staff.retrain import Scores, gate, retrain, running_model
from bot.staff.store import QueueFilter, decide, queue
from tests.review.conftest import RAW_PII

SMALL_EPOCHS = 20  # 5 learnt too little on today's data: one relabelled example decided the gate by chance
SMALL_MODEL_NOISE = 0.03  # two such models whose data differ by two examples differ by ~2 points of intent F1 on
# the fixed split by training noise alone (0.0215 on the data of 2026-12-01), so the gate compares them with this slack
MESSAGES = [
    "안녕하세요",
    "제 주민번호는 900101-1234567이고 사업자등록번호는 123-45-67890이에요",
    '/rate_answer{"rating":"down"}',
    "연락처는 010-1234-5678, 메일은 foo@bar.co.kr 입니다",
    '/rate_answer{"rating":"down"}',
    "계좌 110-123-456789, 카드 1234-5678-9012-3456 로 이자 납부했어요",
    '/rate_answer{"rating":"down"}',
]


def post_json(url: str, body: dict) -> object:
    """POST JSON and decode the JSON answer."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def chat(rasa_url: str, sender: str, messages: list[str]) -> list[list[dict]]:
    """Send messages over the REST channel; the bot's replies to each."""
    return [post_json(f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": m}) for m in messages]


def masking_endpoints(directory: Path) -> Path:
    """endpoints.yml with the masking tracker store (whatever the repository file says)."""
    endpoints = yaml.safe_load(paths.ENDPOINTS_FILE.read_text(encoding="utf-8")) or {}
    endpoints["tracker_store"] = {"type": "bot.server.tracker_store.MaskingSQLTrackerStore"}
    path = directory / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def start_servers(model: Path, db_url: str, directory: Path, monkeypatch: pytest.MonkeyPatch
                  ) -> tuple[ServerProcess, ServerProcess]:
    """An action server and a Rasa server of their own on the tracker database `db_url`."""
    monkeypatch.setattr(processes, "ENDPOINTS_FILE", masking_endpoints(directory))
    env = {"TRACKER_DB_URL": db_url}
    action = start_action_server(free_port(), env, directory / "logs")
    rasa = start_rasa_server(free_port(), model, int(action.url.rsplit(":", 1)[1]), env, directory / "logs")
    try:
        action.wait_ready()
        rasa.wait_ready()
    except (RuntimeError, TimeoutError):
        rasa.stop()
        action.stop()
        raise
    return action, rasa


@pytest.fixture
def isolated_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Candidate models and reports go to a temporary folder, not the repository's models/ and reports/."""
    monkeypatch.setattr("bot.staff.retrain.MODELS_DIR", tmp_path / "models")
    monkeypatch.setattr("bot.staff.retrain.REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr("bot.staff.retrain.LOCK_FILE", tmp_path / "retrain.lock")
    return tmp_path


@pytest.fixture
def servers(rasa_model: Path, isolated_outputs: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[tuple[str, str, Path]]:
    """(Rasa URL, tracker DB URL, DB file) of servers logging to a SQLite file."""
    database = isolated_outputs / "tracker.db"
    action, rasa = start_servers(rasa_model, f"sqlite:///{database}", isolated_outputs, monkeypatch)
    try:
        yield rasa.url, f"sqlite:///{database}", database
    finally:
        rasa.stop()
        action.stop()


@pytest.mark.timeout(2400)
def test_log_review_export_retrain_gate_promote_chat(servers: tuple[str, str, Path], isolated_outputs: Path,
                                                     rasa_model: Path) -> None:
    rasa_url, db_url, database = servers
    replies = chat(rasa_url, "owner-loop", MESSAGES)
    assert replies[0], "the bot greets back"

    # 1. the database file holds no raw personal data, and neither does the tracker the API returns
    content = b"".join(path.read_bytes() for path in database.parent.glob("tracker.db*"))
    assert not [raw for raw in RAW_PII if raw.encode() in content]
    assert "<주민등록번호>".encode() in content and "<카드번호>".encode() in content
    with urllib.request.urlopen(api_url(rasa_url, "/conversations/owner-loop/tracker"), timeout=30) as response:
        tracker = response.read().decode()
    assert not [raw for raw in RAW_PII if raw in tracker]

    # 2. review: every thumbs-down turn is in the queue; label them
    turns = queue(QueueFilter(reason="thumbs_down"), db_url)
    assert len(turns) == 3 and all("<" in turn.text for turn in turns)
    for turn in turns:
        decide(turn.event_id, "relabel", "김검토", intent="inform", url=db_url)

    # 3. export: masked, deduplicated, one of the three held out for testing
    reviewed, holdout = isolated_outputs / "reviewed_examples.yml", isolated_outputs / "reviewed_holdout.yml"
    result = export("김검토", target=reviewed, holdout=holdout, url=db_url)
    assert (result.train, result.holdout) == (2, 1)
    exported = reviewed.read_text(encoding="utf-8") + holdout.read_text(encoding="utf-8")
    assert "<전화번호>" in exported and not [raw for raw in RAW_PII if raw in exported]

    # 4. a small candidate without the reviewed data against the full current model: worse, so rejected
    empty = isolated_outputs / "empty.yml"
    empty.write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")
    first = retrain("김검토", rasa_url, reviewed=empty, holdout=holdout, epochs=SMALL_EPOCHS, url=db_url)
    assert first["decision"] == "rejected" and first["reasons"], first
    assert Path(first["report"]).exists() and "승격하지 않은 이유" in Path(first["report"]).read_text(encoding="utf-8")
    assert running_model(rasa_url).name == rasa_model.name, "the current model stays"
    print(Path(first["report"]).read_text(encoding="utf-8"))

    # 5. the same small config with the reviewed data against that candidate: not worse, so promoted
    second = retrain("김검토", rasa_url, reviewed=reviewed, holdout=holdout, epochs=SMALL_EPOCHS,
                     current=Path(first["candidate"]), tolerance=SMALL_MODEL_NOISE, url=db_url)
    print(Path(second["report"]).read_text(encoding="utf-8"))
    assert second["decision"] == "promoted", second
    assert set(second["scores"]) == {"fixed_split", "reviewed_holdout"}
    new, old = ({name: Scores(**scores) for name, scores in second[key].items()}
                for key in ("scores", "current_scores"))
    assert not gate(new, old, tolerance=SMALL_MODEL_NOISE)

    # 6. the running server (never restarted) now answers with the promoted model
    assert running_model(rasa_url).name == Path(second["candidate"]).name
    answer = chat(rasa_url, "owner-after", ["안녕하세요", "긴급경영안정자금 알려주세요"])
    assert answer[0] and answer[1]
    parsed = post_json(api_url(rasa_url, "/model/parse"), {"text": "연락처는 <전화번호>, 메일은 <이메일> 입니다"})
    assert parsed["intent"]["name"]

    # 7. every model has its registry record: when, data hash, scores, who promoted
    with sa.create_engine(db_url).connect() as connection:
        rows = connection.execute(sa.select(registry).order_by(registry.c.id)).mappings().all()
    assert [row["decision"] for row in rows] == ["rejected", "promoted"]
    assert rows[1]["promoted_by"] == "김검토" and rows[1]["promoted_at"] is not None
    assert len(rows[1]["data_hash"]) == 64 and rows[0]["data_hash"] != rows[1]["data_hash"]
    assert rows[1]["scores"]["fixed_split"]["examples"] > 300
    assert read_examples(reviewed)


@pytest.mark.timeout(900)
def test_postgresql_tracker_store_through_the_running_server(rasa_model: Path, postgres_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    action, rasa = start_servers(rasa_model, postgres_url, tmp_path, monkeypatch)
    try:
        chat(rasa.url, "owner-pg", MESSAGES[:2] + MESSAGES[3:4] + MESSAGES[5:6])
    finally:
        rasa.stop()
        action.stop()
    with sa.create_engine(postgres_url).connect() as connection:
        stored = [row[0] for row in connection.execute(sa.text("SELECT data FROM events WHERE sender_id='owner-pg'"))]
        connection.execute(sa.text("CHECKPOINT"))
        data_dir = connection.execute(sa.text("SHOW data_directory")).scalar()
    assert len(stored) > 8 and "<전화번호>" in " ".join(stored)
    assert not [raw for raw in RAW_PII if raw in " ".join(stored)]
    found = []
    for root, _, files in os.walk(data_dir):
        for name in files:
            content = Path(root, name).read_bytes()
            found += [raw for raw in RAW_PII if raw.encode() in content]
    assert not found, f"raw personal data in PostgreSQL files: {found}"
