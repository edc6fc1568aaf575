"""Mask personal data (Korean formats) in text, Rasa events and incoming messages before anything is stored or logged.

Every match is replaced by a typed placeholder such as `<전화번호>`, so the bot still knows what kind of value it was.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

RRN = "<주민등록번호>"
BUSINESS = "<사업자등록번호>"
CORPORATE = "<법인등록번호>"
PHONE = "<전화번호>"
EMAIL = "<이메일>"
ACCOUNT = "<계좌번호>"
CARD = "<카드번호>"
PLACEHOLDERS = (RRN, BUSINESS, CORPORATE, PHONE, EMAIL, ACCOUNT, CARD)

_START = r"(?<![0-9A-Za-z_\-.@])"  # not inside a longer number, identifier or URL token
_END = r"(?![0-9A-Za-z_@]|[-.]\d)"
_SEP = r"[ \-.]?"
_PATTERNS = [
    ("email", r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    ("card", _START + r"(?:\d{4}[ \-]\d{4}[ \-]\d{4}[ \-]\d{4}|\d{4}[ \-]\d{6}[ \-]\d{5}|\d{16})" + _END),
    ("regno", _START + r"\d{6}[ ]?-[ ]?\d{7}|" + _START + r"\d{13}" + _END),
    ("phone", _START + r"(?:\+82[ \-]?|\(?)(?:0?1[016789]\)?" + _SEP + r"\d{3,4}" + _SEP + r"\d{4}"
              r"|0?(?:2|[3-6][1-5]|70)\)?" + _SEP + r"\d{3,4}" + _SEP + r"\d{4})" + _END),
    ("business", _START + r"\d{3}-\d{2}-\d{5}" + _END),
    ("account", _START + r"\d{2,6}(?:[ \-]\d{2,7}){1,3}" + _END),
    ("digits", _START + r"\d{10,14}" + _END),
]
_REGEX = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS))
_URL = re.compile(r"https?://\S+")
_KEYWORDS = [
    (CORPORATE, re.compile(r"법인\s*(?:등록)?\s*번호|법인번호")),
    (BUSINESS, re.compile(r"사업자")),
    (CARD, re.compile(r"카드")),
    (ACCOUNT, re.compile(r"계좌|통장|은행|입금|송금")),
    (PHONE, re.compile(r"전화|연락처|휴대폰|핸드폰|번호로\s*연락")),
    (RRN, re.compile(r"주민")),
]
_MONEY_AFTER = re.compile(r"\s*(?:원|만|억|천|백|%|퍼센트|명|개|년|월|일)")


@dataclass(frozen=True)
class Span:
    """One masked region: [start, end) in the original text and its placeholder."""

    start: int
    end: int
    placeholder: str


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _valid_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def _corporate_checksum(digits: str) -> bool:
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


def _keyword_before(text: str, start: int, window: int = 20) -> str | None:
    """The kind named by the nearest keyword in the `window` characters before `start`, if any."""
    before = text[max(0, start - window):start]
    best: tuple[int, str] | None = None
    for placeholder, keyword in _KEYWORDS:
        for match in keyword.finditer(before):
            if best is None or match.end() > best[0]:
                best = (match.end(), placeholder)
    return best[1] if best else None


def _registration_kind(text: str, start: int, digits: str) -> str:
    """Resident or corporate registration number (both are 6-7 digits)."""
    if _keyword_before(text, start) == CORPORATE:
        return CORPORATE
    if digits[6] in "12345678" and _valid_date(digits[:6]):
        return RRN
    return CORPORATE if _corporate_checksum(digits) else RRN


def _classify(match: re.Match[str], text: str) -> str | None:
    """Placeholder for a candidate match, or None if it is not personal data (e.g. an amount of money)."""
    kind, value, start = match.lastgroup, match.group(), match.start()
    keyword = _keyword_before(text, start)
    if kind == "email":
        return EMAIL
    if kind == "card":
        return CARD
    if kind == "regno" and "-" in value:
        return _registration_kind(text, start, _digits(value))
    if kind == "phone":
        return PHONE
    if kind == "business":
        return BUSINESS
    digits = _digits(value)
    if kind == "account":
        if not 10 <= len(digits) <= 14:
            return None
        return keyword if keyword in (ACCOUNT, BUSINESS, CARD, CORPORATE) else ACCOUNT
    # bare run of 10-14 digits: an amount or a count when a unit follows, else personal data by keyword or length
    if _MONEY_AFTER.match(text, match.end()) and keyword is None:
        return None
    if keyword:
        return keyword
    if len(digits) == 13:
        return _registration_kind(text, start, digits)
    if len(digits) == 10 and digits[0] != "0":
        return BUSINESS
    return ACCOUNT


def find_pii(text: str) -> list[Span]:
    """The personal-data spans of `text`, left to right, not overlapping (URLs are left alone)."""
    urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
    spans = []
    for match in _REGEX.finditer(text):
        if any(start <= match.start() < end for start, end in urls):
            continue
        placeholder = _classify(match, text)
        if placeholder:
            spans.append(Span(match.start(), match.end(), placeholder))
    return spans


def mask_pii(text: str) -> str:
    """`text` with every personal-data value replaced by its typed placeholder, e.g. `010-1234-5678` → `<전화번호>`."""
    if not isinstance(text, str) or not text:
        return text
    return apply_spans(text, find_pii(text))


def apply_spans(text: str, spans: list[Span]) -> str:
    """Replace the spans of `text` by their placeholders."""
    parts, cursor = [], 0
    for span in spans:
        parts.append(text[cursor:span.start])
        parts.append(span.placeholder)
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


def map_offset(spans: list[Span], offset: int, is_end: bool = False) -> int:
    """Where character `offset` of the original text lands in the masked text (offsets inside a span snap to it)."""
    shift = 0
    for span in spans:
        if offset <= span.start:
            break
        if offset < span.end or (is_end and offset == span.end):
            return span.start + shift + (len(span.placeholder) if is_end else 0)
        shift += len(span.placeholder) - (span.end - span.start)
    return offset + shift


def mask_entities(entities: list[dict[str, Any]], spans: list[Span], masked_text: str) -> list[dict[str, Any]]:
    """Entities re-pointed at the masked text: offsets shifted, values inside personal data replaced."""
    result = []
    for entity in entities:
        entity = dict(entity)
        if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
            original = (entity["start"], entity["end"])
            entity["start"] = map_offset(spans, original[0])
            entity["end"] = map_offset(spans, original[1], is_end=True)
            if any(s.start < original[1] and original[0] < s.end for s in spans):
                entity["value"] = masked_text[entity["start"]:entity["end"]]
        result.append(_mask_value(entity))
    return result


def _mask_value(value: Any) -> Any:
    """Mask every string inside a JSON-like value."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [_mask_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    return value


def mask_event(event: dict[str, Any]) -> dict[str, Any]:
    """A masked copy of a serialised Rasa event: message text, parse data (text, entities), slot values, metadata."""
    event = copy.deepcopy(event)
    text = event.get("text")
    parse_data = event.get("parse_data")
    if isinstance(text, str):
        spans = find_pii(text)
        event["text"] = apply_spans(text, spans)
        if isinstance(parse_data, dict) and isinstance(parse_data.get("entities"), list):
            parse_data["entities"] = mask_entities(parse_data["entities"], spans, event["text"])
    return _mask_value(event)


def mask_user_message(message: Any) -> Any:
    """Mask a rasa `UserMessage` in place (its text and metadata) and return it."""
    message.text = mask_pii(message.text)
    if message.metadata:
        message.metadata = _mask_value(message.metadata)
    return message


def masking_on_new_message(on_new_message: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    """Wrap an input channel's `on_new_message` so every message is masked before Rasa's processor sees it."""

    async def masked(message: Any) -> Any:
        return await on_new_message(mask_user_message(message))

    return masked
