"""The handoff table shared with the staff pages (bot/staff/handoff.py) on a real SQLite file."""

import sqlite3

import pytest

from bot.staff import handoff


def test_create_list_take_and_release(handoff_db):
    first = handoff.create_handoff("a", "socketio", "요약 A", [{"from": "user", "text": "도와주세요"}], "request")
    handoff.create_handoff("b", "telegram", "요약 B", [], "fallback")
    assert handoff.is_silenced("a") and handoff.is_silenced("b") and not handoff.is_silenced("c")
    handoff.set_status(first, "taken", taken_by="counsellor-kim")
    record = handoff.open_handoff("a")
    assert record["status"] == "taken" and record["taken_by"] == "counsellor-kim"
    assert record["last_messages"] == [{"from": "user", "text": "도와주세요"}]
    handoff.set_status(first, "released")
    assert not handoff.is_silenced("a")
    assert [r["sender_id"] for r in handoff.list_handoffs()] == ["b", "a"]
    assert [r["sender_id"] for r in handoff.list_handoffs("released")] == ["a"]


def test_release_all_and_bad_status(handoff_db):
    handoff.create_handoff("a", "rest", "요약", [], "distress")
    assert handoff.release_all("a") == 1
    assert not handoff.is_silenced("a")
    with pytest.raises(ValueError):
        handoff.set_status(1, "closed")


def test_records_live_in_the_tracker_database_file(handoff_db):
    handoff.create_handoff("a", "rest", "요약", [], "request")
    path = handoff_db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        assert connection.execute("select sender_id, status from handoffs").fetchall() == [("a", "open")]


def test_personal_data_is_masked_before_the_record_is_stored(handoff_db):
    messages = [{"from": "user", "text": "메일은 kim@example.com 이에요"}]
    handoff.create_handoff("a", "rest", "연락처 010-1234-5678", messages, "request")
    record = handoff.open_handoff("a")
    assert record["summary"] == "연락처 <전화번호>"
    assert record["last_messages"] == [{"from": "user", "text": "메일은 <이메일> 이에요"}]
