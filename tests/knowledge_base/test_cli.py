"""The search CLI contract: one JSON line per query, stdin mode, --profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from knowledge_base import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], index_path: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_INDEX_DIR": str(index_path)}
    env.pop("KB_EMBEDDER", None)
    return subprocess.run([sys.executable, "-m", "knowledge_base", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_search_prints_one_json_line(kb: KnowledgeBase, index_path: Path) -> None:
    result = _run(["search", "긴급경영안정자금 알려주세요", "--top-k", "3", "--json"], index_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    hits = json.loads(lines[0])
    assert len(hits) == 3
    assert hits[0]["program_id"] == "emergency-management-stabilization"
    for hit in hits:
        assert {"program_id", "title", "score", "source_url", "source_urls", "as_of", "key_terms"} <= set(hit)
        assert isinstance(hit["source_url"], str) and hit["source_url"] == hit["source_urls"][0]
        assert isinstance(hit["score"], float)


def test_stdin_mode_answers_each_line_in_order(kb: KnowledgeBase, index_path: Path) -> None:
    stdin = "긴급경영안정자금 알려주세요\n\n청년 창업 대출\n"
    result = _run(["search", "--top-k", "2", "--json"], index_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert len(first) == 2 and first[0]["program_id"] == "emergency-management-stabilization"
    assert second[0]["program_id"] == "youth-startup-fund"


def test_profile_adds_eligibility(kb: KnowledgeBase, index_path: Path) -> None:
    profile = json.dumps({"business_age": 2, "revenue_change": -5}, ensure_ascii=False)
    result = _run(["search", "거래처 부도로 매출이 줄었어요", "--top-k", "10", "--json", "--profile", profile],
                  index_path)
    assert result.returncode == 0, result.stderr
    hits = {h["program_id"]: h for h in json.loads(result.stdout)}
    hardship = hits["emergency-temporary-hardship"]
    assert hardship["eligible"] is False
    assert hardship["reasons"] == ["매출 감소 5% → 10% 이상 감소 조건 미충족"]


def test_build_reports_json(kb: KnowledgeBase, index_path: Path) -> None:
    result = _run(["build"], index_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["embedded"] == 0 and report["programs"] == len(kb.programs)
