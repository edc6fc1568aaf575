"""A long session is read as a bounded window that keeps the conversation's state, and nothing is lost on save."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server import tracker_window
from bot.server.tracker_store import MaskingSQLTrackerStore

DOMAIN = Domain.from_dict({
    "intents": ["inform"],
    "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in ("region", "topic", "turn")},
    "forms": {"intake_form": {"required_slots": []}},
})
SESSION_START = SessionStarted()  # Rasa logs the session's action after the event it returned
OPENING = [ActionExecuted("action_session_start"), SESSION_START, ActionExecuted("action_listen")]


def _turn(number: int) -> list[Event]:
    """One user turn: the message, a slot or two, the reply, and listening again."""
    events: list[Event] = [UserUttered(f"질문 {number}", {"name": "inform", "confidence": 0.9}),
                           SlotSet("turn", number)]
    if number == 2:
        events += [ActiveLoop("intake_form"), SlotSet("region", "부산"), ConversationPaused()]
    if number % 7 == 0:
        events.append(SlotSet("topic", f"주제 {number}"))
    return [*events, ActionExecuted("action_answer"), BotUttered(f"답변 {number}"), ActionExecuted("action_listen")]


async def _converse(store: MaskingSQLTrackerStore, sender: str, turns: int,
                    extra: dict[int, list[Event]] | None = None) -> DialogueStateTracker:
    """Hold a conversation the way Rasa's processor does (read, add a turn, save); return the whole of it."""
    whole = DialogueStateTracker.from_events(sender, OPENING, DOMAIN.slots)
    await store.save(DialogueStateTracker.from_events(sender, OPENING, DOMAIN.slots))
    for number in range(1, turns + 1):
        tracker = await store.retrieve(sender)
        assert tracker is not None
        for event in [*(extra or {}).get(number, []), *_turn(number)]:
            tracker.update(event)
            whole.update(event)
        await store.save(tracker)
    return whole


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MaskingSQLTrackerStore]:
    """The store on a new SQLite file or on the session's real PostgreSQL server (senders are unique per test)."""
    url = (f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    yield store
    store.engine.dispose()


def _sender(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def test_a_long_session_is_read_as_a_window_that_keeps_its_state(store: MaskingSQLTrackerStore) -> None:
    sender = _sender("long")
    whole = await _converse(store, sender, 60)
    window = await store.retrieve(sender)
    assert window is not None
    assert len(window.events) <= tracker_window.OPENING_EVENTS + 5 + tracker_window.WINDOW_EVENTS < len(whole.events)
    assert window.current_slot_values() == whole.current_slot_values()
    assert window.current_slot_values()["region"] == "부산" and window.get_slot("turn") == 60
    assert window.active_loop_name == "intake_form" and window.is_paused()
    assert [event.text for event in window.events if isinstance(event, UserUttered)][-1] == "질문 60"
    assert isinstance(window.events[1], SessionStarted), "the actions still see where the session started"

    full = await store.retrieve_full_tracker(sender)
    assert full is not None and [event.as_dict() for event in full.events] == [e.as_dict() for e in whole.events]
    with store.engine.connect() as connection:
        query = sa.text("SELECT count(*) FROM events WHERE sender_id = :sender")
        stored = connection.execute(query, {"sender": sender}).scalar()
    assert stored == len(whole.events), "every turn saved exactly once, none lost or doubled"


async def test_a_short_session_is_read_whole(store: MaskingSQLTrackerStore) -> None:
    sender = _sender("short")
    whole = await _converse(store, sender, 5)
    tracker = await store.retrieve(sender)
    assert tracker is not None and [e.as_dict() for e in tracker.events] == [e.as_dict() for e in whole.events]


async def test_a_restart_before_the_window_reads_the_session_whole(store: MaskingSQLTrackerStore) -> None:
    sender = _sender("restarted")
    whole = await _converse(store, sender, 40, extra={3: [Restarted()]})
    tracker = await store.retrieve(sender)
    assert tracker is not None and len(tracker.events) == len(whole.events)
    assert tracker.current_slot_values() == whole.current_slot_values()


def test_event_classes_are_looked_up_once_with_the_same_answers() -> None:
    tracker_window.install_event_type_cache()
    assert Event.resolve_by_type("slot") is SlotSet and Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", default=BotUttered) is BotUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "region", "value": "부산"}) == SlotSet("region", "부산")
