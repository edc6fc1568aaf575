"""Hand a conversation to a counsellor: store the handoff record, tell the user what happens next, pause the bot."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import render
from actions.profile import describe
from actions.safety import CRISIS_LINE, distress_level
from actions.tracker_utils import last_messages, latest_text, profile, recent_query
from bot.staff import handoff
from knowledge_base.questions import reached_nobody

REASON_LABELS = {"request": "사용자 요청", "fallback": "연속 이해 실패", "distress": "어려움 호소",
                 "unreached": "전화 연결 실패 호소"}


def handoff_summary(tracker: Tracker, reason: str) -> str:
    """Short summary for the counsellor: why, the company profile, the programs in focus, what was asked."""
    programs = [tracker.get_slot("program"), *(tracker.get_slot("recommended_programs") or [])]
    lines = [f"사유: {REASON_LABELS[reason]}", f"회사 정보: {describe(profile(tracker))}"]
    focus = ", ".join(dict.fromkeys(p for p in programs if p))
    if focus:
        lines.append(f"관심 사업: {focus}")
    asked = recent_query(tracker)
    if asked:
        lines.append(f"최근 문의: {asked}")
    return "\n".join(lines)


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
              started: str = "utter_handoff_started") -> list[EventType]:
    """Store a handoff record, tell the user what happens next (`started`: the response saying so) and pause the bot
    (listening) for this conversation."""
    try:
        if not handoff.is_silenced(tracker.sender_id):
            handoff.create_handoff(tracker.sender_id, tracker.get_latest_input_channel(),
                                   handoff_summary(tracker, reason), last_messages(tracker), reason)
    except SQLAlchemyError:
        dispatcher.utter_message(text=f"죄송합니다. 지금은 상담원 연결 요청을 접수하지 못했어요. "
                                      f"{render.CALL_CENTRE}로 전화 주시면 바로 도와드립니다.")
        return []
    dispatcher.utter_message(response=started)
    return [ConversationPaused(), ActionExecuted("action_listen")]


def handoff_if_needed(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Hand over when the latest message shows distress, or complains that nobody answered the phone; else None."""
    handed_over = distress_handoff(dispatcher, tracker)
    return handed_over if handed_over is not None else unreached_handoff(dispatcher, tracker)


def unreached_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Hand over, with an apology, when the owner complains that nobody answered the phone."""
    if not reached_nobody(latest_text(tracker)):
        return None
    dispatcher.utter_message(response="utter_sorry_unreached")
    return hand_over(dispatcher, tracker, "unreached", started="utter_handoff_started_in_chat")  # no phone number


def distress_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Hand over (with the crisis line when life may be at risk) if the latest message shows distress."""
    level = distress_level(latest_text(tracker))
    if not level:
        return None
    dispatcher.utter_message(response="utter_distress_handoff")
    if level == 2:
        dispatcher.utter_message(response="utter_crisis_line", crisis_line=CRISIS_LINE)
    return hand_over(dispatcher, tracker, "distress")
