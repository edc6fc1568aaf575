"""Retrieval-first answers: any message that asks something is answered from the index (guides and programs),
or plainly not known with the counsellor offered; and eligibility verdicts for a named program."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.handover import handoff_if_needed
from actions.knowledge import get_kb
from actions.korean import ordinal_position
from actions.profile import PROFILE_SLOTS
from actions.tracker_utils import latest_entity, latest_text, profile, slots_set_this_turn, user_texts
from knowledge_base import KnowledgeBase
from knowledge_base.answering import Reply, eligibility_verdict, topic_of
from knowledge_base.context import answer_in_context
from knowledge_base.questions import asks_if_eligible, is_question, mentions_domain, tells_trouble, wants_programs

INTAKE_FORM = "company_profile_form"
SHOWN_PROGRAM_ACTION = "action_answer_shown_program"
BACK_REFERENCE = re.compile(r"(그|이|저|아까|방금)\s*(자금|사업|거|것|프로그램)")
FAST_TRACK_ACTION = "action_emergency_fast_track"
NOT_KNOWN_RESPONSE = "utter_not_known"
SUGGEST_RESPONSE = "utter_suggest_guides"
OUT_OF_SCOPE_RESPONSE = "utter_out_of_scope"


def asks_something(text: str) -> bool:
    """True when a message is a question, or carries this bot's domain words (then it is never small talk)."""
    return bool(text) and (is_question(text) or mentions_domain(text))


def route_by_content(tracker: Tracker) -> str | None:
    """Where a message the NLU was unsure of belongs by what it carries (outside the intake form): a crisis in any
    wording → the emergency fast track; a request for programs, or company facts without a question → the intake
    (which keeps the facts already given), unless it tells of trouble ('15년 공장 돌렸는데 이제 접어야 하나 싶네요':
    then it is answered, not asked for its industry). None when the content decides nothing."""
    if tracker.active_loop.get("name"):
        return None
    text = latest_text(tracker)
    if latest_entity(tracker, "crisis_type"):
        return FAST_TRACK_ACTION
    facts = any(slot in PROFILE_SLOTS for slot in slots_set_this_turn(tracker))
    if wants_programs(text) or (facts and not is_question(text) and not tells_trouble(text)):
        return INTAKE_FORM
    return None


def refers_to_shown_program(tracker: Tracker, text: str) -> bool:
    """True when the message points back at a program the bot showed ('두 번째 거', '마지막 자금', '그 자금') and asks
    about one of its aspects — action_answer_shown_program resolves which and answers for it."""
    shown = tracker.get_slot("recommended_programs") or tracker.get_slot("program")
    pointing = ordinal_position(text) is not None or bool(BACK_REFERENCE.search(text))
    return bool(shown) and pointing and topic_of(text) is not None


def previous_question(tracker: Tracker) -> str | None:
    """The owner's typed message before the latest one in this session, if it asked something."""
    texts = user_texts(tracker, limit=2)
    return texts[0] if len(texts) == 2 and asks_something(texts[0]) else None


def titles(kb: KnowledgeBase) -> dict[str, str]:
    """Document id → title, for buttons and verdicts."""
    return {doc_id: document.title for doc_id, document in kb.documents.items()}


def send_reply(dispatcher: CollectingDispatcher, kb: KnowledgeBase, reply: Reply,
               text: str | None = None) -> list[EventType]:
    """Send an answer (guide, program passage or other agency); the closest guides to pick from when none clearly
    answers; else the plain 'not known' with the counsellor, or, when the question carries none of this bot's
    words (investing, insurance …), that it is outside what we do."""
    if reply.kind == "suggest":
        dispatcher.utter_message(response=SUGGEST_RESPONSE, buttons=render.suggestion_buttons(reply, titles(kb)))
        return []
    if not reply.answered:
        outside = text is not None and not mentions_domain(text)
        dispatcher.utter_message(response=OUT_OF_SCOPE_RESPONSE if outside else NOT_KNOWN_RESPONSE)
        return []
    dispatcher.utter_message(**render.message(render.reply_text(reply), render.reply_buttons(reply, titles(kb))))
    return [SlotSet("program", reply.document_id)] if reply.document_id in kb.programs else []


def answer_from_index(dispatcher: CollectingDispatcher, tracker: Tracker, only_confident: bool = False,
                      only_questions: bool = True, or_offer: bool = False) -> list[EventType] | None:
    """Answer the latest message from the index; a message pointing back at a shown program ("두 번째 거 한도는요?",
    "그 자금 서류는요?") goes to action_answer_shown_program. None when, with `only_questions`, it asks nothing;
    with `only_confident`, also None when the index has no answer (the caller then does its own thing), unless,
    `or_offer`, it has guides close enough to offer."""
    text = latest_text(tracker)
    if only_questions and not asks_something(text):
        return None
    if refers_to_shown_program(tracker, text):
        return [FollowupAction(SHOWN_PROGRAM_ACTION)]
    kb = get_kb()
    reply = answer_in_context(kb, text, previous_question(tracker))
    if only_confident and not reply.answered and not (or_offer and reply.kind == "suggest"):
        return None
    return send_reply(dispatcher, kb, reply, text)


def verdict_for_named_program(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Yes / no / cannot tell when the message names a program, states company facts and asks whether the company
    may get it; None otherwise ('관세 피해 기업용 긴급자금이 따로 나왔나요?' asks what exists: the index answers)."""
    kb = get_kb()
    program_id = latest_entity(tracker, "program", "program_id")
    facts = {slot for slot in slots_set_this_turn(tracker) if slot in PROFILE_SLOTS}
    if not program_id or program_id not in kb.programs or not facts or not asks_if_eligible(latest_text(tracker)):
        return None
    if not kb.get(program_id).eligibility:
        return None
    verdict = eligibility_verdict(kb, program_id, profile(tracker), latest_text(tracker))
    buttons = [{"title": "지원대상 자세히", "payload": render.payload("ask_eligibility", program=program_id)},
               *[{"title": render.shorten(kb.get(pid).title, 20),
                  "payload": render.payload("ask_program_detail", program_id=pid)} for pid in verdict.alternatives],
               render.HANDOFF_BUTTON]
    dispatcher.utter_message(text=render.verdict_text(verdict, titles(kb)), buttons=buttons)
    return [SlotSet("program", program_id)]


class ActionAnswerQuestion(Action):
    """A general question: the best guide or program passage, or plainly not known with the counsellor."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        handed_over = handoff_if_needed(dispatcher, tracker)
        if handed_over is not None:
            return handed_over
        verdict = verdict_for_named_program(dispatcher, tracker)
        if verdict is not None:
            return verdict
        return answer_from_index(dispatcher, tracker, only_questions=False) or []
