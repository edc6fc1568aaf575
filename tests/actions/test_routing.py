"""A question gets an answer, the closest guides or a plain 'not known' whatever intent the NLU gave it; only a
message without a question or this bot's words gets the out-of-scope reply."""

from actions.conversation import ActionOutOfScope
from tests.actions.builders import make_tracker, responses


async def test_a_domain_question_taken_for_out_of_scope_gets_the_closest_guides_not_a_refusal(kb, dispatcher,
                                                                                               domain):
    await ActionOutOfScope().run(dispatcher, make_tracker("서류 다시 내도 되나요?", "out_of_scope"), domain)
    assert responses(dispatcher) == ["utter_suggest_guides"]


async def test_an_unanswerable_domain_question_taken_for_out_of_scope_is_plainly_not_known(kb, dispatcher, domain):
    await ActionOutOfScope().run(dispatcher, make_tracker("심사 발표 자료 양식 있나요?", "out_of_scope"), domain)
    assert responses(dispatcher) == ["utter_not_known"]


async def test_a_question_outside_the_domain_still_gets_the_out_of_scope_reply(kb, dispatcher, domain):
    await ActionOutOfScope().run(dispatcher, make_tracker("주식 추천해줘", "out_of_scope"), domain)
    assert responses(dispatcher) == ["utter_out_of_scope"]
