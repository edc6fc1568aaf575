"""Each normaliser on its own, including the particle cases owners type (서울에서, 5억원을, 3년차인데)."""

from __future__ import annotations

import datetime

import pytest

from knowledge_base import profile_values as normalizers

TODAY = datetime.date(2026, 11, 29)


@pytest.mark.parametrize(("text", "won"), [
    ("1억 5천", 150_000_000),
    ("1억5천만원을", 150_000_000),
    ("3천만원", 30_000_000),
    ("5억원을", 500_000_000),
    ("오천만원이요", 50_000_000),
    ("1,500만원", 15_000_000),
    ("2.5억", 250_000_000),
    ("천오백만원", 15_000_000),
    ("십억", 1_000_000_000),
    ("2억이에요", 200_000_000),
    ("3억이 필요", 300_000_000),
    ("50만원", 500_000),
])
def test_money(text: str, won: int) -> None:
    assert normalizers.normalize_money(text) == won


@pytest.mark.parametrize("text", ["30", "열 명", "금리"])
def test_money_needs_a_unit(text: str) -> None:
    assert normalizers.normalize_money(text) is None


@pytest.mark.parametrize(("text", "years"), [
    ("3년차", 3.0),
    ("3년차인데", 3.0),
    ("6개월", 0.5),
    ("1년 반", 1.5),
    ("2019년", 7.0),
    ("2019년에", 7.0),
    ("작년", 1.0),
    ("올해", 0.0),
    ("다섯 달", 0.42),
])
def test_business_age(text: str, years: float) -> None:
    assert normalizers.normalize_business_age(text, today=TODAY) == years


def test_business_age_uses_the_current_year() -> None:
    assert normalizers.normalize_business_age("2020년") == datetime.date.today().year - 2020


@pytest.mark.parametrize(("text", "context", "percent"), [
    ("30%", "줄었어요", -30.0),
    ("20프로", "감소했습니다", -20.0),
    ("15퍼센트", "늘었어요", 15.0),
    ("10%", "증가", 10.0),
    ("절반", "", -50.0),
])
def test_revenue_change(text: str, context: str, percent: float) -> None:
    assert normalizers.normalize_revenue_change(text, context) == percent


def test_revenue_change_needs_a_direction() -> None:
    assert normalizers.normalize_revenue_change("30%", "정도예요") is None


@pytest.mark.parametrize(("text", "count"), [
    ("10명", 10), ("10명이에요", 10), ("다섯 명이요", 5), ("5인", 5), ("스무명", 20), ("열두 명", 12),
    ("1,200명", 1200),
])
def test_employee_count(text: str, count: int) -> None:
    assert normalizers.normalize_employee_count(text) == count


@pytest.mark.parametrize(("text", "age"), [
    ("만 34세", 34), ("만34세", 34), ("34살", 34), ("39세요", 39), ("마흔 살", 40), ("서른다섯 살", 35),
    ("30대", 30), ("30대 후반", 38), ("40대 초반", 42),
])
def test_rep_age(text: str, age: int) -> None:
    assert normalizers.normalize_rep_age(text) == age


def test_rep_age_rejects_implausible_ages() -> None:
    assert normalizers.normalize_rep_age("3세") is None


@pytest.mark.parametrize(("text", "value"), [("다섯", 5), ("열다섯", 15), ("스무", 20), ("서른둘", 32), ("한", 1)])
def test_native_numbers(text: str, value: int) -> None:
    assert normalizers.parse_native_number(text) == value


@pytest.mark.parametrize(("text", "value"), [("1억 5천", 100_005_000), ("삼십", 30), ("이천이십", 2020)])
def test_korean_numbers_are_literal_outside_money(text: str, value: int) -> None:
    assert normalizers.parse_korean_number(text) == value
