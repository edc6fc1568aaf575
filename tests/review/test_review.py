"""Review queue, decisions, export, CLI and analytics over logged conversations (SQLite file and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.nlu.training_data.loading import load_data

from bot.staff import analytics
from bot.staff.__main__ import main as review_cli
from bot.staff.export import export, is_holdout, read_examples
from bot.staff.records import audit_log
from bot.staff.store import QueueFilter, ReviewError, decide, get_turn, parse_day, queue
from tests.review.conftest import PII_TURN, RAW_PII, log_conversations


def _by_text(url: str, **filters: object) -> dict[str, object]:
    return {turn.text: turn for turn in queue(QueueFilter(status="all", **filters), url)}


def test_queue_lists_turns_to_review_with_reasons(logged_db: str) -> None:
    turns = _by_text(logged_db)
    masked = PII_TURN.replace("010-1234-5678", "<전화번호>")
    assert set(turns) == {masked, "상담원 연결해 주세요", "코인 선물 투자 상담해줘", "아 업력은 5년이에요"}
    assert turns[masked].reasons == ["low_confidence", "thumbs_down"] and turns[masked].rating == "down"
    assert turns["상담원 연결해 주세요"].reasons == ["handoff"]
    assert turns["코인 선물 투자 상담해줘"].reasons == ["low_confidence", "fallback", "unanswered"]
    assert turns["코인 선물 투자 상담해줘"].predicted_intent == "ask_investment_loan"
    assert turns["아 업력은 5년이에요"].reasons == ["correction"] and turns["아 업력은 5년이에요"].rating == "up"
    assert set(_by_text(logged_db, channel="socketio")) == {"코인 선물 투자 상담해줘", "아 업력은 5년이에요"}
    assert set(_by_text(logged_db, intent="request_human")) == {"상담원 연결해 주세요"}
    assert set(_by_text(logged_db, reason="thumbs_down")) == {masked}
    today = turns[masked].when.date()
    assert len(_by_text(logged_db, since=today, until=today)) == 4
    assert _by_text(logged_db, until=parse_day("2000-01-01")) == {}
    turn, conversation = get_turn(turns[masked].event_id, logged_db)
    assert [t.text for t in conversation][0] == "안녕하세요" and "1811-3655" in turn.bot_replies[0]


def test_bad_input_gets_a_clear_error(logged_db: str) -> None:
    turn = _by_text(logged_db)["코인 선물 투자 상담해줘"]
    confirmed = decide(turn.event_id, "confirm", "kim", url=logged_db)  # the best intent below the fallback
    assert confirmed["intent"] == "ask_investment_loan"
    with pytest.raises(ReviewError, match="검토자"):
        decide(turn.event_id, "confirm", " ", url=logged_db)
    with pytest.raises(ReviewError, match="결정은"):
        decide(turn.event_id, "approve", "kim", url=logged_db)
    with pytest.raises(ReviewError, match="도메인에 없는 의도"):
        decide(turn.event_id, "relabel", "kim", intent="buy_stocks", url=logged_db)
    with pytest.raises(ReviewError, match="원래 문장"):
        decide(turn.event_id, "entities", "kim", annotated="[코인](crisis_type) 투자", url=logged_db)
    with pytest.raises(ReviewError, match="개체 유형"):
        decide(turn.event_id, "entities", "kim", annotated="[코인](coin) 선물 투자 상담해줘", url=logged_db)
    with pytest.raises(ReviewError, match="찾을 수 없습니다"):
        decide(999999, "confirm", "kim", url=logged_db)
    with pytest.raises(ReviewError, match="날짜"):
        parse_day("31/01/2025")
    with pytest.raises(ReviewError):
        queue(QueueFilter(status="done"), logged_db)


def _review_all(url: str) -> dict[str, int]:
    turns = {turn.text: turn.event_id for turn in queue(QueueFilter(), url)}
    masked = PII_TURN.replace("010-1234-5678", "<전화번호>")
    decide(turns[masked], "confirm", "kim", url=url)
    decide(turns[masked], "entities", "kim", annotated=masked.replace("서울", "[서울](region:서울특별시)"), url=url)
    decide(turns["코인 선물 투자 상담해줘"], "out_of_scope", "lee", url=url)
    decide(turns["아 업력은 5년이에요"], "relabel", "lee", intent="inform", url=url)
    decide(turns["상담원 연결해 주세요"], "dismiss", "lee", url=url)
    assert queue(QueueFilter(), url) == [], "every turn reviewed"
    return turns


def _export_and_check(url: str, tmp_path: Path) -> tuple[Path, Path]:
    target, holdout = tmp_path / "reviewed_examples.yml", tmp_path / "reviewed_holdout.yml"
    result = export("kim", target=target, holdout=holdout, url=url)
    assert (result.train + result.holdout, result.added) == (3, 3)
    examples = {**read_examples(target), **read_examples(holdout)}
    masked = PII_TURN.replace("010-1234-5678", "<전화번호>")
    assert examples == {
        masked: ("ask_emergency_fund", masked.replace("서울", '[서울]{"entity": "region", "value": "서울특별시"}')),
        "코인 선물 투자 상담해줘": ("out_of_scope", "코인 선물 투자 상담해줘"),
        "아 업력은 5년이에요": ("inform", '아 업력은 [5년]{"entity": "business_age", "value": "5.0"}이에요'),
    }
    for text in examples:
        assert (text in read_examples(holdout)) == is_holdout(text)
    content = target.read_text(encoding="utf-8") + holdout.read_text(encoding="utf-8")
    assert not any(raw in content for raw in RAW_PII)
    training = load_data(str(target))
    assert {m.get("intent") for m in training.intent_examples} <= {"ask_emergency_fund", "out_of_scope", "inform"}
    again = export("kim", target=target, holdout=holdout, url=url)
    assert again.added == 0 and target.read_text(encoding="utf-8") + holdout.read_text(encoding="utf-8") == content
    return target, holdout


def test_review_and_export_on_sqlite(logged_db: str, tmp_path: Path) -> None:
    _review_all(logged_db)
    _export_and_check(logged_db, tmp_path)
    actions = [(row["who"], row["action"]) for row in audit_log(url=logged_db)]
    assert ("kim", "export") in actions and ("lee", "review:out_of_scope") in actions
    assert ("kim", "review:entities") in actions and len(actions) == 7


async def test_review_and_export_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("CREATE DATABASE review_test"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/review_test"
    await log_conversations(url)
    _review_all(url)
    _export_and_check(url, tmp_path)
    with sa.create_engine(url).connect() as connection:
        stored = " ".join(row[0] for row in connection.execute(sa.text("SELECT data FROM events")))
        stored += " ".join(row[0] for row in connection.execute(sa.text("SELECT text FROM review_decisions")))
    assert "<전화번호>" in stored and not any(raw in stored for raw in RAW_PII)


def test_export_skips_duplicates_and_conflicts_with_the_training_data(logged_db: str, tmp_path: Path) -> None:
    text = "상담원 연결해 주세요"
    assert text in Path("bot/data/nlu/basics.yml").read_text(encoding="utf-8")
    turn = next(t for t in queue(QueueFilter(status="all"), logged_db) if t.text == text)
    decide(turn.event_id, "confirm", "kim", url=logged_db)
    result = export("kim", target=tmp_path / "a.yml", holdout=tmp_path / "b.yml", url=logged_db)
    assert (result.train, result.holdout, result.duplicates, result.conflicts) == (0, 0, [text], [])
    decide(turn.event_id, "relabel", "kim", intent="greet", url=logged_db)
    result = export("kim", target=tmp_path / "a.yml", holdout=tmp_path / "b.yml", url=logged_db)
    assert result.conflicts == [f"{text} (request_human)"] and "다른 의도" in result.summary()


def test_cli_reviews_and_exports(logged_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert review_cli(["--db", logged_db, "queue", "--channel", "socketio"]) == 0
    listing = capsys.readouterr().out
    assert "코인 선물 투자 상담해줘" in listing and "— 2건" in listing
    event_id = int(listing.split()[0])
    assert review_cli(["--db", logged_db, "show", str(event_id)]) == 0
    assert "🤖" in capsys.readouterr().out
    assert review_cli(["--db", logged_db, "--staff", "park", "relabel", str(event_id), "out_of_scope"]) == 0
    assert review_cli(["--db", logged_db, "relabel", str(event_id), "no_such_intent"]) == 2
    assert "오류: 도메인에 없는 의도" in capsys.readouterr().err
    assert review_cli(["--db", logged_db, "export"]) == 0
    assert "평가용" in capsys.readouterr().out and (tmp_path / "default_reviewed_examples.yml").exists()
    assert review_cli(["--db", logged_db, "stats"]) == 0
    assert "대화 2건" in capsys.readouterr().out
    assert review_cli(["--db", logged_db, "audit"]) == 0
    assert "park" in capsys.readouterr().out


def test_analytics_counts_and_charts(logged_db: str) -> None:
    result = analytics.compute(url=logged_db)
    assert (result.conversations, result.messages) == (2, 7)
    assert result.ratings == {"down": 1, "up": 1}
    assert result.programs["emergency-management-stabilization"] == 1
    assert result.fallback_turns == 1 and result.handoff_conversations == 1 and result.handoff_rate == 0.5
    day = next(iter(result.messages_per_day))
    assert result.messages_per_day[day] == {"rest": 4, "socketio": 3}
    assert result.conversations_per_day[day] == {"rest": 1, "socketio": 1}
    charts = analytics.charts(result)
    assert len(charts) == 6 and all(svg.startswith("<svg") for svg in charts.values())
    assert "의도 분포" in charts["의도 분포"]
