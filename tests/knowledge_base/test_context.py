"""Answers read with what surrounds the question: a follow-up after the previous question, and the second
question of a message that asks two things."""

from __future__ import annotations

import pytest

from knowledge_base.answering import answer_question
from knowledge_base.api import KnowledgeBase
from knowledge_base.context import answer_in_context, question_parts


def test_a_message_is_split_at_its_second_question() -> None:
    assert question_parts("청년전용창업자금 만39세까지 맞죠? 금리는 몇프로에요") == \
        ("청년전용창업자금 만39세까지 맞죠?", "금리는 몇프로에요")
    assert question_parts("상가 사는 것도 시설자금인가요? 운전자금이랑 헷갈려서") == \
        ("상가 사는 것도 시설자금인가요? 운전자금이랑 헷갈려서", None)  # a remark after the question is part of it


def test_the_second_question_about_the_same_program_gets_that_aspect(kb: KnowledgeBase) -> None:
    text = "긴급경영안정자금 한도 얼마에요? 서류는 뭐 내요?"
    assert "확인증" not in answer_question(kb, text).answer  # the whole message gets the limit only
    reply = answer_in_context(kb, text, None)
    assert reply.document_id == "emergency-management-stabilization"
    assert "10억원" in reply.answer and "확인증" in reply.answer  # the limit, then the documents


def test_the_question_the_whole_message_leaves_out_leads(kb: KnowledgeBase) -> None:
    text = "폐업하면 대출 바로 갚아야돼요? 노란우산은 어떻게 돼요?"
    before = answer_question(kb, text)
    reply = answer_in_context(kb, text, None)
    assert "갚아야 할 의무" not in before.answer  # the whole message reaches the 노란우산 guide only
    assert reply.answer.startswith("폐업을 해도 남은 정책자금 대출이 없어지지는 않고")
    assert "노란우산" in reply.answer and reply.related[0] == "closure-outstanding-loan"
    closure = answer_question(kb, "폐업하면 대출 바로 갚아야돼요?")
    assert reply.sources[:2] == [closure.sources[0], before.sources[0]]  # each answer's source, in their order


@pytest.mark.parametrize("text", [
    "청년전용창업자금 나이 만39세까지 맞죠? 금리는 몇프로에요",  # the answer already states the rate
    "노란우산 들어놨는데 폐업하면 공제금 바로 나와요? 압류도 안된다는거 진짜에요?",  # 통장 압류 is another matter
    # one sentence of another answer cannot compare two plans
    "직원들 우대저축공제 가입시키면 회사가 매달 얼마씩 내줘야 돼요? 내일채움이랑 뭐가 달라요",
])
def test_a_second_question_already_answered_or_only_seemingly_answered_elsewhere_adds_nothing(kb: KnowledgeBase,
                                                                                               text: str) -> None:
    assert answer_in_context(kb, text, None).answer == answer_question(kb, text).answer


def test_a_long_message_is_answered_by_its_question_sentence_when_both_readings_agree(kb: KnowledgeBase) -> None:
    """The situation told first blurs the whole message, whose closest guides are only offered; its question
    sentence alone reaches the guide offered first, so that guide answers. A sentence comparing two things is not
    read alone (one side's answer would not compare them)."""
    text = ("지금 임대공장 쓰는데 건물주가 판다고 해서 아예 매입할려구요. 업력 9년인데 정책자금으로 공장 매입하는것도 "
            "지원되나요? 된다면 한도는 대략 어느정도인지")
    assert answer_question(kb, text).kind == "suggest"
    assert answer_in_context(kb, text, None).document_id == "facility-fund-factory-purchase"
    comparing = "중진공이랑 신보 기보 차이가 뭐에요? 돈 직접 빌려주는 데랑 보증서 끊어주는 데랑 맨날 헷갈림"
    assert answer_in_context(kb, comparing, None).document_id != "guarantee-overlap"
