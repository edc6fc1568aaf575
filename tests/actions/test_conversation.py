"""Session start, restart, handoff, two-stage fallback, yes/no, ratings, corrections, chit-chat, out-of-scope."""

import pytest
from rasa_sdk import Tracker

from actions.answers import ActionAnswerQuestion
from actions.conversation import (
    ActionAcknowledgeCorrection,
    ActionChitchat,
    ActionDefaultFallback,
    ActionGreet,
    ActionHandleYesNo,
    ActionHandoff,
    ActionOutOfScope,
    ActionRateAnswer,
    ActionRestart,
    ActionSessionStart,
)
from actions.programs import ActionAnswerProgramQuestion
from bot.staff import handoff
from tests.actions.builders import links, make_tracker, payloads, responses, texts, user_event

PAUSE = [{"event": "pause", "timestamp": None},
         {"event": "action", "name": "action_listen", "policy": None, "confidence": None, "timestamp": None}]


def fallback_turn(text: str) -> list[dict]:
    return [user_event(text, "nlu_fallback"), {"event": "action", "name": "action_default_fallback"},
            {"event": "bot", "text": "죄송해요"}, {"event": "action", "name": "action_listen"}]


def bot_with_buttons(*payload_list: str) -> dict:
    return {"event": "bot", "text": "…", "data": {"buttons": [{"title": p, "payload": p} for p in payload_list]}}


async def test_handoff_stores_a_record_tells_the_user_and_pauses(dispatcher, domain):
    history = [user_event("창업 2년 제조업이에요", "inform"), {"event": "bot", "text": "업력을 알려주세요"}]
    tracker = make_tracker("상담원 연결해 주세요", "request_human", history=history,
                           slots={"business_age": 2.0, "industry": "제조업", "program": "youth-startup-fund"})
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert events == PAUSE
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_started"]
    record = handoff.open_handoff("user-1")
    assert record["status"] == "open" and record["channel"] == "rest" and record["reason"] == "request"
    assert "회사 정보: 업력 2년 · 업종 제조업" in record["summary"]
    assert "관심 사업: youth-startup-fund" in record["summary"]
    assert record["last_messages"][-1] == {"from": "user", "text": "상담원 연결해 주세요"}
    assert handoff.is_silenced("user-1")


async def test_a_second_request_does_not_open_a_second_record(dispatcher, domain):
    for _ in range(2):
        await ActionHandoff().run(dispatcher, make_tracker("상담원", "request_human"), domain)
    assert len(handoff.list_handoffs("open")) == 1


async def test_first_fallback_rephrases_with_suggestions(dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.6}, {"name": "ask_emergency_fund", "confidence": 0.3},
               {"name": "ask_training", "confidence": 0.1}]
    tracker = make_tracker("그거 있잖아요", "nlu_fallback", ranking=ranking)
    assert await ActionDefaultFallback().run(dispatcher, tracker, domain) == [
        {"event": "followup", "timestamp": None, "name": "action_listen"}]
    assert payloads(dispatcher) == ["/ask_emergency_fund", "/ask_training", "/request_human"]
    assert not handoff.is_silenced("user-1")


async def test_second_fallback_in_a_row_hands_over(dispatcher, domain):
    tracker = make_tracker("음 그러니까", "nlu_fallback", history=fallback_turn("ㅋㅋ"))
    assert await ActionDefaultFallback().run(dispatcher, tracker, domain) == PAUSE
    assert handoff.open_handoff("user-1")["reason"] == "fallback"


async def test_an_understood_turn_in_between_resets_the_count(dispatcher, domain):
    history = [*fallback_turn("ㅋㅋ"), user_event("안녕하세요", "greet"), {"event": "action", "name": "utter_greet"}]
    tracker = make_tracker("음 그러니까", "nlu_fallback", history=history)
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]


async def test_unclear_message_naming_a_program_shows_the_program(kb, dispatcher, domain):
    tracker = make_tracker("청년전용창업자금에 대해 알고 싶어요", "nlu_fallback", history=fallback_turn("ㅋㅋ"),
                           entities={"program": "youth-startup-fund"})
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("[청년전용창업자금]\n청년전용창업자금 요약")
    assert "출처: 인터넷 안내 글 2026년" in texts(dispatcher) and "https://" not in texts(dispatcher)
    assert links(dispatcher) == [{"title": "인터넷 안내 글 2026년", "url": "https://example.go.kr/notice"}]
    assert events == [{"event": "slot", "timestamp": None, "name": "program", "value": "youth-startup-fund"}]
    assert handoff.open_handoff("user-1") is None
    # ... and that turn was understood: the next unclear message is a first fallback again
    named = user_event("청년전용창업자금에 대해 알고 싶어요", "nlu_fallback", [{"entity": "program",
                                                                    "value": "youth-startup-fund"}])
    history = [named, {"event": "action", "name": "action_default_fallback"}]
    events = await ActionDefaultFallback().run(dispatcher, make_tracker("음", "nlu_fallback", history=history), domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]


SESSION_START = [{"event": "action", "name": "action_session_start"},
                 {"event": "session_started"}, {"event": "action", "name": "action_listen"}]


async def test_the_first_greeting_is_answered_with_what_the_bot_can_do(dispatcher, domain):
    latest = user_event("안녕하세요", "greet")
    tracker = Tracker("user-1", {}, latest["parse_data"], [*SESSION_START, latest], False, None, {}, "action_listen")
    assert await ActionGreet().run(dispatcher, tracker, domain) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_capabilities"]


async def test_later_greeting_is_answered(dispatcher, domain):
    latest = user_event("안녕하세요", "greet")
    events = [*SESSION_START, user_event("긴급자금 알려줘", "ask_emergency_fund"), {"event": "bot", "text": "…"},
              {"event": "action", "name": "action_listen"}, latest]
    await ActionGreet().run(dispatcher, Tracker("user-1", {}, latest["parse_data"], events, False, None, {},
                                                "action_listen"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_greet"]


async def test_session_start_is_silent_so_a_first_question_is_answered_at_once(dispatcher, domain):
    events = await ActionSessionStart().run(dispatcher, make_tracker(), domain)
    assert [event["event"] for event in events] == ["session_started", "action"]
    assert dispatcher.messages == []


async def test_session_start_stays_silent_while_a_counsellor_has_the_conversation(dispatcher, domain):
    handoff.create_handoff("user-1", "rest", "요약", [], "request")
    events = await ActionSessionStart().run(dispatcher, make_tracker(), domain)
    assert [event["event"] for event in events] == ["session_started", "pause", "action"]
    assert dispatcher.messages == []


async def test_restart_releases_the_handoff_and_forgets(dispatcher, domain):
    handoff_id = handoff.create_handoff("user-1", "rest", "요약", [], "request")
    handoff.set_status(handoff_id, "taken", taken_by="kim")
    events = await ActionRestart().run(dispatcher, make_tracker("처음부터", "restart"), domain)
    assert events == [{"event": "restart", "timestamp": None}]
    assert not handoff.is_silenced("user-1")
    assert dispatcher.messages[0]["response"] == "utter_restart"


async def test_yes_to_the_counsellor_offer_hands_over(dispatcher, domain):
    tracker = make_tracker("네", "affirm", history=[bot_with_buttons("/request_human", "/deny")])
    assert await ActionHandleYesNo().run(dispatcher, tracker, domain) == PAUSE


async def test_no_to_the_counsellor_offer(dispatcher, domain):
    tracker = make_tracker("아니요", "deny", history=[bot_with_buttons("/request_human", "/deny")])
    assert await ActionHandleYesNo().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages[0]["response"] == "utter_anything_else"


async def test_yes_and_no_to_was_this_helpful_are_ratings(dispatcher, domain):
    offer = [bot_with_buttons('/rate_answer{"rating":"up"}', '/rate_answer{"rating":"down"}', "/request_human")]
    await ActionHandleYesNo().run(dispatcher, make_tracker("네", "affirm", history=offer), domain)
    await ActionHandleYesNo().run(dispatcher, make_tracker("아니요", "deny", history=offer), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_rating_up", "utter_rating_down"]


async def test_rating_buttons(dispatcher, domain):
    await ActionRateAnswer().run(dispatcher, make_tracker("/rate_answer", "rate_answer", {"rating": "down"}), domain)
    await ActionRateAnswer().run(dispatcher, make_tracker("/rate_answer", "rate_answer", {"rating": "up"}), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_rating_down", "utter_rating_up"]


async def test_a_correction_after_the_recommendation_refreshes_it(kb, dispatcher, domain):
    history = [{"event": "slot", "name": "business_age", "value": 3.0}]
    after = [{"event": "slot", "name": "business_age", "value": 8}]
    tracker = make_tracker("아 업력은 8년이에요", "correct_info", {"business_age": 8}, history=history, after=after,
                           slots={"business_age": 8, "recommended_programs": ["youth-startup-fund"]})
    events = await ActionAcknowledgeCorrection().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("업력을 8년으로 고쳤어요.\n바뀐 정보로 다시 찾아봤어요.")
    assert kb.calls[0] == ("recommend", {"business_age": 8.0})
    assert events[0] == {"event": "slot", "timestamp": None, "name": "business_age", "value": 8.0}
    assert events[-1]["name"] == "recommended_programs" and "youth-startup-fund" not in events[-1]["value"]


async def test_a_correction_without_a_value_asks_what_to_fix(dispatcher, domain):
    assert await ActionAcknowledgeCorrection().run(dispatcher, make_tracker("잘못 말했어요", "correct_info"),
                                                   domain) == []
    assert dispatcher.messages[0]["response"] == "utter_ask_what_to_correct"


async def test_chitchat_and_out_of_scope_reply_and_nudge_back(dispatcher, domain):
    await ActionChitchat().run(dispatcher, make_tracker("날씨 좋네요", "chitchat"), domain)
    await ActionOutOfScope().run(dispatcher, make_tracker("주식 추천해줘", "out_of_scope"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_chitchat", "utter_out_of_scope"]


async def test_distress_in_small_talk_reaches_a_person(dispatcher, domain):
    events = await ActionChitchat().run(dispatcher, make_tracker("요즘 너무 막막해요", "chitchat"), domain)
    assert events == PAUSE
    assert responses(dispatcher) == ["utter_distress_handoff", "utter_handoff_started"]  # no crisis line
    assert handoff.open_handoff("user-1")["reason"] == "distress"


@pytest.mark.parametrize(("text", "intent"), [
    ("상담 연결하려고 하루종일 전화했는데 아무도 안받네요 진짜 너무하네", "chitchat"),
    ("콜센터 전화가 계속 안 돼요", "ask_question"),
    ("콜센터 전화가 계속 안 돼요", "ask_contact"),  # the NLU reads it as asking for the number
])
async def test_an_owner_who_reached_nobody_by_phone_gets_a_counsellor_here(dispatcher, domain, kb, text, intent):
    action = {"chitchat": ActionChitchat(), "ask_contact": ActionAnswerProgramQuestion()}.get(intent,
                                                                                           ActionAnswerQuestion())
    events = await action.run(dispatcher, make_tracker(text, intent), domain)
    assert events == PAUSE
    assert responses(dispatcher) == ["utter_sorry_unreached", "utter_handoff_started_in_chat"]  # no phone number again
    assert handoff.open_handoff("user-1")["reason"] == "unreached"


async def test_an_informal_crisis_the_nlu_was_unsure_of_gets_the_emergency_track(dispatcher, domain, kb):
    tracker = make_tracker("거래처가 부도나서 대금을 못받았어요ㅠㅠ 어케해요", "nlu_fallback",
                           entities={"crisis_type": "거래처부도"}, slots={"crisis_type": "거래처부도"},
                           after=[{"event": "slot", "name": "crisis_type", "value": "거래처부도"}])
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("긴급 지원으로 가장 알맞은 사업이에요.")
    assert "https://" not in texts(dispatcher) and len(texts(dispatcher)) <= 600
    assert events[-1]["name"] == "action_listen"  # the turn ends here: one card, not a loop


async def test_company_facts_the_nlu_was_unsure_of_start_the_intake(dispatcher, domain, kb):
    tracker = make_tracker("제조업이고 창업 5년차에요", "nlu_fallback",
                           entities={"industry": "제조업", "business_age": 5},
                           after=[{"event": "slot", "name": "industry", "value": "제조업"},
                                  {"event": "slot", "name": "business_age", "value": 5}])
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert events == [{"event": "followup", "name": "company_profile_form", "timestamp": None}]
    assert dispatcher.messages == []


async def test_company_facts_told_with_trouble_are_answered_not_asked_for_more_facts(dispatcher, domain, kb):
    tracker = make_tracker("15년 공장 돌렸는데 이제 진짜 접어야 하나 싶네요", "nlu_fallback",
                           entities={"industry": "제조업"},
                           after=[{"event": "slot", "name": "industry", "value": "제조업"}])
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert {"event": "followup", "name": "company_profile_form", "timestamp": None} not in events
    assert dispatcher.messages  # answered (here from the fake index), not sent into the form


async def test_a_greeting_that_asks_for_programs_starts_the_intake(dispatcher, domain, kb):
    events = await ActionGreet().run(dispatcher, make_tracker("안녕하세요 정책자금 추천받고 싶어요", "greet"), domain)
    assert events == [{"event": "followup", "name": "company_profile_form", "timestamp": None}]


async def test_an_ordinal_follow_up_the_nlu_was_unsure_of_goes_to_that_program(dispatcher, domain, kb):
    tracker = make_tracker("두 번째 거 한도는요?", "nlu_fallback",
                           slots={"recommended_programs": ["youth-startup-fund", "startup-foundation-fund"]})
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert events == [{"event": "followup", "name": "action_answer_shown_program", "timestamp": None}]
