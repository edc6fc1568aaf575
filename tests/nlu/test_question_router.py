"""The question router: a question stating no company facts is answered, not taken for an intake starter."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu.question_router import QuestionRouter, route


@pytest.mark.parametrize("text", ["세금 체납이 있으면 심사에 영향이 있을까?", "왜 상시근로자 수가 중요한가요?",
                                  "국세 체납, 지원 불가 사유일까?", "수출바우처는 어떤 지원인가요?"])
def test_a_plain_question_goes_to_ask_question(text: str) -> None:
    assert route(text, "ask_recommendation", []) == "ask_question"
    assert route(text, "inform", []) == "ask_question"


@pytest.mark.parametrize("text", ["받을수 있는 지원사업 뭐있나요", "회사 상황에 맞는 정부 지원 있을까요",
                                  "정책자금 추천해 주세요", "우리 회사 받을 만한 혜택 찾아주세요"])
def test_a_recommendation_request_keeps_its_intent(text: str) -> None:
    assert route(text, "ask_recommendation", []) is None


@pytest.mark.parametrize("text", ["정책자금 받고싶은데요", "받을 수 있는 지원사업 뭐 있나요", "운전자금이 필요한데요"])
def test_a_wish_for_funds_taken_for_a_question_starts_the_recommendation(text: str) -> None:
    assert route(text, "ask_question", []) == "ask_recommendation"


@pytest.mark.parametrize("text", ["정책자금 받고 싶은데 신용점수 낮아도 되나요?", "노란우산공제 혜택이 뭐예요?"])
def test_a_specific_question_or_another_agencys_product_stays_a_question(text: str) -> None:
    assert route(text, "ask_question", []) is None


@pytest.mark.parametrize("text", ["담당 심사역한테 감사 인사로 과일 보내도 되나요?", "심사역이 오면 뭘 준비하나요?"])
def test_a_question_taken_for_a_wish_to_reach_a_person_is_answered(text: str) -> None:
    assert route(text, "request_human", []) == "ask_question"


@pytest.mark.parametrize("text", ["상담원 연결 가능한가요?", "담당자랑 통화할 수 있나요?", "사람이랑 얘기할 수 있어요?",
                                  "상담원 연결해 주세요"])
def test_a_wish_to_reach_a_person_keeps_its_intent(text: str) -> None:
    assert route(text, "request_human", []) is None


def test_a_question_with_company_facts_keeps_the_intake() -> None:
    facts = [{"entity": "business_age", "value": 2}]
    assert route("창업 2년 됐는데 가능한가요?", "inform", facts) is None


def test_company_facts_taken_for_a_question_start_the_intake() -> None:
    facts = [{"entity": "region", "value": "서울특별시"}, {"entity": "employee_count", "value": 5}]
    assert route("서울에서 식품 제조업을 하고 직원은 5명입니다. 운전자금이 필요해요", "ask_question", facts) == "inform"
    assert route("직원 5명인데 소상공인인가요?", "ask_question", facts) is None


def test_other_intents_and_buttons_are_left_alone() -> None:
    assert route("금리가 얼마예요?", "ask_terms", []) is None
    assert route('/inform{"industry":"제조업"}', "inform", []) is None


def test_the_component_moves_the_confidence_to_ask_question() -> None:
    message = Message(data={"text": "왜 상시근로자 수가 중요한가요?",
                            "intent": {"name": "inform", "confidence": 0.8},
                            "intent_ranking": [{"name": "inform", "confidence": 0.8},
                                               {"name": "ask_question", "confidence": 0.1}]})
    [routed] = QuestionRouter().process([message])
    assert routed.get("intent") == {"name": "ask_question", "confidence": 0.8}
    assert [item["name"] for item in routed.get("intent_ranking")] == ["ask_question", "inform"]
