"""Search, get, answer and recommend through the Python API."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from knowledge_base import KnowledgeBase
from knowledge_base.api import MIN_RECOMMEND_SHARE
from knowledge_base.embedders import Embedder


def test_emergency_fund_question_finds_the_emergency_fund(kb: KnowledgeBase) -> None:
    hits = kb.search("긴급경영안정자금 알려주세요", top_k=3)
    assert len(hits) == 3
    top = hits[0]
    assert top.program_id == "emergency-management-stabilization"
    assert top.title == "긴급경영안정자금"
    assert top.as_of == 2026 and top.source_urls[0].startswith("https://")
    assert "10억원" in top.key_terms["limit"] and "2026년" in top.key_terms["limit"]
    assert top.score == max(h.score for h in hits)
    assert top.eligible is None and top.reasons == []


@pytest.mark.parametrize(("query", "expected"), [
    ("청년 창업 대출 받고 싶어요", "youth-startup-fund"),
    ("호우 피해 복구 자금", "emergency-disaster-fund"),
    ("직원 적금 회사가 20% 보태주는 거", "employee-savings-plan"),
    ("콜센터 번호가 뭐예요", "call-center"),
])
def test_owner_questions_find_their_program(kb: KnowledgeBase, query: str, expected: str) -> None:
    assert expected in [h.program_id for h in kb.search(query, top_k=3)]


def test_profile_sinks_programs_the_company_cannot_get(kb: KnowledgeBase) -> None:
    plain = kb.search("창업 자금 대출", top_k=10)
    assert "youth-startup-fund" in [h.program_id for h in plain]
    older = {"business_age": 5, "rep_age": 45}
    hits = kb.search("창업 자금 대출", top_k=50, profile=older)
    youth = next(h for h in hits if h.program_id == "youth-startup-fund")
    assert youth.eligible is False
    assert "대표자 나이 45세 → 대표자 만 39세 이하 조건 미충족" in youth.reasons
    before = next(h for h in plain if h.program_id == "youth-startup-fund")
    assert youth.score < before.score
    startup = next(h for h in hits if h.program_id == "startup-foundation-fund")
    assert startup.eligible is True
    assert startup.reasons == ["업력 5년 → 창업 7년 이내 조건 충족"]
    assert hits.index(startup) < hits.index(youth)
    assert youth.program_id not in [h.program_id for h in hits[:3]]


def test_get_returns_the_program_sections(kb: KnowledgeBase) -> None:
    program = kb.get("youth-startup-fund")
    assert program.title == "청년전용창업자금"
    assert "2.5%" in program.key_terms["rate"]
    assert "만 39세" in program.sections["지원대상"]
    with pytest.raises(KeyError):
        kb.get("no-such-program")


@pytest.mark.parametrize("topic", ["limit", "rate", "period", "eligibility", "documents", "application", "contact"])
def test_answer_carries_year_and_source(kb: KnowledgeBase, topic: str) -> None:
    answer = kb.answer("emergency-management-stabilization", topic)
    assert answer is not None
    assert answer.as_of == 2026
    assert answer.source_urls == kb.get("emergency-management-stabilization").source_urls
    assert "2026년" in answer.text and answer.source_urls[0] in answer.text


def test_answer_contents(kb: KnowledgeBase) -> None:
    assert "1.9% 고정" in kb.answer("emergency-disaster-fund", "rate").text
    assert "1811-3655" in kb.answer("emergency-management-stabilization", "contact").text
    assert "재해중소기업 확인증" in kb.answer("emergency-disaster-fund", "documents").text


def test_answer_is_none_for_unknown_topic_or_program(kb: KnowledgeBase) -> None:
    assert kb.answer("emergency-management-stabilization", "weather") is None
    assert kb.answer("no-such-program", "limit") is None


def test_recommend_uses_the_profile(kb: KnowledgeBase) -> None:
    young = {"business_age": 1, "rep_age": 29, "industry": "제조업"}
    hits = kb.recommend(young, top_k=3)
    assert hits[0].program_id == "youth-startup-fund"
    assert hits[0].eligible is True
    assert "업력 1년 → 업력 3년 미만 조건 충족" in hits[0].reasons
    flooded = kb.recommend({"crisis_type": "호우", "business_age": 12}, top_k=3)
    assert flooded[0].program_id == "emergency-disaster-fund"
    assert all(h.eligible is not False for h in flooded)
    assert all(h.category != "신청안내" for h in flooded)


def test_recommend_ranks_out_of_date_programs_last(kb: KnowledgeBase) -> None:
    changwon = {"business_age": 10, "industry": "제조업", "region": "창원시", "fund_purpose": "시설"}
    for query in ("", "경남 창원에서 10년 된 제조업체인데 시설자금이 필요해요"):
        hits = kb.recommend(changwon, query, top_k=3)
        assert "regional-leading-firms" not in [h.program_id for h in hits], hits
        assert hits[0].program_id in {"innovation-growth-fund", "smart-manufacturing-fund"}
        assert all(not kb.is_stale(kb.get(h.program_id)) and h.notes == [] for h in hits)
    everything = kb.recommend(changwon, "지역 선도기업 시설자금", top_k=len(kb.programs))
    stale = [kb.is_stale(kb.get(h.program_id)) for h in everything]
    assert stale == sorted(stale) and any(stale)
    regional = next(h for h in everything if h.program_id == "regional-leading-firms")
    assert regional.eligible is True and "확인이 필요합니다" in regional.notes[0] and "2020년" in regional.notes[0]


def test_ended_programs_are_not_recommended(kb: KnowledgeBase) -> None:
    program = kb.get("smart-manufacturing-fund")
    changwon = {"business_age": 10, "industry": "제조업", "region": "창원시", "fund_purpose": "시설"}
    assert "smart-manufacturing-fund" in [h.program_id for h in kb.recommend(changwon, top_k=5)]
    program.status = "종료"
    try:
        assert "smart-manufacturing-fund" not in [h.program_id for h in kb.recommend(changwon, top_k=60)]
        assert kb.search("제조현장스마트화자금", top_k=1)[0].notes == ["운영이 끝난 사업입니다 (2026년 자료 기준)."]
    finally:
        program.status = "운영중"


def test_load_is_cached(kb: KnowledgeBase, index_path) -> None:
    assert KnowledgeBase.load(index_path=index_path) is kb


class CountingEmbedder(Embedder):
    """The real embedder, recording every query it embeds."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.name, self.dim = embedder, embedder.name, embedder.dim
        self.queries: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return self.embedder.embed_query(text)


def test_a_repeated_query_is_embedded_once(kb: KnowledgeBase) -> None:
    counting = CountingEmbedder(kb.embedder)
    fresh = KnowledgeBase(list(kb.programs.values()), kb.index, counting, list(kb.guides.values()))
    first = fresh.search("긴급경영안정자금 금리")
    fresh.search("긴급경영안정자금 금리", profile={"rep_age": 35})
    fresh.recommend({"industry": "제조업"})
    fresh.recommend({"industry": "제조업"})
    assert counting.queries == ["긴급경영안정자금 금리", "제조업"]
    assert first == kb.search("긴급경영안정자금 금리")


def test_the_generic_disaster_of_the_fast_track_button_qualifies_for_the_disaster_fund(kb: KnowledgeBase) -> None:
    hits = kb.search("재해 피해 재해중소기업 확인증 긴급경영안정자금", top_k=1, profile={"crisis_type": "재해"})
    assert hits[0].program_id == "emergency-disaster-fund"
    assert hits[0].eligible is True


def test_a_program_and_its_own_track_are_not_recommended_together(kb: KnowledgeBase) -> None:
    profile = {"business_age": 10, "industry": "제조업", "region": "서울특별시", "employee_count": 5,
               "revenue_change": -20, "export_status": "수출중", "fund_purpose": "운전", "rep_age": 35}
    titles = [hit.title for hit in kb.recommend(profile, "매출이 20% 줄었어요 긴급경영안정자금", top_k=3)]
    umbrellas = {title for title in titles if "(" not in title}
    assert len(titles) == 3 and not any(title.split("(")[0] in umbrellas for title in titles if "(" in title), titles


def test_niche_programs_are_offered_only_for_their_need(kb: KnowledgeBase) -> None:
    never_closed = {"business_age": 5, "industry": "제조업", "region": "경기도"}
    assert "restart-fund" not in [h.program_id for h in kb.recommend(never_closed, "운전자금이 필요해요", top_k=5)]
    restarted = kb.recommend(never_closed, "폐업하고 재창업했어요 자금 있나요", top_k=5)
    assert "restart-fund" in [h.program_id for h in restarted]
    hiring = [h.program_id for h in kb.recommend(never_closed, "60대 은퇴한 기술자를 채용하고 싶어요", top_k=5)]
    assert "youth-job-matching" not in hiring
    busan = {"region": "부산광역시", "fund_purpose": "운전", "business_age": 8, "industry": "제조업"}
    offered = [h.program_id for h in kb.recommend(busan, "운전자금이 필요해요", top_k=5)]
    assert not any(pid.startswith("regulation-free-zone") or pid == "gangwon-next-unicorn" for pid in offered)


def test_recommendations_are_not_padded_with_programs_the_need_does_not_reach(kb: KnowledgeBase) -> None:
    shop = {"business_age": 3, "industry": "도소매업", "region": "부산광역시", "revenue_change": -30}
    hits = kb.recommend(shop, "거래처가 부도나서 대금을 못 받았어요", top_k=3)
    assert hits[0].program_id == "emergency-temporary-hardship"
    assert {"preemptive-restructuring", "regulation-free-zone-sandbox"}.isdisjoint(h.program_id for h in hits)
    best = max(h.score for h in hits)
    assert all(h.score > MIN_RECOMMEND_SHARE * best for h in hits)


def test_savings_plans_are_offered_only_to_an_owner_who_asks_about_them(kb: KnowledgeBase) -> None:
    metal = {"business_age": 5, "industry": "제조업", "region": "화성시", "employee_count": 8, "revenue_change": 10,
             "export_status": "내수", "fund_purpose": "시설", "rep_age": 50}
    facility = [h.program_id for h in kb.recommend(metal, "시설자금이 필요해요", top_k=3)]
    savings = {"employee-savings-plan", "tomorrow-fill-deduction", "youth-tomorrow-fill-deduction"}
    assert savings.isdisjoint(facility), facility
    keeping_staff = [h.program_id for h in kb.recommend(metal, "직원들 장기재직하게 목돈 마련 공제 있나요", top_k=3)]
    assert savings & set(keeping_staff), keeping_staff
