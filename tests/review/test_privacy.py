"""PII masking on Korean text in realistic formats, and on serialised Rasa events."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from channels.privacy import CORPORATE, PLACEHOLDERS, find_pii, mask_event, mask_pii, masking_on_new_message

RAW = {
    "900101-1234567": "<주민등록번호>",
    "123-45-67890": "<사업자등록번호>",
    "010-1234-5678": "<전화번호>",
    "foo@bar.co.kr": "<이메일>",
    "110-123-456789": "<계좌번호>",
    "1234-5678-9012-3456": "<카드번호>",
}


@pytest.mark.parametrize(("text", "expected"), [
    ("주민번호 900101-1234567 입니다", "주민번호 <주민등록번호> 입니다"),
    ("9001012234567", "<주민등록번호>"),
    ("법인등록번호는 110111-0012345이에요", "법인등록번호는 <법인등록번호>이에요"),
    ("사업자등록번호 123-45-67890", "사업자등록번호 <사업자등록번호>"),
    ("사업자번호 1234567890 입니다", "사업자번호 <사업자등록번호> 입니다"),
    ("010-1234-5678로 연락 주세요", "<전화번호>로 연락 주세요"),
    ("01012345678", "<전화번호>"),
    ("010 1234 5678", "<전화번호>"),
    ("+82 10-1234-5678", "<전화번호>"),
    ("사무실 02-123-4567, 031)123-4567", "사무실 <전화번호>, <전화번호>"),
    ("메일은 foo@bar.co.kr 입니다", "메일은 <이메일> 입니다"),
    ("신한 110-123-456789", "신한 <계좌번호>"),
    ("국민은행 123456-78-901234 농협 301-1234-5678-11", "국민은행 <계좌번호> 농협 <계좌번호>"),
    ("계좌번호 3333012345678", "계좌번호 <계좌번호>"),
    ("카드 1234-5678-9012-3456", "카드 <카드번호>"),
    ("1234 5678 9012 3456", "<카드번호>"),
])
def test_masks_korean_formats(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "정책자금 전담 콜센터 1811-3655로 전화 주세요",
    "매출 1500000000원, 직원 12명, 업력 3년, 매출 30% 감소",
    "한도 60억원, 금리 2.5%, 2025-01-15 공고",
    "https://mobile.newsis.com/view_amp.html?ar_id=NISX20250718_0003258007",
    "2024년 매출이 1,000,000,000원이에요",
    "<전화번호>로 연락 주세요",
    "",
])
def test_leaves_other_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_mask_is_idempotent_and_complete() -> None:
    text = "연락처 " + ", ".join(RAW)
    masked = mask_pii(text)
    assert mask_pii(masked) == masked
    assert all(raw not in masked for raw in RAW)
    assert [span.placeholder for span in find_pii(text)] == list(RAW.values())
    assert {*RAW.values(), CORPORATE} == set(PLACEHOLDERS), "every kind of personal data is covered"


def test_mask_event_masks_text_entities_and_slots() -> None:
    text = "서울 제조업이고 전화 010-1234-5678 입니다"
    event = {
        "event": "user", "text": text, "timestamp": 1.0,
        "parse_data": {
            "text": text, "intent": {"name": "inform", "confidence": 0.9},
            "entities": [{"entity": "region", "start": 0, "end": 2, "value": "서울특별시"},
                         {"entity": "money", "start": 12, "end": 25, "value": "010-1234-5678"}],
        },
        "metadata": {"user": {"phone": "01012345678"}},
    }
    assert text[12:25] == "010-1234-5678"
    masked = mask_event(event)
    assert masked["text"] == "서울 제조업이고 전화 <전화번호> 입니다"
    assert masked["parse_data"]["text"] == masked["text"]
    region, money = masked["parse_data"]["entities"]
    assert region == {"entity": "region", "start": 0, "end": 2, "value": "서울특별시"}
    assert masked["text"][money["start"]:money["end"]] == "<전화번호>" == money["value"]
    assert masked["metadata"] == {"user": {"phone": "<전화번호>"}}
    assert mask_event({"event": "slot", "name": "x", "value": ["foo@bar.co.kr", 3]})["value"] == ["<이메일>", 3]
    assert event["text"] == text, "the original event is not modified"


def test_masking_wrapper_masks_before_the_processor() -> None:
    seen = []

    async def on_new_message(message: SimpleNamespace) -> None:
        seen.append((message.text, message.metadata))

    message = SimpleNamespace(text="제 번호는 010-1234-5678", metadata={"email": "foo@bar.co.kr"})
    asyncio.run(masking_on_new_message(on_new_message)(message))
    assert seen == [("제 번호는 <전화번호>", {"email": "<이메일>"})]
