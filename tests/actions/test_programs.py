"""Recommendation, search, detail, program questions, application guide and emergency fast track."""

import re

import pytest

from actions import render
from actions.programs import (
    ActionAnswerProgramQuestion,
    ActionEmergencyFastTrack,
    ActionProgramDetail,
    ActionRecommendPrograms,
    ActionSearchPrograms,
    emergency_track,
)
from actions.render import terms_lines
from actions.tracker_utils import recent_query
from bot.staff import handoff
from knowledge_base import Answer
from knowledge_base.answering import Verdict
from tests.actions.builders import links, make_tracker, payloads, texts, user_event

YEAR = re.compile(r"20\d\d")
PROFILE = {"business_age": 2, "industry": "제조업", "region": "서울특별시", "employee_count": 5,
           "revenue_change": "unknown", "export_status": "내수", "fund_purpose": "운전", "rep_age": 35}


def numbers_have_year_and_source(dispatcher) -> None:
    for message in dispatcher.messages:
        text = message.get("text") or ""
        if re.search(r"\d+(억|%|만원|년\(거치)", text):
            assert YEAR.search(text) and "출처" in text, text


async def test_recommendation_explains_three_programs_with_year_source_and_buttons(kb, dispatcher, domain):
    tracker = make_tracker("창업 2년 된 서울 식품 제조업체인데 운전자금이 필요해요", "inform", slots=PROFILE)
    events = await ActionRecommendPrograms().run(dispatcher, tracker, domain)
    assert kb.calls[0] == ("recommend", {k: v for k, v in PROFILE.items() if v != "unknown"})
    body = texts(dispatcher)
    assert len(dispatcher.messages) == 1 and len(body) <= 600, body  # one message that fits a phone screen
    assert "1. 청년전용창업자금 — 업력 2년 → 조건 충족" in body
    assert "2. 창업기반지원자금" in body and "3. 재해 긴급경영안정자금" in body
    assert "   한도: 2026년 기준 최대 10억원" in body
    assert "출처: 인터넷 안내 글 2026년" in body and "https://" not in body
    assert "참고: 혁신성장지원자금도 살펴봤지만 업력 2년 → 조건 미충족이라 제외했어요." in body
    assert [p for p in payloads(dispatcher) if p.startswith("/ask_program_detail")] == [
        '/ask_program_detail{"program_id": "youth-startup-fund"}',
        '/ask_program_detail{"program_id": "startup-foundation-fund"}',
        '/ask_program_detail{"program_id": "emergency-disaster-fund"}']
    assert {'/rate_answer{"rating":"up"}', '/rate_answer{"rating":"down"}', "/request_human"} <= set(
        payloads(dispatcher))
    numbers_have_year_and_source(dispatcher)
    assert events[0]["name"] == "recommended_programs"
    assert events[0]["value"] == ["youth-startup-fund", "startup-foundation-fund", "emergency-disaster-fund"]


async def test_a_recommendation_without_any_company_fact_says_so_and_asks_for_the_two_that_matter(kb, dispatcher,
                                                                                                 domain):
    skipped = dict.fromkeys(PROFILE, "unknown")
    await ActionRecommendPrograms().run(dispatcher, make_tracker(slots=skipped), domain)
    body = texts(dispatcher)
    assert body.startswith("회사 정보 없이 찾은 지원사업 3개예요. 업력·업종을 알려 주시면") and "정보 없음" not in body


async def test_nothing_fits_says_so_and_offers_the_counsellor(kb, dispatcher, domain, monkeypatch):
    monkeypatch.setattr(kb, "recommend", lambda profile, query="", top_k=3: [])
    await ActionRecommendPrograms().run(dispatcher, make_tracker(slots=PROFILE), domain)
    assert "찾지 못했습니다" in texts(dispatcher) and "1811-3655" in texts(dispatcher)
    assert "/request_human" in payloads(dispatcher)


async def test_search_uses_the_message_and_the_topic_hint(kb, dispatcher, domain):
    tracker = make_tracker("직원 AI 교육 과정 있나요", "ask_training")
    events = await ActionSearchPrograms().run(dispatcher, tracker, domain)
    assert kb.calls[0] == ("search", "연수 교육 과정 재직자 스마트공장 AI 연수원 직원 AI 교육 과정 있나요")
    assert "신청안내" not in texts(dispatcher)
    assert len(dispatcher.messages) == 1 and len(texts(dispatcher)) <= 600 and "https://" not in texts(dispatcher)
    assert texts(dispatcher).count("출처:") == 1 and "1. " in texts(dispatcher) and "3. " in texts(dispatcher)
    first = events[0]["value"][0]
    assert [p for p in payloads(dispatcher) if "program_id" in p][:1] == [
        f'/ask_program_detail{{"program_id": "{first}"}}']  # '1번 자세히' opens the first
    assert {"event": "slot", "timestamp": None, "name": "program", "value": None} in events


async def test_search_naming_a_program_shows_it(kb, dispatcher, domain):
    tracker = make_tracker("창업기반지원자금 알려주세요", "ask_startup_fund",
                           entities={"program": "startup-foundation-fund"})
    events = await ActionSearchPrograms().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("[창업기반지원자금]")
    assert events[0]["value"] == "startup-foundation-fund"


async def test_detail_shows_target_terms_and_source(kb, dispatcher, domain):
    tracker = make_tracker('/ask_program_detail{"program_id":"youth-startup-fund"}', "ask_program_detail",
                           entities={"program_id": "youth-startup-fund"})
    await ActionProgramDetail().run(dispatcher, tracker, domain)
    body = texts(dispatcher)
    assert "지원대상: 청년전용창업자금 지원대상" in body and "• 한도: 2026년 기준 최대 10억원" in body
    assert '/ask_documents{"program": "youth-startup-fund"}' in payloads(dispatcher)
    numbers_have_year_and_source(dispatcher)


async def test_unknown_program_detail_needs_checking(kb, dispatcher, domain):
    tracker = make_tracker("/ask_program_detail", "ask_program_detail", entities={"program_id": "nope"})
    await ActionProgramDetail().run(dispatcher, tracker, domain)
    assert "확인이 필요합니다" in texts(dispatcher) and "/request_human" in payloads(dispatcher)


async def test_rate_question_about_the_program_in_focus(kb, dispatcher, domain):
    tracker = make_tracker("금리는요?", "ask_terms", entities={"term_type": "금리"},
                           slots={"program": "emergency-disaster-fund"})
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("재해 긴급경영안정자금 금리: 2026년 기준 1.9% 고정")
    assert "출처: 인터넷 안내 글 2026년" in texts(dispatcher) and "https://" not in texts(dispatcher)


async def test_terms_without_type_give_limit_rate_and_period_of_the_first_recommended(kb, dispatcher, domain):
    tracker = make_tracker("조건이 어떻게 돼요", "ask_terms", slots={"recommended_programs": ["youth-startup-fund"]})
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    body = texts(dispatcher)
    assert "청년전용창업자금 한도" in body and "청년전용창업자금 금리" in body and "청년전용창업자금 기간" in body


async def test_a_question_the_documents_cannot_answer_is_not_guessed(kb, dispatcher, domain, monkeypatch):
    monkeypatch.setattr(kb, "answer", lambda program_id, topic: None)
    tracker = make_tracker("서류는요?", "ask_documents", slots={"program": "youth-startup-fund"})
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert "확인이 필요합니다" in texts(dispatcher)
    assert payloads(dispatcher) == ["/request_human", "/deny"]


async def test_application_without_a_program_gives_the_guide(kb, dispatcher, domain):
    tracker = make_tracker("정책자금 신청 절차 알려주세요", "ask_application")
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    body = texts(dispatcher)
    assert "자가진단 → 상담신청 → 사전상담 → 신청·평가 → 약정" in body and "1811-3655 (2025년 기준" in body


async def test_contact_without_a_program_gives_the_call_centre(kb, dispatcher, domain):
    await ActionAnswerProgramQuestion().run(dispatcher, make_tracker("문의처요", "ask_contact"), domain)
    assert "1811-3655 (2025년 기준, 출처: 뉴시스)" in texts(dispatcher)  # named source, no raw link


def test_emergency_tracks():
    assert emergency_track("호우", None) == "disaster"
    assert emergency_track("관세", None) == "tariff"
    assert emergency_track("거래처부도", None) == "hardship"
    assert emergency_track(None, -15.0) == "hardship"
    assert emergency_track(None, -5.0) is None


async def test_emergency_without_details_offers_the_tracks(kb, dispatcher, domain):
    await ActionEmergencyFastTrack().run(dispatcher, make_tracker("긴급자금 필요해요", "ask_emergency_fund"), domain)
    assert '/ask_emergency_fund{"crisis_type": "재해"}' in payloads(dispatcher)
    assert "/ask_crisis_support" in payloads(dispatcher)


async def test_disaster_reaches_the_program_and_how_to_apply_in_one_turn(kb, dispatcher, domain):
    tracker = make_tracker("호우로 공장이 침수됐어요", "ask_emergency_fund", entities={"crisis_type": "호우"},
                           slots={"crisis_type": "호우"})
    events = await ActionEmergencyFastTrack().run(dispatcher, tracker, domain)
    body = texts(dispatcher)
    assert "1. 재해 긴급경영안정자금" in body and "신청: " in body and "1811-3655" in body
    assert events == [{"event": "slot", "timestamp": None, "name": "program", "value": "emergency-disaster-fund"}]
    numbers_have_year_and_source(dispatcher)


async def test_emergency_naming_a_program_shows_it_then_offers_the_tracks(kb, dispatcher, domain):
    tracker = make_tracker("재해 긴급경영안정자금 알려주세요", "ask_emergency_fund",
                           entities={"program": "emergency-disaster-fund"})
    events = await ActionEmergencyFastTrack().run(dispatcher, tracker, domain)
    first = dispatcher.messages[0]["text"]
    assert first.startswith("[재해 긴급경영안정자금]\n재해 긴급경영안정자금 요약")
    assert "• 한도: 2026년 기준 최대 10억원" in first and "• 기간: 5년(거치 2년) (2026년 기준)" in first
    assert first.endswith("\n출처: 인터넷 안내 글 2026년") and "지원대상" not in first and "https://" not in first
    assert links(dispatcher) == [{"title": "인터넷 안내 글 2026년", "url": "https://example.go.kr/notice"}]
    assert "어떤 상황이신가요?" in dispatcher.messages[-1]["text"]
    assert '/ask_emergency_fund{"crisis_type": "재해"}' in payloads(dispatcher)
    assert events == [{"event": "slot", "timestamp": None, "name": "program", "value": "emergency-disaster-fund"}]
    numbers_have_year_and_source(dispatcher)


async def test_emergency_naming_a_program_with_a_known_crisis_adds_the_steps(kb, dispatcher, domain):
    tracker = make_tracker("호우 피해인데 재해 긴급경영안정자금 알려주세요", "ask_emergency_fund",
                           entities={"program": "emergency-disaster-fund", "crisis_type": "호우"},
                           slots={"crisis_type": "호우"})
    await ActionEmergencyFastTrack().run(dispatcher, tracker, domain)
    body = texts(dispatcher)
    assert body.startswith("[재해 긴급경영안정자금]") and body.count("[재해 긴급경영안정자금]") == 1
    assert "신청: " in body and "1811-3655" in body and "어떤 상황이신가요?" not in body


async def test_an_old_program_says_its_facts_are_old(kb, dispatcher, domain):
    kb.programs["youth-startup-fund"].as_of = 2020
    tracker = make_tracker("청년전용창업자금 알려줘", "ask_startup_fund", entities={"program": "youth-startup-fund"})
    await ActionSearchPrograms().run(dispatcher, tracker, domain)
    assert "ℹ 2020년까지의 자료만 있어 현재 운영 여부와 조건은 확인이 필요합니다." in texts(dispatcher)


async def test_emergency_with_risk_to_life_hands_over(kb, dispatcher, domain):
    tracker = make_tracker("빚 때문에 죽고 싶어요", "ask_emergency_fund")
    events = await ActionEmergencyFastTrack().run(dispatcher, tracker, domain)
    crisis = next(message for message in dispatcher.messages if message.get("response") == "utter_crisis_line")
    assert "109" in crisis["crisis_line"] and "{crisis_line}" in str(domain["responses"]["utter_crisis_line"])
    assert events[0] == {"event": "pause", "timestamp": None}
    assert handoff.open_handoff("user-1")["reason"] == "distress"


async def test_recommendation_query_leaves_out_answers_to_intake_questions(kb, dispatcher, domain):
    history = [user_event("제조업 운전자금 추천해 주세요", "ask_recommendation"),
               {"event": "slot", "name": "requested_slot", "value": "business_age"},
               user_event("7년이요", "inform"),
               {"event": "slot", "name": "requested_slot", "value": "fund_purpose"}]
    tracker = make_tracker("운전이요", "inform", history=history, slots={"business_age": 7})
    await ActionRecommendPrograms().run(dispatcher, tracker, domain)
    assert recent_query(tracker) == "제조업 운전자금 추천해 주세요"


def test_terms_of_non_fund_programs_are_not_called_loan_terms():
    terms = {"limit": "2025년 기준 무료", "rate": "2025년 기준 비용 없음", "period": "2025년 5개월"}
    assert terms_lines(terms, 2025, "교육연수")[0] == "• 지원 내용: 2025년 기준 무료"
    assert terms_lines(terms, 2025, "정책자금")[0] == "• 한도: 2025년 기준 무료"


async def test_a_distressed_owner_gets_the_counsellor_offered_with_the_recommendation(kb, dispatcher, domain):
    tracker = make_tracker("거래처가 부도나서 매출이 반토막 났어요 너무 막막해요", "inform",
                           slots={"crisis_type": "거래처부도", "revenue_change": -50})
    await ActionRecommendPrograms().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("많이 힘드시죠.")
    assert "/request_human" in payloads(dispatcher)


async def test_a_general_rate_question_searches_the_base_rate(kb, dispatcher, domain):
    tracker = make_tracker("금리는 보통 얼마예요?", "ask_terms", entities={"term_type": "금리"})
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert kb.calls[0] == ("search", "정책자금 기준금리 금리는 보통 얼마예요?")
    assert "정책자금 신청 절차 금리" in texts(dispatcher)
    assert "기준으로 안내드려요" in texts(dispatcher)


async def test_an_answer_the_documents_leave_open_offers_the_counsellor(kb, dispatcher, domain, monkeypatch):
    text = "제출서류: 서류 목록은 공개 자료에서 확인하지 못했습니다.\n(자료 기준 2026년 · 출처: x)"
    open_answer = Answer(text, 2026, ["x"])
    monkeypatch.setattr(kb, "answer", lambda program_id, topic: open_answer)
    tracker = make_tracker("서류는요?", "ask_documents", slots={"program": "youth-startup-fund"})
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert "정확한 내용은 확인이 필요합니다" in texts(dispatcher)
    assert payloads(dispatcher)[0] == "/request_human"


@pytest.mark.parametrize(("text", "expected"), [("두 번째 거 한도는요?", "startup-foundation-fund"),
                                                ("마지막 자금은 서류가 뭐예요?", "innovation-growth-fund"),
                                                ("첫번째 금리 알려줘", "youth-startup-fund")])
async def test_an_ordinal_points_at_the_recommended_program(kb, dispatcher, domain, text, expected):
    recommended = ["youth-startup-fund", "startup-foundation-fund", "innovation-growth-fund"]
    intent = "ask_documents" if "서류" in text else "ask_terms"
    tracker = make_tracker(text, intent, slots={"recommended_programs": recommended, "program": None})
    events = await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "program", "value": expected} in events
    assert kb.get(expected).title in texts(dispatcher)


async def test_a_named_program_with_company_facts_gets_a_verdict_whatever_the_intent(kb, dispatcher, domain):
    tracker = make_tracker("창업 5년차인데 청년전용창업자금 되나요?", "ask_startup_fund",
                           entities={"program": "youth-startup-fund", "business_age": 5}, slots={"business_age": 5},
                           after=[{"event": "slot", "name": "business_age", "value": 5}])
    await ActionSearchPrograms().run(dispatcher, tracker, domain)
    said = texts(dispatcher)  # the test programs' rules are not the engine's, so the verdict here is 'cannot tell'
    assert said.startswith("청년전용창업자금은(는) 말씀하신 정보만으로는") and "대신 살펴볼 만한 사업" in said


def test_a_yes_with_conditions_still_open_says_which_are_open() -> None:
    verdict = Verdict(program_id="youth-startup-fund", title="청년전용창업자금", eligible=True,
                      deciding=["업력 2.5년 → 업력 3년 미만 조건 충족"], missing=["rep_age"], alternatives=[],
                      source=None)
    said = render.verdict_text(verdict, {})
    assert not said.startswith("네") and "다만 대표자 나이는 아직" in said.split("\n")[0]
    closed = Verdict(**{**verdict.__dict__, "missing": []})
    assert render.verdict_text(closed, {}).startswith("네, 말씀하신 조건이면 청년전용창업자금")
