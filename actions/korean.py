"""Korean particles that depend on the last syllable (을/를, 은/는, 으로/로)."""

from __future__ import annotations

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
