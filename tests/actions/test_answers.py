"""Retrieval-first answers: questions get the guide's answer or a plain 'not known', never small talk."""

from __future__ import annotations

from actions.answers import ActionAnswerQuestion
from actions.conversation import ActionChitchat, ActionDefaultFallback, ActionGreet, ActionOutOfScope
from actions.programs import ActionAnswerProgramQuestion, ActionAnswerShownProgram, ActionProgramDetail
from tests.actions.builders import links, make_tracker, payloads, responses, texts, user_event


async def test_a_question_the_nlu_took_for_small_talk_gets_the_guide_answer(kb, dispatcher, domain):
    tracker = make_tracker("작년에 떨어졌는데 다시 신청해도 되나요?", "chitchat")
    await ActionChitchat().run(dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert said.startswith("2026년 기준 같은 자금은 6개월 뒤에 다시 신청할 수 있어요.")
    assert "출처: 뉴스1 2026년" in said and "https://" not in said  # named source with year; the link is in the detail
    assert "utter_chitchat" not in responses(dispatcher)
    assert '/ask_program_detail{"program_id": "reapply-after-rejection"}' in payloads(dispatcher)


async def test_small_talk_without_a_question_still_gets_small_talk(kb, dispatcher, domain):
    await ActionChitchat().run(dispatcher, make_tracker("ㅋㅋㅋ 좋네요", "chitchat"), domain)
    assert responses(dispatcher) == ["utter_chitchat"]


async def test_a_domain_question_the_index_cannot_answer_is_plainly_not_known(kb, dispatcher, domain):
    await ActionChitchat().run(dispatcher, make_tracker("발표 자료는 몇 장으로 만들어야 하나요?", "chitchat"), domain)
    assert responses(dispatcher) == ["utter_not_known"]


async def test_a_question_outside_the_domain_says_so_instead_of_sending_to_the_call_centre(kb, dispatcher, domain):
    tracker = make_tracker("코스피가 뭔지도 모르는데 투자는 어떻게 시작하면 될까요?", "ask_question")
    await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_out_of_scope"]


async def test_a_question_no_guide_clearly_answers_offers_the_closest_to_pick_from(kb, dispatcher, domain):
    await ActionAnswerQuestion().run(dispatcher, make_tracker("서류 다시 내도 되나요?", "ask_question"), domain)
    assert responses(dispatcher) == ["utter_suggest_guides"]
    assert payloads(dispatcher) == ['/ask_program_detail{"program_id": "reapply-after-rejection"}', "/request_human"]


async def test_a_question_in_the_fallback_is_answered_instead_of_asking_to_rephrase(kb, dispatcher, domain):
    tracker = make_tracker("작년에 떨어졌는데 또 돼요?", "nlu_fallback")
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("2026년 기준 같은 자금은 6개월")
    assert "잘 이해하지 못했어요" not in texts(dispatcher)


async def test_an_unanswerable_question_in_the_fallback_says_not_known_and_offers_the_counsellor(kb, dispatcher,
                                                                                                domain):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker("심사 발표 자료 양식 있나요?", "nlu_fallback"),
                                               domain)
    assert responses(dispatcher) == ["utter_not_known"]
    assert {"event": "followup", "timestamp": None, "name": "action_listen"} in events


async def test_another_agencys_business_names_that_agency(kb, dispatcher, domain):
    await ActionOutOfScope().run(dispatcher, make_tracker("노란우산공제 가입은 어디서 해요?", "out_of_scope"), domain)
    said = texts(dispatcher)
    assert said.startswith("중소기업중앙회")
    assert not any(program.title in said for program in kb.programs.values())  # none of our programs offered


async def test_a_greeting_with_a_question_gets_the_answer(kb, dispatcher, domain):
    await ActionGreet().run(dispatcher, make_tracker("안녕하세요 작년에 떨어졌는데 다시 돼요?", "greet"), domain)
    assert texts(dispatcher).startswith("2026년 기준 같은 자금은 6개월")
    assert "utter_capabilities" not in responses(dispatcher)


async def test_ask_question_gives_the_guide_answer(kb, dispatcher, domain):
    events = await ActionAnswerQuestion().run(dispatcher, make_tracker("떨어졌는데 재신청 되나요", "ask_question"),
                                              domain)
    assert texts(dispatcher).startswith("2026년 기준 같은 자금은")
    assert events == []  # a guide is not a program in focus


async def test_a_guide_beats_the_generic_program_answer_when_no_program_is_named(kb, dispatcher, domain):
    tracker = make_tracker("작년에 떨어졌는데 신청 다시 할 수 있어요?", "ask_application")
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("2026년 기준 같은 자금은 6개월")


async def test_a_program_in_focus_keeps_its_own_answer_for_a_short_follow_up(kb, dispatcher, domain):
    tracker = make_tracker("서류는 뭐예요?", "ask_documents", slots={"program": "youth-startup-fund"})
    await ActionAnswerProgramQuestion().run(dispatcher, tracker, domain)
    assert "청년전용창업자금" in texts(dispatcher) and "사업자등록증" in texts(dispatcher)


async def test_the_guide_detail_names_every_source_and_links_it_by_a_button(kb, dispatcher, domain):
    tracker = make_tracker("/ask_program_detail", "ask_program_detail",
                           entities={"program_id": "reapply-after-rejection"})
    await ActionProgramDetail().run(dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert said.startswith("[떨어진 뒤 다시 신청하기]") and "자세한 설명" in said
    assert said.endswith("\n출처: 뉴스1 2026년") and "https://" not in said
    assert links(dispatcher) == [{"title": "뉴스1 2026년", "url": "https://www.news1.kr/example"}]


async def test_a_question_pointing_back_at_a_shown_program_goes_to_that_programs_answer(kb, dispatcher, domain):
    tracker = make_tracker("마지막 자금은 서류가 뭐예요?", "ask_question",
                           slots={"recommended_programs": ["youth-startup-fund", "startup-foundation-fund"]})
    events = await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert events == [{"event": "followup", "name": "action_answer_shown_program", "timestamp": None}]
    dispatcher.messages.clear()
    events = await ActionAnswerShownProgram().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("창업기반지원자금 제출서류")  # the last card's documents, not the first's
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}  # and the turn ends


async def test_inside_the_intake_form_a_shown_program_is_answered_once_and_the_form_asks_again(kb, dispatcher, domain):
    tracker = make_tracker("두 번째 거 한도는요?", "nlu_fallback", active_loop="company_profile_form",
                           slots={"recommended_programs": ["youth-startup-fund", "startup-foundation-fund"],
                                  "requested_slot": "business_age"})
    events = await ActionAnswerShownProgram().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("창업기반지원자금 한도")
    assert responses(dispatcher) == ["utter_ask_business_age"]
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}



async def test_a_follow_up_is_answered_with_the_question_before_it(kb, dispatcher, domain):
    history = [user_event("작년에 정책자금 떨어졌는데 재신청 되나요?", "ask_question"),
               {"event": "action", "name": "action_answer_question"}, {"event": "action", "name": "action_listen"}]
    await ActionOutOfScope().run(dispatcher, make_tracker("그럼 언제부터요?", "out_of_scope", history=history), domain)
    assert texts(dispatcher).startswith("2026년 기준 같은 자금은 6개월")


async def test_a_follow_up_without_a_question_before_it_is_answered_alone(kb, dispatcher, domain):
    await ActionOutOfScope().run(dispatcher, make_tracker("그럼 언제부터요?", "out_of_scope"), domain)
    assert not texts(dispatcher).startswith("2026년 기준 같은 자금은 6개월")


async def test_a_named_program_with_company_facts_in_the_fallback_gets_a_verdict(kb, dispatcher, domain):
    tracker = make_tracker("대표가 41살이면 청년전용창업자금 안 되나요?", "nlu_fallback",
                           entities={"program": "youth-startup-fund", "rep_age": 41}, slots={"rep_age": 41},
                           after=[{"event": "slot", "name": "rep_age", "value": 41}])
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("청년전용창업자금은(는)") and "대신 살펴볼 만한 사업" in texts(dispatcher)
    assert {"event": "followup", "timestamp": None, "name": "action_listen"} in events


async def test_a_named_program_with_company_facts_asked_whether_it_exists_gets_no_verdict(kb, dispatcher, domain):
    tracker = make_tracker("대표가 41살인데 청년전용창업자금 말고 중장년용 창업자금이 따로 나왔나요?", "nlu_fallback",
                           entities={"program": "youth-startup-fund", "rep_age": 41}, slots={"rep_age": 41},
                           after=[{"event": "slot", "name": "rep_age", "value": 41}])
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher) and not texts(dispatcher).startswith("청년전용창업자금은(는)")


async def test_a_question_about_a_named_program_in_the_fallback_is_answered_not_shown_as_its_card(kb, dispatcher,
                                                                                                  domain):
    """'청년전용창업자금 작년에 떨어졌는데 다시 신청해도 되나요?' asks something of the program the index answers (or
    has guides near); the program's card would answer none of it. A message naming only the program still gets the
    card."""
    tracker = make_tracker("청년전용창업자금 작년에 떨어졌는데 다시 신청해도 되나요?", "nlu_fallback",
                           entities={"program": "youth-startup-fund"})
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher).startswith("2026년 기준 같은 자금은 6개월"), texts(dispatcher)
    dispatcher.messages.clear()
    tracker = make_tracker("청년전용창업자금 이번달에 다시 내도 되나요?", "nlu_fallback",
                           entities={"program": "youth-startup-fund"})
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_suggest_guides"], texts(dispatcher)  # the guides near it, to pick
    dispatcher.messages.clear()
    await ActionDefaultFallback().run(dispatcher, make_tracker("청년전용창업자금", "nlu_fallback",
                                                               entities={"program": "youth-startup-fund"}), domain)
    assert texts(dispatcher).startswith("청년전용창업자금 요약"), texts(dispatcher)  # the card: name, summary
