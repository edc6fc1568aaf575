"""Read what the actions need from a rasa-sdk tracker: the latest intent and entities, recent texts, turns."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.profile import profile_from_slots

QUERY_INTENTS = {
    "inform", "ask_recommendation", "ask_emergency_fund", "ask_startup_fund", "ask_market_fund", "ask_growth_fund",
    "ask_restart_fund", "ask_investment_loan", "ask_training", "ask_job_matching", "ask_savings_plan",
    "ask_regulation_free_zone", "ask_export_support", "ask_crisis_support", "correct_info",
}
SESSION_BOUNDARIES = ("session_started", "restart")


def latest_intent(tracker: Tracker) -> str | None:
    """Name of the intent of the latest user message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    """Text of the latest user message ('' for a button payload)."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def latest_entity(tracker: Tracker, *names: str) -> Any:
    """Value of the first entity of the latest message with one of `names`, else None."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") in names:
            return entity.get("value")
    return None


def session_events(tracker: Tracker) -> list[dict[str, Any]]:
    """Events of the current session (after the last session start or restart)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") in SESSION_BOUNDARIES:
            return events[index + 1:]
    return events


def user_texts(tracker: Tracker, intents: set[str] | None = None, limit: int = 2) -> list[str]:
    """The last `limit` typed user texts of this session that were not answers to a form question (optionally
    only those with one of `intents`), oldest first."""
    texts = []
    requested = None
    for event in session_events(tracker):
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if text and not text.startswith("/") and requested is None and (intents is None or intent in intents):
            texts.append(text)
    return texts[-limit:]


def recent_query(tracker: Tracker) -> str:
    """What the user asked for in this session (not their answers to the intake questions), as a search query."""
    return " ".join(user_texts(tracker, QUERY_INTENTS))


def last_messages(tracker: Tracker, limit: int = 8) -> list[dict[str, str]]:
    """The last user and bot messages of the conversation as [{"from": "user"|"bot", "text": ...}]."""
    messages = [{"from": event["event"], "text": event.get("text") or ""}
                for event in tracker.events if event.get("event") in ("user", "bot") and event.get("text")]
    return messages[-limit:]


def _names_program(event: dict[str, Any]) -> bool:
    entities = (event.get("parse_data") or {}).get("entities") or []
    return any(entity.get("entity") in ("program", "program_id") for entity in entities)


def failed_turns(tracker: Tracker, fallback_actions: set[str]) -> int:
    """How many consecutive user turns, counting back from the latest, ended in one of `fallback_actions`.

    The latest turn counts as failed (the caller is the fallback running now); a turn whose message named a
    program was understood (the fallback showed that program)."""
    turns: list[set[str]] = []
    for event in session_events(tracker):
        if event.get("event") == "user":
            turns.append(set() if not _names_program(event) else {"named_program"})
        elif event.get("event") == "action" and turns:
            turns[-1].add(event.get("name") or "")
    count = 1
    for actions in reversed(turns[:-1]):
        if not actions & fallback_actions or "named_program" in actions:
            break
        count += 1
    return count


def user_turns(tracker: Tracker) -> int:
    """Number of user messages in this session (the latest included)."""
    return sum(event.get("event") == "user" for event in session_events(tracker))


def last_bot_buttons(tracker: Tracker) -> list[dict[str, str]]:
    """Buttons of the latest bot message."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return list((event.get("data") or {}).get("buttons") or [])
    return []


def profile(tracker: Tracker) -> dict[str, Any]:
    """The company profile known in this conversation."""
    return profile_from_slots(tracker.current_slot_values())


def previous_slot_value(tracker: Tracker, slot: str) -> Any:
    """Value the slot had before the latest user message (None if it was never set)."""
    events = list(tracker.events)
    last_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=len(events))
    for event in reversed(events[:last_user]):
        if event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
        if event.get("event") in SESSION_BOUNDARIES:
            break
    return None


def slots_set_this_turn(tracker: Tracker) -> dict[str, Any]:
    """Slots set since the latest user message (by entity mappings), with their new values."""
    changed: dict[str, Any] = {}
    for event in reversed(list(tracker.events)):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot" and event.get("name") not in changed:
            changed[event["name"]] = event.get("value")
    return changed
