"""The knowledge base API used by the actions: search, get, answer and recommend over the program documents."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.documents import (
    APPLICATION_CATEGORY,
    DEFAULT_PROGRAMS_DIR,
    QUESTION_SECTION,
    Program,
    load_programs,
)
from knowledge_base.eligibility import Decision, check, profile_query
from knowledge_base.embedders import Embedder, create_embedder, embedder_spec
from knowledge_base.guide_documents import Guide, guides_dir, load_guides, staff_dir
from knowledge_base.index import ChunkIndex, build, index_dir, open_index
from knowledge_base.lexical import coverage, question_tokens, top_rows
from knowledge_base.load_cache import LoadCache, Stamp

# Weighted reciprocal rank fusion; k and the lexical weight were picked on the even-indexed half of the labelled
# queries (the odd half is held out, see `python -m knowledge_base evaluate`).
RRF_K = 10
LEXICAL_WEIGHT = 1.5
CANDIDATES = 60
INELIGIBLE_FACTOR = 0.3
MODES = ("hybrid", "dense", "lexical")
TOPICS = {
    "limit": "한도", "rate": "금리", "period": "기간", "eligibility": "지원대상", "documents": "제출서류",
    "application": "신청방법", "contact": "문의",
}
# A recommendation must reach this share of the best program's relevance to the need (below it, it is padding).
MIN_RECOMMEND_SHARE = 0.2
FIT_BONUS = 0.1  # per fit point (eligible, and each satisfied condition): a known fit breaks near-ties of relevance
GUIDE_COVERAGE_WEIGHT = 0.1  # picked on the tune split: the rarer words a guide shares break near-ties of meaning
GUIDE_TOPIC_SECTIONS = ("요약", QUESTION_SECTION, "답변")  # what a guide is about (not its detail text)
# A document whose facts are this many years older than the newest document in the corpus is out of date:
# recommend() ranks it after every current program and every hit of it says so.
STALE_YEARS = 5
# Query vectors kept per process: users ask the same questions and recommend() searches with the same profile texts,
# and embedding a query is most of a search's time (measured by `python -m bot.load_test`).
QUERY_CACHE_SIZE = 4096


@dataclass
class Hit:
    """One program (or guide) found for a query; `missing` lists profile keys that would decide eligibility."""

    program_id: str
    title: str
    score: float
    source_urls: list[str]
    as_of: int
    category: str
    summary: str
    key_terms: dict[str, str]
    eligible: bool | None = None
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the CLI: every field plus `source_url`, the first source."""
        data = asdict(self)
        data["source_url"] = self.source_urls[0]
        return data


@dataclass
class Answer:
    """A reply about one aspect of a program; `text` already ends with the year and the first source."""

    text: str
    as_of: int
    source_urls: list[str]

    @property
    def body(self) -> str:
        """The answer without its year-and-source footer (for replies that name their sources instead)."""
        return self.text.rsplit("\n", 1)[0]


@dataclass(frozen=True)
class QueryTerms:
    """A query's lexical side, computed once per text: morphemes, every chunk's BM25 score, each term's weight."""

    tokens: list[str]
    scores: np.ndarray
    weights: dict[str, float]


@dataclass(frozen=True)
class Passage:
    """A document ranked for a query: fused score, its closest chunk (section, text) with that chunk's cosine, and
    the BM25 score of its best lexical chunk (0 when no content word of the query occurs in it)."""

    document_id: str
    score: float
    cosine: float
    lexical: float
    section: str
    text: str
    phrasing_cosine: float = 0.0  # guides: the cosine of the closest owner phrasing (0 when none is near)
    coverage: float = 0.0  # share of the query's term weight that the document contains (see lexical.coverage)


@lru_cache(maxsize=4)
def _embedder(spec: str) -> Embedder:
    return create_embedder(spec)


def _documents(programs: list[Program], guides: list[Guide]) -> list[Program]:
    """Programs and guides as one list of index documents; a guide may not reuse a program's id."""
    taken = {program.program_id for program in programs}
    clashes = [guide.guide_id for guide in guides if guide.guide_id in taken]
    if clashes:
        raise ValueError(f"guide ids clash with program ids: {clashes}")
    return [*programs, *(guide.as_document() for guide in guides)]


_LOADED = LoadCache()


class KnowledgeBase:
    """Program documents with a hybrid (dense + BM25, RRF-fused) chunk index; answers at program level."""

    def __init__(self, programs: list[Program], index: ChunkIndex, embedder: Embedder,
                 guides: list[Guide] | None = None) -> None:
        self.programs = {p.program_id: p for p in programs}
        self.guides = {g.guide_id: g for g in guides or []}
        self.documents = {d.program_id: d for d in _documents(programs, guides or [])}
        self.newest_year = max(p.as_of for p in programs)
        self.index = index
        self.embedder = embedder
        self.query_vector = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)
        self.query_terms = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._score_terms)
        self._terms: dict[str, set[str]] = {}
        self._phrasing_rows: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
        self._guide_chunks: dict[str, np.ndarray] = {}
        self._program_rows: np.ndarray | None = None

    def _score_terms(self, query: str) -> QueryTerms:
        """The query's morphemes, every chunk's BM25 score for them and each term's weight (computed once)."""
        tokens = question_tokens(query)
        scores = self.index.bm25.scores(tokens)
        scores.setflags(write=False)  # shared by every later search for the same text
        return QueryTerms(tokens, scores, self.index.bm25.term_weights(tokens))

    def _embed_query(self, query: str) -> np.ndarray:
        vector = self.embedder.embed_query(query)
        vector.setflags(write=False)  # shared by every later search for the same text
        return vector

    @classmethod
    def load(cls, programs_dir: str | Path | None = None, index_path: str | Path | None = None,
             embedder: str | None = None, progress: bool = False) -> KnowledgeBase:
        """Programs, guides (shipped and staff-written) + index (built if missing, stale or made with another
        embedder). Cached per process until a document changes, so a staff answer is searchable on the next load."""
        folder = Path(programs_dir or os.environ.get("KB_PROGRAMS_DIR") or DEFAULT_PROGRAMS_DIR)
        guide_folders = (guides_dir(), staff_dir())
        target = index_dir(index_path)
        spec = embedder_spec(embedder)
        key = (str(folder), *map(str, guide_folders), str(target), spec)
        cached = _LOADED.current(key, (folder, *guide_folders))
        if cached is not None:
            return cached
        stamp = Stamp.of((folder, *guide_folders))
        programs = load_programs(folder)
        guides = load_guides(*guide_folders)
        model = _embedder(spec)
        index = open_index(_documents(programs, guides), model, target, progress=progress)
        kb = cls(programs, index, model, guides)
        _LOADED.store(key, stamp, kb)
        return kb

    @staticmethod
    def build(programs_dir: str | Path | None = None, index_path: str | Path | None = None,
              embedder: str | None = None, progress: bool = True) -> dict[str, Any]:
        """(Re)build the index incrementally and report what was embedded."""
        folder = Path(programs_dir or os.environ.get("KB_PROGRAMS_DIR") or DEFAULT_PROGRAMS_DIR)
        documents = _documents(load_programs(folder), load_guides(guides_dir(), staff_dir()))
        return build(documents, _embedder(embedder_spec(embedder)), index_dir(index_path),
                     progress=progress).as_dict()

    def _ranked(self, ranking: list[tuple[int, float]]) -> list[str]:
        seen: list[str] = []
        for row, _ in ranking:
            pid = self.index.chunks[row].program_id
            if pid not in seen:
                seen.append(pid)
        return seen

    def rank(self, query: str, mode: str = "hybrid", depth: int = CANDIDATES,
             guides: bool = False) -> list[tuple[str, float]]:
        """Programs (with `guides`, also guides) for the query with fused scores in [0, 1] (1 = first for every
        method used)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        # Programs only (not `guides`): the guides' many chunks (owner phrasings) must not crowd them out of the top.
        programs = None if guides else self._program_mask()
        dense, lexical = None, None
        if mode in ("hybrid", "dense"):
            vector = self.query_vector(query)
            dense = (self.index.dense_top(vector, depth) if programs is None
                     else top_rows(np.where(programs, self.index.vectors @ vector, 0.0), depth))
        if mode in ("hybrid", "lexical"):
            scores = self.query_terms(query).scores
            lexical = top_rows(scores if programs is None else np.where(programs, scores, 0.0), depth)
        return self._fused(dense, lexical)

    def _program_mask(self) -> np.ndarray:
        """Which index rows belong to programs (not guides), computed once."""
        if self._program_rows is None:
            self._program_rows = np.array([chunk.program_id in self.programs for chunk in self.index.chunks])
        return self._program_rows

    def _fused(self, dense: list[tuple[int, float]] | None, lexical: list[tuple[int, float]] | None,
               ) -> list[tuple[str, float]]:
        """Weighted reciprocal rank fusion of the chunk rankings that were made (None = method not used)."""
        lists = []
        if dense is not None:
            lists.append((1.0, self._ranked(dense)))
        if lexical is not None:
            lists.append((LEXICAL_WEIGHT, self._ranked(lexical)))
        fused: dict[str, float] = {}
        for weight, ranking in lists:
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + weight / (RRF_K + rank + 1)
        best = sum(weight for weight, _ in lists) / (RRF_K + 1)
        return sorted(((pid, score / best) for pid, score in fused.items()), key=lambda item: -item[1])

    def passages(self, query: str, depth: int = CANDIDATES) -> list[Passage]:
        """Documents for the query in fused (hybrid) order, each with its closest chunk and that chunk's cosine."""
        terms = self.query_terms(query)
        dense = self.index.dense_top(self.query_vector(query), depth)
        lexical_rows = top_rows(terms.scores, depth)
        closest: dict[str, tuple[int, float]] = {}
        phrasing: dict[str, float] = {}
        for row, cosine in dense:
            chunk = self.index.chunks[row]
            closest.setdefault(chunk.program_id, (row, cosine))
            if chunk.section == QUESTION_SECTION:
                phrasing.setdefault(chunk.program_id, cosine)
        lexical: dict[str, float] = {}
        for row, bm25 in lexical_rows:
            lexical.setdefault(self.index.chunks[row].program_id, bm25)
        weights = terms.weights
        found = []
        for pid, score in self._fused(dense, lexical_rows):
            row, cosine = closest.get(pid, (-1, 0.0))
            chunk = self.index.chunks[row] if row >= 0 else None
            found.append(Passage(pid, score, cosine, lexical.get(pid, 0.0), chunk.section if chunk else "",
                                 chunk.text if chunk else "", phrasing.get(pid, 0.0),
                                 coverage(weights, self.terms(pid))))
        return found

    def guide_matches(self, query: str, top: int = CANDIDATES) -> list[Passage]:
        """Every guide scored for the query by its closest owner phrasing (exhaustive, so a guide the fused top
        chunks missed still competes) plus GUIDE_COVERAGE_WEIGHT x the share of the question's rarer words it
        holds; the best `top` as passages (score = that sum)."""
        if not self.guides:
            return []
        rows, owners = self._guide_rows()
        cosines = self.index.vectors[rows] @ self.query_vector(query)
        terms = self.query_terms(query)
        bm25, weights = terms.scores, terms.weights
        found = []
        for guide_id, members in owners.items():
            best = members[int(np.argmax(cosines[members]))]
            share = coverage(weights, self.terms(guide_id))
            found.append(Passage(guide_id, float(cosines[best]) + GUIDE_COVERAGE_WEIGHT * share, float(cosines[best]),
                                 float(bm25[self._guide_chunks[guide_id]].max()), QUESTION_SECTION,
                                 self.index.chunks[rows[best]].text, float(cosines[best]), share))
        return sorted(found, key=lambda p: -p.score)[:top]

    def _guide_rows(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Index rows of the guides' owner phrasings, and per guide the positions of its phrasings among them."""
        if self._phrasing_rows is None:
            rows = [row for row, chunk in enumerate(self.index.chunks)
                    if chunk.program_id in self.guides and chunk.section == QUESTION_SECTION]
            owners: dict[str, list[int]] = {}
            for position, row in enumerate(rows):
                owners.setdefault(self.index.chunks[row].program_id, []).append(position)
            chunks: dict[str, list[int]] = {}
            for row, chunk in enumerate(self.index.chunks):
                if chunk.program_id in self.guides:
                    chunks.setdefault(chunk.program_id, []).append(row)
            self._guide_chunks = {gid: np.asarray(found) for gid, found in chunks.items()}
            self._phrasing_rows = (np.asarray(rows), {gid: np.asarray(found) for gid, found in owners.items()})
        return self._phrasing_rows

    def terms(self, document_id: str) -> set[str]:
        """The lexical terms of a document: every chunk of a program; a guide's title, phrasings and answer (its
        detail text mentions too many things to say what the guide is about)."""
        if not self._terms:
            for chunk, tokens in zip(self.index.chunks, self.index.tokens, strict=True):
                if chunk.program_id not in self.guides or chunk.section in GUIDE_TOPIC_SECTIONS:
                    self._terms.setdefault(chunk.program_id, set()).update(tokens)
        return self._terms.get(document_id, set())

    def is_stale(self, program: Program) -> bool:
        """True when only old facts are known: marked 과거자료/종료, or as_of STALE_YEARS behind the newest."""
        return program.status != "운영중" or self.newest_year - program.as_of >= STALE_YEARS

    def freshness_notes(self, program: Program) -> list[str]:
        """A Korean note for a program that ended or whose facts are old; [] for a current one."""
        if program.status == "종료":
            return [f"운영이 끝난 사업입니다 ({program.as_of}년 자료 기준)."]
        if self.is_stale(program):
            return [f"{program.as_of}년까지의 자료만 있어 현재 운영 여부와 조건은 확인이 필요합니다."]
        return []

    def _hit(self, program_id: str, score: float, decision: Decision | None = None) -> Hit:
        program = self.documents[program_id]
        hit = Hit(program_id=program_id, title=program.title, score=round(score, 4), source_urls=program.source_urls,
                  as_of=program.as_of, category=program.category, summary=program.summary,
                  key_terms=dict(program.key_terms), notes=self.freshness_notes(program))
        if decision is not None:
            hit.eligible, hit.reasons, hit.missing = decision.eligible, decision.reasons, decision.missing
        return hit

    def search(self, query: str, top_k: int = 3, profile: dict[str, Any] | None = None,
               mode: str = "hybrid", guides: bool = False) -> list[Hit]:
        """Best programs (with `guides`, also guides) for a question; with a profile, programs the company cannot
        get sink (score x 0.3)."""
        hits = [self._hit(pid, score, check(self.documents[pid].eligibility, profile) if profile else None)
                for pid, score in self.rank(query, mode, guides=guides)]
        if profile:
            for hit in hits:
                if hit.eligible is False:
                    hit.score = round(hit.score * INELIGIBLE_FACTOR, 4)
            hits.sort(key=lambda h: -h.score)
        return hits[:top_k]

    def get(self, program_id: str) -> Program:
        """The program document (or a guide's index document); KeyError for an unknown id."""
        return self.documents[program_id]

    def answer(self, program_id: str, topic: str) -> Answer | None:
        """One aspect of a program (limit, rate, period, eligibility, documents, application, contact) or None."""
        program = self.programs.get(program_id)
        if program is None or topic not in TOPICS:
            return None
        if topic in ("limit", "rate", "period"):
            body = f"{program.title} {TOPICS[topic]}: {program.key_terms[topic]}"
        else:
            body = f"[{program.title} · {TOPICS[topic]}]\n{program.sections[TOPICS[topic]]}"
        footer = f"(자료 기준 {program.as_of}년 · 출처: {program.source_urls[0]})"
        return Answer(text=f"{body}\n{footer}", as_of=program.as_of, source_urls=program.source_urls)

    def recommend(self, profile: dict[str, Any], query: str = "", top_k: int = 3) -> list[Hit]:
        """Programs for a company profile, need first: current programs before out-of-date ones (see is_stale), then
        by relevance to the need plus FIT_BONUS for being eligible and per satisfied condition; never ineligible or
        ended (status 종료) ones,
        never a niche program whose need words (`recommend_when`) the owner did not use, and, when there is a need
        to match, never one the need does not reach (no padding: fewer than top_k is a fair answer)."""
        described = profile_query(profile)
        text = query.strip() or described
        relevance = dict(self.rank(text)) if text else {}
        floor = MIN_RECOMMEND_SHARE * max(relevance.values(), default=0.0)
        need = f"{text} {described} {profile.get('region') or ''}".replace(" ", "")
        ranked = []
        for pid, program in self.programs.items():
            if program.category == APPLICATION_CATEGORY or program.status == "종료":
                continue
            if program.recommend_when and not any(word.replace(" ", "") in need for word in program.recommend_when):
                continue
            if relevance and relevance.get(pid, 0.0) <= floor:
                continue
            decision = check(program.eligibility, profile)
            if decision.eligible is not False:
                fit = (1 + decision.matched) if decision.eligible else 0
                key = (self.is_stale(program), -(relevance.get(pid, 0.0) + FIT_BONUS * fit))
                ranked.append((key, self._hit(pid, relevance.get(pid, 0.0), decision)))
        ranked.sort(key=lambda item: item[0])
        chosen: list[Hit] = []
        for _, hit in ranked:  # never an umbrella program together with one of its own tracks
            if len(chosen) < top_k and not any(umbrella_and_track(hit.title, other.title) for other in chosen):
                chosen.append(hit)
        return chosen


def umbrella_and_track(first: str, second: str) -> bool:
    """True when one title is a program and the other one of its tracks ('긴급경영안정자금' and
    '긴급경영안정자금(일시적 경영애로)'); two tracks of one program are different offers."""
    bases = [title.split("(")[0].replace(" ", "") for title in (first, second)]
    return bases[0] == bases[1] and ("(" in first) != ("(" in second)
