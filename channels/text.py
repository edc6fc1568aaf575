"""Splitting long replies for chat apps whose messages have a length limit (Telegram, KakaoTalk)."""

from __future__ import annotations


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Split text into chunks of at most `limit` UTF-16 code units, preferring paragraph, line and word breaks."""
    chunks: list[str] = []
    rest = text.strip()
    while utf16_units(rest) > limit:
        cut = len(rest)
        while utf16_units(rest[:cut]) > limit:
            cut = cut * limit // utf16_units(rest[:cut]) if cut > limit else cut - 1
        window = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            position = window.rfind(separator)
            if position > cut // 2:
                cut = position
                break
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
