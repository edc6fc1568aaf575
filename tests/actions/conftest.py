"""Fixtures for the action tests: a small fake knowledge base, a tracker builder, a handoff database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import use_kb
from knowledge_base import Answer, Hit, Program
from knowledge_base.api import Passage, QueryTerms
from knowledge_base.guide_documents import Guide, Source
from knowledge_base.lexical import tokenize

REPO_ROOT = Path(__file__).resolve().parents[2]
URL = "https://example.go.kr/notice"


def _program(program_id: str, title: str, category: str, eligibility: dict[str, Any]) -> Program:
    return Program(
        program_id=program_id, title=title, category=category, family="test", as_of=2026, source_urls=[URL],
        key_terms={"limit": "2026년 기준 최대 10억원", "rate": "2026년 기준 1.9% 고정", "period": "5년(거치 2년)"},
        sections={"개요": f"{title} 개요", "지원대상": f"{title} 지원대상", "지원조건": "조건",
                  "제출서류": "사업자등록증", "신청방법": "자가진단 → 상담신청 → 사전상담 → 신청·평가 → 약정",
                  "문의": "1811-3655"},
        summary=f"{title} 요약", eligibility=eligibility,
    )


REAPPLY = Guide(
    guide_id="reapply-after-rejection", title="떨어진 뒤 다시 신청하기", topic="거절·재신청", agency="중진공",
    answer="2026년 기준 같은 자금은 6개월 뒤에 다시 신청할 수 있어요.", questions=["떨어졌는데 다시 신청돼요?"],
    sources=[Source("뉴스1", 2026, "https://www.news1.kr/example")], as_of=2026, detail="자세한 설명",
    related=["emergency-disaster-fund"],
)


class FakeKnowledgeBase:
    """Four programs and one guide document; eligibility by business age only."""

    def __init__(self) -> None:
        self.programs = {p.program_id: p for p in [
            _program("youth-startup-fund", "청년전용창업자금", "정책자금", {"max_age": 3}),
            _program("startup-foundation-fund", "창업기반지원자금", "정책자금", {"max_age": 7}),
            _program("emergency-disaster-fund", "재해 긴급경영안정자금", "정책자금", {}),
            _program("innovation-growth-fund", "혁신성장지원자금", "정책자금", {"min_age": 7}),
            _program("apply-online-steps", "정책자금 신청 절차", "신청안내", {}),
        ]}
        self.guides = {REAPPLY.guide_id: REAPPLY}
        self.documents = {**self.programs, REAPPLY.guide_id: REAPPLY.as_document()}
        self.calls: list[tuple[str, Any]] = []

    def passages(self, query: str) -> list[Passage]:
        """The guide, close, for a question about applying again after a rejection; programs, not close, else."""
        if "떨어졌는데" in query:
            return [Passage(REAPPLY.guide_id, 1.0, 0.95, 12.0, "질문", REAPPLY.questions[0], 0.95, 1.0)]
        return [Passage(program.program_id, 0.5, 0.5, 0.0, "개요", program.summary) for program in self._ranked(query)]

    def guide_matches(self, query: str, top: int = 5) -> list[Passage]:
        """The guide: close for a question about applying again after a rejection, near but not clearly the answer
        for one that only mentions a second try ('다시 내도'), far otherwise."""
        close, share = (0.95, 1.0) if "떨어졌는데" in query else (0.88, 0.3) if "다시 내도" in query else (0.3, 0.0)
        return [Passage(REAPPLY.guide_id, close, close, 12.0 if close > 0.5 else 0.0, "질문", REAPPLY.questions[0],
                        close, share)][:top]

    def terms(self, document_id: str) -> set[str]:
        """The morphemes of a document's title and summary."""
        document = self.documents[document_id]
        return set(tokenize(f"{document.title} {document.summary}"))

    def query_terms(self, query: str) -> QueryTerms:
        """Each of the query's morphemes, weighted alike."""
        tokens = tokenize(query)
        return QueryTerms(tokens, np.zeros(1), dict.fromkeys(tokens, 1.0))

    def _hit(self, program: Program, profile: dict[str, Any] | None) -> Hit:
        hit = Hit(program.program_id, program.title, 0.5, program.source_urls, program.as_of, program.category,
                  program.summary, dict(program.key_terms))
        age = (profile or {}).get("business_age")
        rules = program.eligibility
        if age is not None and ("max_age" in rules or "min_age" in rules):
            ok = age < rules.get("max_age", 1000) and age >= rules.get("min_age", 0)
            hit.eligible = ok
            hit.reasons = [f"업력 {age:g}년 → 조건 {'충족' if ok else '미충족'}"]
        elif profile is not None:
            hit.missing = ["rep_age"]
        return hit

    def search(self, query: str, top_k: int = 3, profile: dict[str, Any] | None = None) -> list[Hit]:
        self.calls.append(("search", query))
        return [self._hit(p, profile) for p in self._ranked(query)][:top_k]

    def _ranked(self, query: str) -> list[Program]:
        ranked = sorted(self.programs.values(), key=lambda p: -sum(word in query for word in p.title.split()))
        if "재해" in query:
            ranked.sort(key=lambda p: p.program_id != "emergency-disaster-fund")
        return ranked

    def recommend(self, profile: dict[str, Any], query: str = "", top_k: int = 3) -> list[Hit]:
        self.calls.append(("recommend", profile))
        hits = [self._hit(p, profile) for p in self.programs.values() if p.category != "신청안내"]
        return [hit for hit in hits if hit.eligible is not False][:top_k]

    def freshness_notes(self, program: Program) -> list[str]:
        return ["2020년까지의 자료만 있어 현재 운영 여부와 조건은 확인이 필요합니다."] if program.as_of < 2021 else []

    def get(self, program_id: str) -> Program:
        return self.programs[program_id]

    def answer(self, program_id: str, topic: str) -> Answer | None:
        program = self.programs.get(program_id)
        labels = {"limit": "한도", "rate": "금리", "period": "기간", "eligibility": "지원대상", "documents": "제출서류",
                  "application": "신청방법", "contact": "문의"}
        if program is None or topic not in labels:
            return None
        body = program.key_terms.get(topic) or program.sections[labels[topic]]
        return Answer(f"{program.title} {labels[topic]}: {body}\n(자료 기준 2026년 · 출처: {URL})", 2026, [URL])


@pytest.fixture
def kb() -> Iterator[FakeKnowledgeBase]:
    """The fake knowledge base, installed as the actions' process-wide one."""
    fake = FakeKnowledgeBase()
    use_kb(fake)
    yield fake
    use_kb(None)


@pytest.fixture(autouse=True)
def handoff_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite database for the handoff records of each test."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_DB_URL", url)
    return url


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The bot's domain as the action server receives it."""
    return yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
