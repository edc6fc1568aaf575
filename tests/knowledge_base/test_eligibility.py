"""Eligibility decisions and their Korean reasons."""

from __future__ import annotations

from knowledge_base.eligibility import check, region_group

STARTUP = {"business_age": {"max": 7, "label": "창업 7년 이내"}}
HARDSHIP = {"revenue_drop": {"min_percent": 10, "label": "10% 이상 감소", "exempt_crisis": ["호우"]}}


def test_business_age_reason() -> None:
    decision = check(STARTUP, {"business_age": 2})
    assert decision.eligible is True
    assert decision.reasons == ["업력 2년 → 창업 7년 이내 조건 충족"]
    assert check(STARTUP, {"business_age": 8.5}).reasons == ["업력 8.5년 → 창업 7년 이내 조건 미충족"]


def test_revenue_drop_reason() -> None:
    decision = check(HARDSHIP, {"revenue_change": -5})
    assert decision.eligible is False
    assert decision.reasons == ["매출 감소 5% → 10% 이상 감소 조건 미충족"]
    assert check(HARDSHIP, {"revenue_change": -30}).eligible is True
    assert check(HARDSHIP, {"revenue_change": 3}).reasons == ["매출 증가 3% → 10% 이상 감소 조건 미충족"]


def test_disaster_waives_the_revenue_test() -> None:
    decision = check(HARDSHIP, {"revenue_change": 0, "crisis_type": "호우"})
    assert decision.eligible is True
    assert decision.reasons == ["위기 유형 호우 → 매출 감소 요건 없이 신청 가능한 유형"]


def test_unknown_profile_values_never_exclude() -> None:
    decision = check({**STARTUP, "rep_age": {"max": 39, "label": "대표자 만 39세 이하"}}, {"industry": "제조업"})
    assert decision.eligible is None
    assert decision.reasons == []
    assert decision.missing == ["business_age", "rep_age"]


def test_every_condition_must_hold() -> None:
    rules = {"business_age": {"max": 3, "max_exclusive": True, "label": "업력 3년 미만"},
             "rep_age": {"max": 39, "label": "대표자 만 39세 이하"}}
    decision = check(rules, {"business_age": 3, "rep_age": 30})
    assert decision.eligible is False
    assert decision.reasons == ["업력 3년 → 업력 3년 미만 조건 미충족",
                                "대표자 나이 30세 → 대표자 만 39세 이하 조건 충족"]


def test_region_industry_export_and_crisis() -> None:
    rules = {"region": "비수도권", "industries": ["제조업"], "export_status": ["수출중"],
             "crisis": {"types": ["관세"], "label": "관세·통상 피해"}}
    profile = {"region": "수원시", "industry": "정보통신업", "export_status": "내수", "crisis_type": "관세"}
    decision = check(rules, profile)
    assert decision.eligible is False
    assert decision.reasons == [
        "위기 유형 관세 → 관세·통상 피해 조건 충족",
        "업종 정보통신업 → 대상 업종(제조업) 조건 미충족",
        "소재지 수원시(수도권) → 비수도권 소재 조건 미충족",
        "수출 상태 내수 → 대상(수출중) 조건 미충족",
    ]
    assert check(rules, {"region": "부산광역시", "industry": "제조업", "export_status": "수출중"}).eligible is True


def test_region_groups() -> None:
    assert region_group("서울특별시") == "수도권"
    assert region_group("인천광역시") == "수도권"
    assert region_group("경상남도") == "비수도권"
    assert region_group("중구") is None
