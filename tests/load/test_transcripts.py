"""The transcript report's pure parts (bot.transcripts): first-reply sizes, the median and the report's shape."""

from __future__ import annotations

import json
from pathlib import Path

from bot.transcripts import (
    SCRIPTS,
    TARGET_CHARS,
    first_reply_chars,
    markdown,
    median,
    report,
    summarise,
    turn_record,
    write,
)


def conversation(name: str, *sizes: int) -> dict:
    turns = [turn_record(f"질문 {i}", [{"text": "가" * size, "buttons": [{"title": "신청 방법", "payload": "/x"}]},
                                      {"text": "두 번째 말풍선"}]) for i, size in enumerate(sizes)]
    return {"name": name, "behaviour": "test", "turns": turns, "first_reply_chars": list(sizes)}


def test_median_of_odd_even_and_empty_lists():
    assert median([5, 1, 3]) == 3.0
    assert median([1, 2, 3, 10]) == 2.5
    assert median([]) is None


def test_the_first_reply_is_the_first_text_bubble():
    assert first_reply_chars([{"image": "x"}, {"text": "안녕하세요"}, {"text": "길고 긴 두 번째 말풍선"}]) == 5
    assert first_reply_chars([]) == 0
    turn = turn_record("네", [{"text": "다음 질문", "buttons": [{"title": "모르겠어요", "payload": "/dont_know"}]}])
    assert turn == {"user": "네", "replies": [{"text": "다음 질문", "buttons": ["모르겠어요"]}], "first_reply_chars": 5,
                    "turn_chars": 5}


def test_the_summary_counts_every_turn_of_every_conversation():
    summary = summarise([conversation("a", 100, 700), conversation("b", 300), conversation("c")])
    assert summary["conversations"] == 3 and summary["turns"] == 3
    assert summary["median_first_reply_chars"] == 300.0 and summary["max_first_reply_chars"] == 700
    assert summary["share_turns_within_target"] == round(2 / 3, 3) and summary["median_within_target"] is True
    assert summary["median_opening_reply_chars"] == 200.0 and summary["target_chars"] == TARGET_CHARS
    assert summary["median_turn_chars"] == 300.0 + len("두 번째 말풍선")
    assert summarise([])["median_first_reply_chars"] is None


def test_the_report_files_have_the_documented_shape(tmp_path: Path):
    data = report([conversation("crisis", 250, 800)], "model.tar.gz")
    write(data, tmp_path / "t.json", tmp_path / "t.md")
    stored = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert set(stored) == {"generated_at", "model", "first_reply", "summary", "conversations"}
    assert stored["conversations"][0]["first_reply_chars"] == [250, 800]
    assert stored["summary"]["share_turns_within_target"] == 0.5
    text = (tmp_path / "t.md").read_text(encoding="utf-8")
    assert text == markdown(data) and "## crisis" in text and "**👤 질문 0**" in text and "> [신청 방법]" in text
    assert "median first reply: **525.0**" in text


def test_the_scripts_cover_the_issue_behaviours():
    names = {script.name for script in SCRIPTS}
    assert {"crisis-informal", "ordinal-follow-up", "question-mid-form", "yes-in-form", "tell-me-in-form",
            "correction", "first-question", "rate-question", "documents-question", "facts-in-one-message",
            "other-agency"} <= names
    assert len(SCRIPTS) >= 12 and len(names) == len(SCRIPTS)
