"""The company profile's values from Korean text (one owner, used by the NLU's entity extractor and the intake form):
Korean surface text of a fact → the profile value.

Each function takes the matched text (particles may still be attached, e.g. `5억원을`, `3년차인데`) and
returns the value or None when the text is not that kind of fact.
"""

from __future__ import annotations

import datetime
import re

SINO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
LARGE_UNITS = {"만": 10**4, "억": 10**8, "조": 10**12}
NATIVE_TENS = {"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50, "예순": 60, "일흔": 70}
NATIVE_ONES = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4, "다섯": 5, "여섯": 6,
               "일곱": 7, "여덟": 8, "아홉": 9}
DECADE_OFFSETS = {"초반": 2, "중반": 5, "후반": 8}

_NUMBER_PART = re.compile(r"\d+(?:\.\d+)?|[영공일이삼사오육칠팔구]|[십백천]|[만억조]")
_NATIVE = re.compile(
    "(" + "|".join(sorted(NATIVE_TENS, key=len, reverse=True)) + ")?"
    "(" + "|".join(sorted(NATIVE_ONES, key=len, reverse=True)) + ")?"
)


def parse_native_number(text: str) -> int | None:
    """Native Korean counting numbers: 다섯 → 5, 열두 → 12, 서른다섯 → 35, 스무 → 20."""
    text = text.replace(" ", "")
    match = _NATIVE.fullmatch(text)
    if not text or match is None:
        return None
    tens, ones = match.groups()
    return NATIVE_TENS.get(tens or "", 0) + NATIVE_ONES.get(ones or "", 0)


def parse_korean_number(text: str, *, money: bool = False) -> float | None:
    """Arabic and Sino-Korean numbers with units: `1,500만` → 15000000, `오천만` → 50000000, `2.5억` → 250000000.

    With `money=True` a bare 천/백 right after 억 means 천만/백만, as people say it: `1억 5천` → 150000000.
    """
    cleaned = re.sub(r"(?<=\d),(?=\d{3})", "", text).replace(" ", "")
    parts = _NUMBER_PART.findall(cleaned)
    if not parts or "".join(parts) != cleaned:
        return None
    total, section, number = 0.0, 0.0, None
    last_large = None
    for part in parts:
        if part[0].isdigit():
            number = float(part)
        elif part in SINO_DIGITS:
            number = float(SINO_DIGITS[part])
        elif part in SMALL_UNITS:
            section += (1.0 if number is None else number) * SMALL_UNITS[part]
            number = None
        else:
            section += 0.0 if number is None else number
            total += (section or 1.0) * LARGE_UNITS[part]
            section, number, last_large = 0.0, None, part
    tail = section + (number or 0.0)
    if money and last_large == "억" and 0 < tail < 10**4 and section:
        tail *= 10**4
    return total + tail


def parse_count(text: str) -> int | None:
    """A count in Arabic, Sino-Korean or native Korean numerals: `10`, `십오`, `열다섯`, `스무`."""
    native = parse_native_number(text)
    if native:
        return native
    value = parse_korean_number(text)
    return int(value) if value is not None and value == int(value) else None


def normalize_money(text: str) -> int | None:
    """Won as an integer: `1억 5천` → 150000000, `3천만원` → 30000000, `5억원을` → 500000000.

    Needs a large unit (만/억/조) or 원, so `30` alone is not money.
    """
    match = re.match(r"\s*([\d.,\s영공일이삼사오육칠팔구십백천만억조]+)(원)?", text)
    if match is None:
        return None
    number, won = match.group(1).strip(), match.group(2)
    # `2억이에요`, `3억이 필요`, `2억 이상`: a lone digit syllable after a unit is a particle or the next word.
    number = re.sub(r"([십백천만억조])\s*[영공일이삼사오육칠팔구]$", r"\1", number)
    if not won and not re.search(r"[만억조]", number):
        return None
    value = parse_korean_number(number, money=True)
    return int(round(value)) if value else None


def normalize_business_age(text: str, today: datetime.date | None = None) -> float | None:
    """Years in business: `3년차` → 3, `6개월` → 0.5, `1년 반` → 1.5, `2019년에 창업` → this year − 2019, `작년` → 1."""
    today = today or datetime.date.today()
    compact = text.replace(" ", "")
    relative = {"올해": 0, "올": 0, "작년": 1, "지난해": 1, "재작년": 2}
    for word, years in relative.items():
        if compact.startswith(word):
            return float(years)
    year = re.match(r"((?:19|20)\d{2})년", compact)
    if year:
        return float(max(0, today.year - int(year.group(1))))
    short_year = re.match(r"'?(\d{2})년도?에", compact)
    if short_year:
        return float(max(0, today.year - 2000 - int(short_year.group(1))))
    amount = re.match(r"([\d.]+|[가-힣]+?)(년|개월|달)(반)?", compact)
    if amount is None:
        return None
    number = amount.group(1)
    value = float(number) if number[0].isdigit() else parse_count(number)
    if value is None:
        return None
    years = value / 12 if amount.group(2) in ("개월", "달") else float(value)
    return round(years + (0.5 if amount.group(3) else 0.0), 2)


_DROP = ("줄", "감소", "하락", "떨어", "빠졌", "빠지", "급감", "꺾", "축소", "마이너스", "손실", "깎", "내려", "줄어")
_RISE = ("늘", "증가", "상승", "올랐", "오르", "급증", "성장", "뛰", "플러스")


def revenue_direction(context: str) -> int | None:
    """-1 for a drop, +1 for a rise, None when the words say neither."""
    drop = min((context.find(word) for word in _DROP if word in context), default=-1)
    rise = min((context.find(word) for word in _RISE if word in context), default=-1)
    if drop < 0 and rise < 0:
        return None
    if rise < 0 or (0 <= drop < rise):
        return -1
    return 1


def normalize_revenue_change(text: str, context: str) -> float | None:
    """Percent change, negative for a drop: (`30%`, `매출이 30% 줄었`) → -30; `절반`/`반토막` → -50."""
    compact = text.replace(" ", "")
    if compact in ("절반", "반토막", "반", "반의반"):
        return -75.0 if compact == "반의반" else -50.0
    match = re.match(r"([\d.]+)(%|프로|퍼센트|퍼)", compact)
    direction = revenue_direction(context)
    if match is None or direction is None:
        return None
    return direction * float(match.group(1))


def normalize_employee_count(text: str) -> int | None:
    """Employees: `10명` → 10, `다섯 명이요` → 5, `상시근로자 5인` → 5."""
    match = re.match(r"\s*([\d,]+|[가-힣]+?)\s*(명|인)", text)
    if match is None:
        return None
    return parse_count(match.group(1).replace(",", ""))


def normalize_rep_age(text: str) -> int | None:
    """Representative's age in years: `만 34세` → 34, `34살` → 34, `마흔 살` → 40.

    A decade (`30대`) becomes its first year (30); `초반`/`중반`/`후반` add 2/5/8 (`30대 후반` → 38).
    """
    compact = text.replace(" ", "")
    decade = re.match(r"(\d0)대(초반|중반|후반)?", compact)
    if decade:
        return int(decade.group(1)) + DECADE_OFFSETS.get(decade.group(2) or "", 0)
    match = re.match(r"(?:만)?(\d+|[가-힣]+?)(세|살)", compact)
    if match is None:
        return None
    age = parse_count(match.group(1))
    return age if age is not None and 15 <= age <= 100 else None
