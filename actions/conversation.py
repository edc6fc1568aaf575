"""Conversation actions: session start, restart, human handoff, two-stage fallback, yes/no replies, ratings,
corrections outside the form, chit-chat and out-of-scope (both watching for distress)."""

from __future__ import annotations

import contextlib

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import render
from actions.answers import FAST_TRACK_ACTION, answer_from_index, route_by_content, verdict_for_named_program
from actions.handover import distress_handoff, hand_over, handoff_if_needed
from actions.knowledge import get_kb
from actions.korean import direction_particle, object_particle
from actions.profile import PROFILE_SLOTS, SLOT_LABELS, UNKNOWN, format_value, normalise
from actions.programs import (
    ActionEmergencyFastTrack,
    named_program,
    recommendation_messages,
    show_program,
    utter_all,
)
from actions.safety import distress_level
from actions.tracker_utils import (
    failed_turns,
    last_bot_buttons,
    latest_entity,
    latest_text,
    previous_slot_value,
    profile,
    recent_query,
    slots_set_this_turn,
    user_turns,
)
from bot.staff import handoff
from knowledge_base.context import asks_beyond_names

FALLBACK_ACTION = "action_default_fallback"
SUGGESTIONS = {
    "ask_recommendation": ("맞춤 지원사업 추천", "/ask_recommendation"),
    "ask_emergency_fund": ("긴급경영안정자금", "/ask_emergency_fund"),
    "ask_startup_fund": ("창업 자금", "/ask_startup_fund"),
    "ask_market_fund": ("수출·신시장 자금", "/ask_market_fund"),
    "ask_growth_fund": ("시설·스마트공장 자금", "/ask_growth_fund"),
    "ask_restart_fund": ("재도약·사업전환 자금", "/ask_restart_fund"),
    "ask_crisis_support": ("위기 기업 지원", "/ask_crisis_support"),
    "ask_training": ("연수·교육", "/ask_training"),
    "ask_job_matching": ("일자리 매칭", "/ask_job_matching"),
    "ask_savings_plan": ("재직자 저축공제", "/ask_savings_plan"),
    "ask_export_support": ("수출 지원", "/ask_export_support"),
    "ask_application": ("신청 방법", "/ask_application"),
    "ask_contact": ("문의처", "/ask_contact"),
}
DEFAULT_SUGGESTIONS = ("ask_recommendation", "ask_emergency_fund", "ask_application")


async def follow_content(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType] | None:
    """Send a message the NLU was unsure of where its content belongs (see answers.route_by_content): the fast
    track answers in this turn, the intake form takes over; None when the content decides nothing."""
    target = route_by_content(tracker)
    if target == FAST_TRACK_ACTION:
        events = await ActionEmergencyFastTrack().run(dispatcher, tracker, domain)
        return [*events, FollowupAction("action_listen")]
    return [FollowupAction(target)] if target else None


class ActionHandoff(Action):
    """Hand the conversation to a counsellor on the user's request."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        reason = "distress" if distress_level(latest_text(tracker)) else "request"
        return hand_over(dispatcher, tracker, reason)


def ending_turn(answered: list[EventType], in_form: bool) -> list[EventType]:
    """An answer's events; outside the intake form the turn ends with it, unless it hands on to another action."""
    handed_on = any(event.get("event") == "followup" for event in answered)
    return answered if in_form or handed_on else [*answered, FollowupAction("action_listen")]


class ActionDefaultFallback(Action):
    """Two-stage fallback: first rephrase with suggestions, then (second miss in a row) hand over."""

    def name(self) -> str:
        return FALLBACK_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        distressed = distress_handoff(dispatcher, tracker)
        if distressed is not None:
            return distressed
        in_form = bool(tracker.active_loop.get("name"))  # there, an unanswerable message is re-asked by the form
        verdict = None if in_form else verdict_for_named_program(dispatcher, tracker)  # '만 41세면 청년전용…?'
        if verdict is not None:
            return [*verdict, FollowupAction("action_listen")]
        if latest_entity(tracker, "program", "program_id"):  # unclear intent, but it names a program: show it,
            kb = get_kb()  # unless the message asks something of it the index answers or has guides on
            program_id = named_program(tracker, kb)
            asked = answer_from_index(dispatcher, tracker, only_confident=True, or_offer=True) \
                if program_id and asks_beyond_names(kb, latest_text(tracker)) else None
            if asked is not None:
                return ending_turn(asked, in_form)
            if program_id:
                return show_program(dispatcher, kb, program_id, detail=False)
        routed = await follow_content(dispatcher, tracker, domain)  # "거래처 부도ㅠㅠ", "제조업 5년차요"
        if routed is not None:
            return routed
        answered = answer_from_index(dispatcher, tracker, only_confident=in_form)  # outside, "not known" plainly
        if answered is not None:
            return ending_turn(answered, in_form)
        if failed_turns(tracker, {FALLBACK_ACTION}) >= 2:
            dispatcher.utter_message(text="거듭 이해하지 못해 죄송합니다. 상담원이 직접 도와드리도록 연결할게요.")
            return hand_over(dispatcher, tracker, "fallback")
        ranking = tracker.latest_message.get("intent_ranking") or []
        guessed = [item.get("name") for item in ranking if item.get("name") in SUGGESTIONS][:3]
        buttons = [{"title": SUGGESTIONS[name][0], "payload": SUGGESTIONS[name][1]}
                   for name in guessed or DEFAULT_SUGGESTIONS]
        dispatcher.utter_message(text="죄송해요, 잘 이해하지 못했어요. 다르게 말씀해 주시거나 아래에서 골라 주세요.",
                                 buttons=[*buttons, render.HANDOFF_BUTTON])
        # Wait for the rephrased message (inside the intake form, the form asks its question again first).
        return [] if tracker.active_loop.get("name") else [FollowupAction("action_listen")]


class ActionSessionStart(Action):
    """Start a session silently, so a first message that asks something is answered at once (the greeting, with
    what the bot can do, answers a greeting); stay paused while a handoff is open."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        try:
            silenced = handoff.is_silenced(tracker.sender_id)
        except SQLAlchemyError:
            silenced = False
        if silenced:
            events.append(ConversationPaused())
        return [*events, ActionExecuted("action_listen")]


class ActionGreet(Action):
    """Answer the first greeting of a session with what the bot can do, a later one briefly; a greeting that also
    asks for programs or states a crisis goes there, and one that asks a question the index answers gets that
    answer instead."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        routed = await follow_content(dispatcher, tracker, domain)  # "안녕하세요, 정책자금 추천받고 싶어요"
        if routed is not None:
            return routed
        answered = answer_from_index(dispatcher, tracker, only_confident=True)  # "안녕하세요, 심사 얼마나 걸려요?"
        if answered is not None:
            return answered
        dispatcher.utter_message(response="utter_greet" if user_turns(tracker) > 1 else "utter_capabilities")
        return []


class ActionRestart(Action):
    """처음부터: forget the profile, release an open handoff and start over."""

    def name(self) -> str:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        with contextlib.suppress(SQLAlchemyError):
            handoff.release_all(tracker.sender_id)
        dispatcher.utter_message(response="utter_restart")
        return [Restarted()]


class ActionHandleYesNo(Action):
    """네/아니요: answers the latest offer (counsellor, rating); inside the intake form, says the open question is
    skipped (the form then asks the next one); otherwise a short acknowledgement."""

    def name(self) -> str:
        return "action_handle_yes_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        payloads = {button.get("payload") for button in last_bot_buttons(tracker)}
        if render.NO_THANKS_BUTTON["payload"] in payloads and render.HANDOFF_BUTTON["payload"] in payloads:
            if yes:
                return hand_over(dispatcher, tracker, "request")
            dispatcher.utter_message(response="utter_anything_else")
        elif render.RATING_BUTTONS[0]["payload"] in payloads:
            dispatcher.utter_message(response="utter_rating_up" if yes else "utter_rating_down")
        elif tracker.active_loop.get("name") and tracker.get_slot("requested_slot"):
            dispatcher.utter_message(response="utter_skip_question")  # the form skips that question (no loop)
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionRateAnswer(Action):
    """👍/👎 on an answer (the rating stays in the tracker with the turn)."""

    def name(self) -> str:
        return "action_rate_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        up = latest_entity(tracker, "rating") != "down"
        dispatcher.utter_message(response="utter_rating_up" if up else "utter_rating_down")
        return []


class ActionAcknowledgeCorrection(Action):
    """Outside the form: confirm corrected facts and refresh the recommendation if one was given."""

    def name(self) -> str:
        return "action_acknowledge_correction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        changed = {slot: normalise(slot, value) for slot, value in slots_set_this_turn(tracker).items()
                   if slot in PROFILE_SLOTS}
        changed = {slot: value for slot, value in changed.items() if value is not None}
        if not changed:
            dispatcher.utter_message(response="utter_ask_what_to_correct")
            return []
        notes = []
        for slot, value in changed.items():
            verb = "고쳤어요" if previous_slot_value(tracker, slot) not in (None, UNKNOWN) else "반영했어요"
            said = direction_particle(format_value(slot, value))
            notes.append(f"{object_particle(SLOT_LABELS[slot])} {said} {verb}.")
        dispatcher.utter_message(text=" ".join(notes))
        events: list[EventType] = [SlotSet(slot, value) for slot, value in changed.items()]
        if tracker.get_slot("recommended_programs"):
            messages, program_ids = recommendation_messages(get_kb(), profile(tracker), recent_query(tracker))
            dispatcher.utter_message(text="바뀐 정보로 다시 찾아봤어요.")
            utter_all(dispatcher, messages)
            events.append(SlotSet("recommended_programs", program_ids))
        return events


def reply_unless_distressed(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[EventType]:
    """Hand over when the latest message shows distress or reached nobody by phone; answer it from the index when it
    asks something (a question never gets `response`: the closest guides or a plain 'not known' when the index has
    no answer, unless it carries none of this bot's words); else send `response`."""
    handed_over = handoff_if_needed(dispatcher, tracker)
    if handed_over is not None:
        return handed_over
    answered = answer_from_index(dispatcher, tracker)
    if answered is not None:
        return answered
    dispatcher.utter_message(response=response)
    return []


class ActionChitchat(Action):
    """Short friendly reply and a nudge back to the consultation (or a handoff if the user is in distress)."""

    def name(self) -> str:
        return "action_chitchat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        return reply_unless_distressed(dispatcher, tracker, "utter_chitchat")


class ActionOutOfScope(Action):
    """Decline politely, say what the bot can do (or hand over if the user is in distress)."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        return reply_unless_distressed(dispatcher, tracker, "utter_out_of_scope")
