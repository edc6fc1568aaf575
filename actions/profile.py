"""The company profile: normalise slot values, parse short free-text answers and describe the profile in Korean."""

from __future__ import annotations

import re
from typing import Any

from knowledge_base.eligibility import PROFILE_KEYS
from knowledge_base.profile_values import normalize_business_age, normalize_employee_count, normalize_rep_age

UNKNOWN = "unknown"
PROFILE_SLOTS = PROFILE_KEYS  # the company profile's keys are the knowledge base's (one owner): also the slot names
NUMBER = re.compile(r"[-+−]?\d+(?:[.,]\d+)?")
EXPORT_WORDS = {
    "수출예정": ("예정", "계획", "준비", "할 생각", "하려고", "시작하려"),
    "내수": ("내수", "안 해", "안해", "안 하", "안하", "안 함", "안함", "없어", "없습니다", "하지 않", "국내만",
           "국내에서만"),
    "수출중": ("수출중", "수출 중", "수출하고", "수출 하고", "수출해", "수출합니다", "수출을 하"),
}
PURPOSE_WORDS = {
    "운전": ("운전", "운영", "인건비", "원자재", "재료", "급여", "월급", "임대료", "경영"),
    "시설": ("시설", "설비", "공장", "기계", "장비", "건물", "부지", "스마트공장"),
}
DROP_WORDS = ("감소", "줄", "떨어", "하락", "마이너스", "적자", "빠졌", "반토막")
FLAT_WORDS = ("비슷", "변동 없", "변화 없", "그대로", "똑같", "변동없", "변화없", "유지")
SLOT_LABELS = {
    "business_age": "업력", "industry": "업종", "region": "지역", "employee_count": "직원 수",
    "revenue_change": "매출 변화", "export_status": "수출 여부", "fund_purpose": "자금 용도",
    "rep_age": "대표자 나이", "crisis_type": "위기 유형",
}


def to_number(value: Any) -> float | None:
    """A float from a number or the first number in a text ('5년' → 5.0, '−15%' → -15.0); None if there is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = NUMBER.search(str(value or ""))
    if not match:
        return None
    return float(match.group().replace("−", "-").replace(",", "."))


# Answers without digits ('다섯 명', '작년에 창업했어요') read by the same normalisers as the NLU's entities.
WORD_NUMBER_PARSERS = {"business_age": normalize_business_age, "employee_count": normalize_employee_count,
                       "rep_age": normalize_rep_age}


def slot_number(slot: str, value: Any) -> float | None:
    """The number of a numeric profile slot: digits first, else the Korean words for it."""
    number = to_number(value)
    if number is None and isinstance(value, str):
        parsed = WORD_NUMBER_PARSERS[slot](value)
        number = None if parsed is None else float(parsed)
    return number


def _in(value: float | None, low: float, high: float) -> float | None:
    return value if value is not None and low <= value <= high else None


def _choice(value: Any, words: dict[str, tuple[str, ...]]) -> str | None:
    text = str(value or "").strip()
    if text in words:
        return text
    return next((canonical for canonical, cues in words.items() if any(cue in text for cue in cues)), None)


def normalise(slot: str, value: Any) -> Any:
    """The canonical value of a profile slot, UNKNOWN kept as is; None when the value is not acceptable."""
    if value is None or value == UNKNOWN:
        return value
    if slot == "business_age":
        return _in(slot_number(slot, value), 0, 100)
    if slot in ("employee_count", "rep_age"):
        low = 15 if slot == "rep_age" else 0
        number = _in(slot_number(slot, value), low, 100 if slot == "rep_age" else 1_000_000)
        return None if number is None else int(number)
    if slot == "revenue_change":
        return normalise_revenue_change(value)
    if slot == "export_status":
        return _choice(value, EXPORT_WORDS)
    if slot == "fund_purpose":
        return _choice(value, PURPOSE_WORDS)
    text = str(value).strip()
    return text or None


def normalise_revenue_change(value: Any) -> float | None:
    """Percent change of revenue; a text that says it dropped makes the number negative; 'similar' is 0."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _in(float(value), -100, 1000)
    text = str(value)
    number = to_number(text)
    if number is None:
        return 0.0 if any(word in text for word in FLAT_WORDS) else None
    if number > 0 and any(word in text for word in DROP_WORDS):
        number = -number
    return _in(number, -100, 1000)


def parse_answer(slot: str, text: str, intent: str | None) -> Any:
    """Value for a requested slot from a short answer without entities ('5', '15% 줄었어요', '네'); None if unclear."""
    if slot == "export_status" and intent in ("affirm", "deny"):
        return "수출중" if intent == "affirm" else "내수"
    if slot in ("business_age", "employee_count", "rep_age", "revenue_change", "export_status", "fund_purpose"):
        return normalise(slot, text)
    return None


def profile_from_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """The knowledge base profile: normalised known values only (no None, no UNKNOWN)."""
    profile = {}
    for slot in PROFILE_SLOTS:
        value = normalise(slot, slots.get(slot))
        if value is not None and value != UNKNOWN:
            profile[slot] = value
    return profile


def format_value(slot: str, value: Any) -> str:
    """A profile value as Korean text ('2년', '매출 15% 감소', '운전자금')."""
    if value == UNKNOWN:
        return "모름"
    if slot == "business_age":
        return f"{value:g}년"
    if slot == "employee_count":
        return f"{value}명"
    if slot == "rep_age":
        return f"만 {value}세"
    if slot == "revenue_change":
        return "변동 없음" if value == 0 else f"{abs(value):g}% {'감소' if value < 0 else '증가'}"
    if slot == "fund_purpose":
        return f"{value}자금"
    return str(value)


def describe(profile: dict[str, Any]) -> str:
    """One-line Korean summary of a profile ('업력 2년 · 업종 제조업 · …'), or '정보 없음'."""
    parts = [f"{SLOT_LABELS[slot]} {format_value(slot, profile[slot])}" for slot in PROFILE_SLOTS if slot in profile]
    return " · ".join(parts) or "정보 없음"
