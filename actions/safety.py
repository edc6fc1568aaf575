"""Spot a user in distress in a message (keywords), so the bot can hand over to a person."""

from __future__ import annotations

SEVERE = ("죽고 싶", "죽고싶", "자살", "극단적 선택", "극단적인 선택", "살기 싫", "살고 싶지 않", "목숨을 끊")
DISTRESS = ("막막", "너무 힘들", "너무 힘듭", "못 버티", "버틸 수가", "절망", "살려 주", "살려주", "제발 도와",
            "어떻게 해야 할지 모르")
CRISIS_LINE = "자살예방 상담전화 109 (24시간, 보건복지부 2024년 통합번호)"


def distress_level(text: str) -> int:
    """2 = risk to life, 1 = distress, 0 = none."""
    compact = text.replace(" ", "")
    if any(word.replace(" ", "") in compact for word in SEVERE):
        return 2
    if any(word.replace(" ", "") in compact for word in DISTRESS):
        return 1
    return 0
