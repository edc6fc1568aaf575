"""Answers read with what surrounds the question: a follow-up read with the owner's previous question ('그럼
세금은요?'), and a second question in the same message ('… 맞죠? 금리는 몇프로에요') answered after the first."""

from __future__ import annotations

import re

from knowledge_base.agencies import agency_named_in
from knowledge_base.answering import Reply, answer_question, program_named_in, reply_from_guide, topic_of
from knowledge_base.api import KnowledgeBase
from knowledge_base.guide_documents import Source
from knowledge_base.leads import (
    FOCUS_MIN_COVERAGE,
    FOCUSED_ANSWER_SENTENCES,
    best_sentence,
    can_lead,
    led_by,
    sentences,
    whole_sentences,
)
from knowledge_base.lexical import NAME_TERMS
from knowledge_base.questions import SENTENCE_BREAK, is_follow_up, is_question

# A second question comparing ('내일채움이랑 뭐가 달라요'): one sentence of another answer does not compare.
COMPARING = re.compile(r"차이|다르|달라|다른\s*(가|거|건)|비교|뭐가\s*(더\s*)?(나아|낫|유리|좋)")
TWO_PART_ANSWER_CHARS = 480  # both parts' answers together, so the reply with its sources fits a phone screen
MAX_SOURCES = 3


def answer_in_context(kb: KnowledgeBase, text: str, previous: str | None, program_id: str | None = None) -> Reply:
    """The answer to a message read after the owner's previous question (`previous`). When the message asks two
    things ('폐업하면 대출 바로 갚아야돼요? 노란우산은 어떻게 돼요?'), the answer to the one the whole message's
    answer leaves out is added: before it for the first question, after it for the second."""
    reply = answer_after(kb, text, previous, program_id)
    if reply.kind == "suggest":
        reply = answer_by_question_sentence(kb, text, program_id, reply)
    first, second = question_parts(text)
    if second is None or not reply.answered:
        return reply
    named = program_id or program_named_in(kb, first)  # '청년전용창업자금 … 맞죠? 금리는요?' asks the same program
    reply = with_part_answer(kb, reply, second, answer_after(kb, second, first, named), leading=False)
    return with_part_answer(kb, reply, first, answer_after(kb, first, previous, program_id), leading=True)


def answer_after(kb: KnowledgeBase, text: str, previous: str | None, program_id: str | None = None) -> Reply:
    """The answer to a message read after a question before it: a follow-up ('그럼 세금은요?', '예외도 있나요?'), or
    a message the index cannot answer alone, is asked again together with that question; the answer in context
    wins when it answers, else the message's own answer."""
    alone = answer_question(kb, text, program_id)
    if not previous or not (is_follow_up(text) or not alone.answered):
        return alone
    together = answer_question(kb, f"{previous} {text}", program_id, topic_of(text))  # '그럼 신청은요?' asks 신청
    if together.kind == "guide" and together.document_id == answer_question(kb, previous).document_id:
        focused = follow_up_reply(kb, together.document_id, text, together.confidence)
        if focused is None and alone.kind == "guide" and alone.document_id != together.document_id \
                and asks_beyond_names(kb, text):
            return alone  # in context only the same answer again; the message has a guide of its own
        return focused or follow_up_reply(kb, together.document_id, text, together.confidence, unknown=True) \
            or together
    if together.answered or not alone.answered and together.kind == "suggest":
        return together
    return alone


def answer_by_question_sentence(kb: KnowledgeBase, text: str, program_id: str | None, offered: Reply) -> Reply:
    """For a long message no guide clearly answers as a whole (the owner's situation first, then the question:
    '임대공장 쓰는데 건물주가 판다고 해서요. 정책자금으로 공장 매입하는것도 지원되나요?'), the answer to one of its
    question sentences, alone or after the sentence before it, when that answer is the guide `offered` first for
    the whole message: two readings agreeing. Not for a sentence comparing two things (one side's answer does not
    compare them). Else the offer stands."""
    parts = [part.strip() for part in SENTENCE_BREAK.split(text) if part.strip()]
    if len(parts) < 2 or not offered.related:
        return offered
    readings = [reading for index, part in enumerate(parts) if is_question(part) and not COMPARING.search(part)
                for reading in (part, " ".join(parts[max(index - 1, 0):index + 1]))]
    for reading in dict.fromkeys(readings):
        reply = answer_question(kb, reading, program_id)
        if reply.answered and reply.document_id == offered.related[0]:
            return reply
    return offered


def question_parts(text: str) -> tuple[str, str | None]:
    """The message up to its second question, and that question ('청년전용창업자금 만39세까지 맞죠?' and '금리는
    몇프로에요'); None when it asks one thing (a remark after the question is part of it)."""
    parts = [part.strip() for part in SENTENCE_BREAK.split(text) if part.strip()]
    asking = [index for index, part in enumerate(parts) if is_question(part)]
    if len(asking) < 2:
        return text, None
    second = asking[1]
    return " ".join(parts[:second]), " ".join(parts[second:])


def with_part_answer(kb: KnowledgeBase, reply: Reply, asked: str, part: Reply, leading: bool) -> Reply:
    """The reply shortened, with the opening sentence of the answer to one question of the message (`asked`) before
    it (`leading`) or after it, when that answer is a program's text on the aspect asked, or holds most of the
    question's words and more than any sentence the reply shows (a question leaning on the other one, '그거 …',
    only from the same agency's matter); the part's document becomes the first related one (its button) and its
    sources join the reply's."""
    same_agency = (reply.agency and reply.agency.key) == (part.agency and part.agency.key)
    leaning = is_follow_up(asked) and not same_agency and agency_named_in(asked) is None
    if not part.answered or COMPARING.search(asked) or leaning:
        return reply  # '소상공인 정책자금? 그거 어떻게 신청해요?' asks the small-business agency's steps, not ours
    own, told = sentences(reply.answer), sentences(part.answer)
    added = told[0]
    shown, _ = best_sentence(kb, asked, own)
    gained, _ = best_sentence(kb, asked, told)  # '서류는요?' → the documents answer, which may name them later
    aspect = part.kind == "program" and topic_of(asked) is not None  # '서류는요?': that aspect's text answers it
    if added in own or gained <= shown or not aspect and gained < FOCUS_MIN_COVERAGE:
        return reply  # the reply already speaks to this question as well as this would
    kept = own[:1]
    for sentence in own[1:]:
        if len(" ".join([*kept, sentence, added])) > TWO_PART_ANSWER_CHARS:
            break
        kept.append(sentence)
    related = [doc for doc in (part.document_id, *reply.related) if doc and doc != reply.document_id]
    before, after = (part, reply) if leading else (reply, part)
    answer = " ".join([added, *kept] if leading else [*kept, added])
    return Reply(kind=reply.kind, answer=answer, document_id=reply.document_id,
                 sources=merged_sources(before.sources, after.sources),
                 related=list(dict.fromkeys(related)), agency=reply.agency or part.agency,
                 confidence=min(reply.confidence, part.confidence))


def merged_sources(first: list[Source], second: list[Source]) -> list[Source]:
    """Each answer's first source, then their others, none twice, at most MAX_SOURCES."""
    ordered = [*first[:1], *second[:1], *first[1:], *second[1:]]
    return list(dict.fromkeys(ordered))[:MAX_SOURCES]


def asks_beyond_names(kb: KnowledgeBase, text: str) -> bool:
    """True when the message holds a word besides the names of agencies and programs: '그럼 매출 없으면요?' asks
    something of its own, '기보는요?' asks the question before again about another agency."""
    return any(term not in NAME_TERMS and agency_named_in(term) is None for term in kb.query_terms(text).weights)


def follow_up_reply(kb: KnowledgeBase, guide_id: str, text: str, confidence: float,
                    unknown: bool = False) -> Reply | None:
    """The guide given just before, led by its sentence about the follow-up's own words ('예외도 있나요?' → the
    exceptions, '분납 중이면요?' → what to do while paying in instalments; with `unknown`, also what the guide could
    not confirm: '일부만 갚아도 돼요?' → that partial repayment is not confirmed), when that is not its first
    sentence already; else None (the same answer again is then the answer)."""
    guide = kb.guides[guide_id]
    answer = sentences(guide.answer)
    first, _ = best_sentence(kb, text, answer[:1])
    later = [*answer[1:], *can_lead(whole_sentences(guide.detail)), *(sentences(guide.unknown) if unknown else [])]
    gained, lead = best_sentence(kb, text, later)
    if lead is None or gained < FOCUS_MIN_COVERAGE or gained <= first:
        return None
    return reply_from_guide(guide, led_by(lead, answer, FOCUSED_ANSWER_SENTENCES + 1), confidence)


