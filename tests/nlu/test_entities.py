"""KoreanEntityExtractor: spans in the original text, normalised values, particles and spacing."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu import gazetteer
from nlu.entities import KoreanEntityExtractor, extract_entities

PROGRAM_DOCS = Path(__file__).resolve().parents[2] / "knowledge_base" / "programs"
THIS_YEAR = datetime.date.today().year


def found(text: str) -> list[tuple[str, str, object]]:
    """(entity, surface, value) of every entity, checking the span indexes `text`."""
    return [(e.entity, text[e.start:e.end], e.value) for e in extract_entities(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("서울에서 제조업을 하는데 3년차인데요",
     [("region", "서울", "서울특별시"), ("industry", "제조업", "제조업"), ("business_age", "3년차", 3.0)]),
    ("5억원을 빌리고 싶습니다", [("money", "5억원", 500_000_000)]),
    ("1억 5천 정도 필요해요 운전자금으로", [("money", "1억 5천", 150_000_000), ("fund_purpose", "운전자금", "운전")]),
    ("매출이 30% 줄었어요 직원은 10명이고요", [("revenue_change", "30%", -30.0), ("employee_count", "10명", 10)]),
    ("2019년에 창업했고 대표는 만 34세예요",
     [("business_age", "2019년", float(THIS_YEAR - 2019)), ("rep_age", "만 34세", 34)]),
    ("창업한 지 6개월 됐어요", [("business_age", "6개월", 0.5)]),
    ("경기도 수원시에서 식당해요",
     [("region", "경기도", "경기도"), ("region", "수원시", "수원시"), ("industry", "식당", "숙박 및 음식점업")]),
    ("대구에서도소매업하고5년차요",
     [("region", "대구", "대구광역시"), ("industry", "도소매업", "도매 및 소매업"), ("business_age", "5년차", 5.0)]),
    ("거래처가 부도나서 힘들어요", [("crisis_type", "부도나", "거래처부도")]),
    ("태풍 피해를 입었어요", [("crisis_type", "태풍", "태풍")]),
    ("티메프 미정산 때문에", [("crisis_type", "티메프", "정산지연")]),
    ("긴경자금신청하고싶어요", [("program", "긴경자금", "emergency-management-stabilization")]),
    ("청년전용창업자금 금리 알려줘",
     [("program", "청년전용창업자금", "youth-startup-fund"), ("term_type", "금리", "금리")]),
    ("대출 한도가 궁금해요", [("term_type", "대출 한도", "한도")]),
    ("상환 기간은 몇 년이에요", [("term_type", "상환 기간", "기간")]),
    ("수출하고 있어요", [("export_status", "수출", "수출중")]),
    ("수출 예정이에요", [("export_status", "수출", "수출예정")]),
    ("내수 기업입니다", [("export_status", "내수", "내수")]),
    ("30대 대표예요", [("rep_age", "30대", 30)]),
    ("대표가 만 41세면", [("rep_age", "만 41세면", 41)]),
    ("만37세고 사업자 낸지", [("rep_age", "만37세고", 37)]),  # not 10,037 won
    ("회사 부담금은 한달에 얼마정도 내야돼요?", []),  # a rate per month, not the business age
    ("직원 다섯 명 있어요", [("employee_count", "다섯 명", 5)]),
    ("매출이 절반으로 줄었어", [("revenue_change", "절반", -50.0)]),
    ("아 매출은 작년이랑 비슷해요", [("revenue_change", "비슷", 0.0)]),
    ("매출 변동 없어요", [("revenue_change", "변동 없", 0.0)]),
])
def test_extracts_normalised_entities(text: str, expected: list[tuple[str, str, object]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "entity"), [
    ("고양이 키우고 싶다", "region"),            # 고양(시) must not match inside 고양이
    ("광주리 팔아요", "region"),                 # 광주 must not match inside 광주리
    ("청창사 신청 기간이 언제예요?", "term_type"),  # 신청 기간 is a schedule, not a loan term
    ("수출 기업 전용 자금", "export_status"),     # names a kind of company, states no fact
    ("금리 2%예요", "revenue_change"),           # a percentage that is not a revenue change
    ("금리가 작년이랑 비슷해요", "revenue_change"),  # something else stayed the same
    ("직원 수는 그대로예요", "revenue_change"),
    ("스마트공장 도입하려는데요", "industry"),     # a program topic, not the manufacturing industry
    ("상환 기간 5년이에요", "business_age"),       # a loan period, not years in business
    ("청년전용창업자금 만39세 이하죠?", "rep_age"),  # the program's age limit, not the owner's age
])
def test_no_false_entities(text: str, entity: str) -> None:
    assert entity not in {name for name, _, _ in found(text)}


def test_spans_index_the_original_text_with_irregular_spacing() -> None:
    text = "  부산에서   직원  12명 ,  3천만원을   빌리려고요  "
    entities = extract_entities(text)
    assert [(e.entity, text[e.start:e.end]) for e in entities] == [
        ("region", "부산"), ("employee_count", "12명"), ("money", "3천만원")]


def test_component_adds_entities_with_extractor_name() -> None:
    message = Message({TEXT: "인천에서 IT 회사 해요", ENTITIES: [{"entity": "x", "start": 0, "end": 1, "value": "x"}]})
    KoreanEntityExtractor().process([message])
    entities = message.get(ENTITIES)
    assert entities[0]["entity"] == "x"
    assert {(e["entity"], e["value"], e["extractor"]) for e in entities[1:]} == {
        ("region", "인천광역시", "KoreanEntityExtractor"), ("industry", "정보통신업", "KoreanEntityExtractor")}


def test_aliases_are_unique_across_values() -> None:
    seen: dict[str, str] = {}
    for table in (gazetteer.PROVINCES, gazetteer.CITIES, gazetteer.INDUSTRIES, gazetteer.CRISIS_TYPES,
                  gazetteer.FUND_PURPOSES, gazetteer.TERM_TYPES, gazetteer.PROGRAMS):
        for value, aliases in table.items():
            for alias in aliases:
                key = "".join(alias.split()).lower()
                assert seen.setdefault(key, value) == value, f"{alias!r} maps to {seen[key]!r} and {value!r}"


def test_every_city_rolls_up_to_a_province() -> None:
    assert set(gazetteer.CITY_PROVINCE.values()) <= set(gazetteer.PROVINCES)


@pytest.mark.skipif(not any(PROGRAM_DOCS.glob("*.md")), reason="no knowledge-base program documents yet")
def test_program_ids_exist_in_the_knowledge_base() -> None:
    ids = {match.group(1) for path in PROGRAM_DOCS.glob("*.md")
           if (match := re.search(r"^id:\s*([\w-]+)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE))}
    assert set(gazetteer.PROGRAMS) <= ids, sorted(set(gazetteer.PROGRAMS) - ids)
