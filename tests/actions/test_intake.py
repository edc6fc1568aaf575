"""The intake form validation action: which slots, skips, short answers, validation and corrections."""

from actions.conversation import ActionHandleYesNo
from actions.intake import ValidateCompanyProfileForm, extract_answer
from actions.profile import UNKNOWN
from tests.actions.builders import make_tracker, texts

FORM = ValidateCompanyProfileForm()
DOMAIN_SLOTS = ["business_age", "industry", "region", "employee_count", "revenue_change", "export_status",
                "fund_purpose", "rep_age"]


def slot_events(**values):
    return [{"event": "slot", "name": name, "value": value} for name, value in values.items()]


async def validated(tracker, dispatcher, domain) -> dict:
    """The slot values the form's validation sets for this turn."""
    events = await FORM.get_validation_events(dispatcher, tracker, domain)
    return {event["name"]: event["value"] for event in events}


async def test_rep_age_is_asked_only_when_youth_programs_apply(dispatcher, domain):
    young = make_tracker(slots={"business_age": 2})
    old = make_tracker(slots={"business_age": 8})
    assert "rep_age" in await FORM.required_slots(DOMAIN_SLOTS, dispatcher, young, domain)
    assert "rep_age" not in await FORM.required_slots(DOMAIN_SLOTS, dispatcher, old, domain)
    assert "rep_age" not in await FORM.required_slots(DOMAIN_SLOTS, dispatcher, make_tracker(), domain)


def test_dont_know_skips_only_the_requested_slot():
    tracker = make_tracker("모르겠어요", "dont_know", slots={"requested_slot": "revenue_change"})
    assert extract_answer("revenue_change", tracker) == {"revenue_change": UNKNOWN}
    assert extract_answer("region", tracker) == {}


def test_short_answers_without_entities_are_read():
    tracker = make_tracker("5명이요", "nlu_fallback", slots={"requested_slot": "employee_count"})
    assert extract_answer("employee_count", tracker) == {"employee_count": 5}
    yes = make_tracker("네", "affirm", slots={"requested_slot": "export_status"})
    assert extract_answer("export_status", yes) == {"export_status": "수출중"}


def test_a_question_or_another_fact_is_not_read_as_the_answer():
    question = make_tracker("한도가 5억인가요?", "ask_terms", slots={"requested_slot": "employee_count"})
    assert extract_answer("employee_count", question) == {}
    other = make_tracker("업력은 5년이에요", "correct_info", entities={"business_age": 5},
                         slots={"requested_slot": "employee_count"})
    assert extract_answer("employee_count", other) == {}


async def test_form_run_fills_skips_and_requests_the_next_slot(dispatcher, domain):
    tracker = make_tracker("모르겠어요", "dont_know",
                           slots={"business_age": 10.0, "industry": "제조업", "region": "부산광역시",
                                  "employee_count": 4, "requested_slot": "revenue_change"})
    events = await FORM.run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "revenue_change", "value": UNKNOWN} in events
    assert events[-1]["name"] == "requested_slot" and events[-1]["value"] == "export_status"


async def test_invalid_values_are_asked_again(dispatcher, domain):
    tracker = make_tracker("직원 -3명", "inform", after=slot_events(employee_count=-3),
                           slots={"employee_count": -3, "requested_slot": "employee_count"})
    assert await validated(tracker, dispatcher, domain) == {"employee_count": None}
    assert "다시" in texts(dispatcher) or "한 번 더" in texts(dispatcher)


async def test_a_correction_is_confirmed(dispatcher, domain):
    history = slot_events(business_age=3.0)
    tracker = make_tracker("아 업력은 5년이에요", "correct_info", entities={"business_age": 5}, history=history,
                           after=slot_events(business_age=5), slots={"business_age": 5})
    assert await validated(tracker, dispatcher, domain) == {"business_age": 5.0}
    assert texts(dispatcher) == "업력을 5년으로 고쳤어요."


async def test_first_values_are_normalised_silently(dispatcher, domain):
    tracker = make_tracker("수출은 안 해요", "inform", after=slot_events(export_status="수출 안 함"))
    assert await validated(tracker, dispatcher, domain) == {"export_status": "내수"}
    assert dispatcher.messages == []


def test_a_short_number_answers_the_number_question_whatever_the_intent():
    tracker = make_tracker("3년이요", "greet", slots={"requested_slot": "business_age"})
    assert extract_answer("business_age", tracker) == {"business_age": 3.0}
    question = make_tracker("3년 금리요?", "ask_terms", slots={"requested_slot": "business_age"})
    assert extract_answer("business_age", question) == {}


async def test_a_company_in_crisis_is_asked_only_what_decides_the_emergency_programs(dispatcher, domain):
    hardship = make_tracker(slots={"crisis_type": "거래처부도", "business_age": 1})
    disaster = make_tracker(slots={"crisis_type": "호우"})
    assert await FORM.required_slots(DOMAIN_SLOTS, dispatcher, hardship, domain) == ["revenue_change"]
    assert await FORM.required_slots(DOMAIN_SLOTS, dispatcher, disaster, domain) == []


async def test_yes_to_an_open_question_skips_it_instead_of_asking_again(dispatcher, domain):
    tracker = make_tracker("네", "affirm", slots={"requested_slot": "business_age"},
                           active_loop="company_profile_form")
    assert extract_answer("business_age", tracker) == {"business_age": "unknown"}
    await ActionHandleYesNo().run(dispatcher, tracker, domain)
    assert [message["response"] for message in dispatcher.messages] == ["utter_skip_question"]


def test_a_bare_request_inside_the_form_skips_the_question_instead_of_repeating_it():
    tracker = make_tracker("알려주세요", "nlu_fallback", slots={"requested_slot": "region"},
                           active_loop="company_profile_form")
    assert extract_answer("region", tracker) == {"region": UNKNOWN}


async def test_a_second_skip_ends_the_questions_and_the_form_recommends_from_what_is_known(dispatcher, domain):
    tracker = make_tracker("모르겠어요", "dont_know", slots={"industry": UNKNOWN, "requested_slot": "region"})
    events = await FORM.run(dispatcher, tracker, domain)
    skipped = {event["name"] for event in events if event.get("value") == UNKNOWN}
    assert {"region", "business_age", "employee_count", "revenue_change", "export_status"} <= skipped
    assert {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None} in events


async def test_one_skip_asks_the_next_question(dispatcher, domain):
    tracker = make_tracker("모르겠어요", "dont_know", slots={"industry": "제조업", "requested_slot": "region"})
    events = await FORM.run(dispatcher, tracker, domain)
    assert events[-1]["name"] == "requested_slot" and events[-1]["value"] not in (None, "region")
