"""Tracker builders and message helpers for the action tests."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user_event(text: str, intent: str, entities: list[dict[str, Any]] | None = None,
               ranking: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A `user` event as Rasa sends it to the action server."""
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or [],
             "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}]}
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": "rest"}


def make_tracker(text: str = "", intent: str = "inform", entities: dict[str, Any] | None = None,
                 slots: dict[str, Any] | None = None, history: list[dict[str, Any]] | None = None,
                 after: list[dict[str, Any]] | None = None, ranking: list[dict[str, Any]] | None = None,
                 sender_id: str = "user-1", active_loop: str | None = None) -> Tracker:
    """A tracker whose latest user message is `text`/`intent`/`entities`, after `history`, followed by `after`."""
    entity_list = [{"entity": name, "value": value} for name, value in (entities or {}).items()]
    latest = user_event(text, intent, entity_list, ranking)
    events = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"},
              *(history or []), latest, *(after or [])]
    loop = {"name": active_loop} if active_loop else {}
    return Tracker(sender_id, dict(slots or {}), latest["parse_data"], events, False, None, loop, "action_listen")


def texts(dispatcher: CollectingDispatcher) -> str:
    """All texts the action sent, joined."""
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """The domain responses the action sent, by name (utter_…)."""
    return [message["response"] for message in dispatcher.messages if message.get("response")]


def payloads(dispatcher: CollectingDispatcher) -> list[str]:
    """All button payloads the action sent (link buttons have none)."""
    return [button["payload"] for message in dispatcher.messages for button in message.get("buttons") or []
            if "payload" in button]


def links(dispatcher: CollectingDispatcher) -> list[dict[str, str]]:
    """All link buttons the action sent: {"title": "뉴스1 2026년", "url": …}."""
    return [button for message in dispatcher.messages for button in message.get("buttons") or []
            if "url" in button]
