"""Profile normalisation, short-answer parsing, Korean summaries and particles."""

import pytest

from actions.korean import direction_particle, object_particle, topic_particle
from actions.profile import UNKNOWN, describe, normalise, parse_answer, profile_from_slots


@pytest.mark.parametrize(("slot", "value", "expected"), [
    ("business_age", "5년", 5.0), ("business_age", 2, 2.0), ("business_age", "-3", None),
    ("employee_count", "12명", 12), ("employee_count", 5.0, 5), ("employee_count", "다섯 명이요", 5),
    ("employee_count", "열두명", 12), ("business_age", "작년에 창업했어요", 1.0), ("employee_count", "많아요", None),
    ("rep_age", "만 35세", 35), ("rep_age", "7", None),
    ("revenue_change", "20% 줄었어요", -20.0), ("revenue_change", "15% 증가", 15.0), ("revenue_change", -30, -30.0),
    ("revenue_change", "작년이랑 비슷해요", 0.0), ("revenue_change", "글쎄요", None),
    ("export_status", "수출중", "수출중"), ("export_status", "수출은 안 해요", "내수"),
    ("export_status", "내년에 수출할 계획이에요", "수출예정"), ("export_status", "미국에 수출하고 있어요", "수출중"),
    ("fund_purpose", "운전", "운전"), ("fund_purpose", "설비 사려고요", "시설"), ("fund_purpose", "인건비요", "운전"),
    ("region", " 서울특별시 ", "서울특별시"), ("industry", "", None), ("business_age", UNKNOWN, UNKNOWN),
])
def test_normalise(slot, value, expected):
    assert normalise(slot, value) == expected


def test_parse_answer_reads_yes_and_no_only_for_export_status():
    assert parse_answer("export_status", "네", "affirm") == "수출중"
    assert parse_answer("export_status", "아니요", "deny") == "내수"
    assert parse_answer("employee_count", "7명이요", "inform") == 7
    assert parse_answer("industry", "식품", "inform") is None


def test_profile_drops_unknown_and_invalid_values():
    slots = {"business_age": "2", "industry": "제조업", "region": UNKNOWN, "employee_count": "많아요",
             "program": "youth-startup-fund"}
    assert profile_from_slots(slots) == {"business_age": 2.0, "industry": "제조업"}


def test_describe_is_a_short_korean_line():
    text = describe({"business_age": 2.0, "revenue_change": -15.0, "fund_purpose": "운전", "employee_count": 5})
    assert text == "업력 2년 · 직원 수 5명 · 매출 변화 15% 감소 · 자금 용도 운전자금"
    assert describe({}) == "정보 없음"


def test_particles_follow_the_last_syllable():
    assert object_particle("업력") == "업력을"
    assert object_particle("직원 수") == "직원 수를"
    assert topic_particle("금리") == "금리는"
    assert direction_particle("5년") == "5년으로"
    assert direction_particle("서울") == "서울로"
    assert direction_particle("운전자금") == "운전자금으로"
