"""Korean particles that depend on the last syllable (을/를, 은/는, 으로/로), and ordinal references to a list the
bot just showed ("두 번째 거", "마지막 자금")."""

from __future__ import annotations

import re

ORDINALS: tuple[tuple[re.Pattern[str], int], ...] = tuple((re.compile(pattern), position) for pattern, position in (
    (r"첫\s*번\s*째|첫\s*째|1\s*번|맨\s*위", 0), (r"두\s*번\s*째|둘\s*째|2\s*번", 1),
    (r"세\s*번\s*째|셋\s*째|3\s*번", 2), (r"마지막|맨\s*아래|맨\s*밑", -1),
))

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
RIEUL = 8


def _final(word: str) -> int | None:
    """Index of the final consonant of the last syllable (0 = none), None for a non-Hangul ending."""
    last = word.rstrip()[-1:] or " "
    code = ord(last)
    if HANGUL_FIRST <= code <= HANGUL_LAST:
        return (code - HANGUL_FIRST) % 28
    return 0 if last.isalpha() else None


def object_particle(word: str) -> str:
    """word + 을/를."""
    return word + ("를" if _final(word) in (0, None) else "을")


def topic_particle(word: str) -> str:
    """word + 은/는."""
    return word + ("는" if _final(word) in (0, None) else "은")


def direction_particle(word: str) -> str:
    """word + 으로/로 (로 after a vowel or ㄹ)."""
    return word + ("로" if _final(word) in (0, None, RIEUL) else "으로")


def ordinal_position(text: str) -> int | None:
    """The list position a message points at (0-based, -1 = the last), None when it points at none."""
    return next((position for pattern, position in ORDINALS if pattern.search(text)), None)
