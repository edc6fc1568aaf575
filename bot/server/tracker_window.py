"""A long conversation read as a bounded window: the session's opening, the state built before the window (latest
value of each slot, the active form, a pause) and its last events, so a turn costs the same at turn 200 as at turn 5.

Rasa rebuilds the whole session from the database every turn and its policies re-read all of it (RulePolicy and
MemoizationPolicy have no history limit), so each turn of one conversation took longer than the last. Stored events
are never cut: only what a turn reads is. A session with a restart or slot reset before the window is read whole.
The store saves what was added after the events it read (`stored_event_count`), not by counting database rows.
The other cost of reading a tracker, Rasa's event-class lookup, is cached here too (`install_event_type_cache`).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.events import ActiveLoop, ConversationPaused, ConversationResumed, Event, SlotSet

WINDOW_EVENTS = 60  # last events a turn reads once a session is longer than READ_WHOLE_UP_TO (about 6 turns)
READ_WHOLE_UP_TO = 100  # a session this long or shorter is read whole
OPENING_EVENTS = 3  # action_session_start, session_started, action_listen
RESETTING = ("restart", "reset_slots")  # state before these is gone: read the session whole
STORED_COUNT = "stored_event_count"  # attribute a retrieved tracker carries: how many of its events are stored


def session_rows(session: Any, query: Any, event_table: Any) -> list[Any]:
    """Rows of the session in id order: all of a short session (one query, as Rasa's own), a long one's window."""
    newest_first = query.order_by(None).order_by(event_table.id.desc())
    latest = newest_first.limit(READ_WHOLE_UP_TO + 1).all()[::-1]
    if len(latest) <= READ_WHOLE_UP_TO:
        return latest
    if query.filter(event_table.type_name.in_(RESETTING)).with_entities(event_table.id).first() is not None:
        return query.all()
    tail = _from_first_listen(latest[-WINDOW_EVENTS:])
    if not tail:
        return query.all()
    before = query.filter(event_table.id < tail[0].id)
    opening = before.limit(OPENING_EVENTS).all()
    before = before.order_by(None)  # aggregates below: PostgreSQL refuses the session query's ORDER BY id
    latest_per_slot = (before.filter(event_table.type_name == SlotSet.type_name)
                       .with_entities(sa.func.max(event_table.id)).group_by(event_table.action_name))
    latest_ids = [row[0] for row in latest_per_slot.all()]
    for type_names in ((ActiveLoop.type_name,), (ConversationPaused.type_name, ConversationResumed.type_name)):
        latest_of_type = before.filter(event_table.type_name.in_(type_names)).with_entities(sa.func.max(event_table.id))
        latest_ids.extend(row[0] for row in latest_of_type.all() if row[0] is not None)
    state = session.query(event_table).filter(event_table.id.in_(latest_ids)).all() if latest_ids else []
    opening_ids = {row.id for row in opening}
    return [*opening, *sorted((row for row in state if row.id not in opening_ids), key=lambda row: row.id), *tail]


def _from_first_listen(rows: list[Any]) -> list[Any]:
    """The rows from the first `action_listen` on, so the window starts where a user turn starts."""
    for index, row in enumerate(rows):
        if row.type_name == "action" and row.action_name == "action_listen":
            return rows[index:]
    return []


def unsaved_events(tracker: Any) -> list[Event] | None:
    """Events added since the tracker was read or last saved; None for a tracker this store did not read."""
    stored = getattr(tracker, STORED_COUNT, None)
    return None if stored is None else list(tracker.events)[stored:]


def mark_stored(tracker: Any) -> None:
    """Record that every event the tracker holds now is stored."""
    setattr(tracker, STORED_COUNT, len(tracker.events))


@functools.cache
def _event_class(type_name: str) -> type[Event] | None:
    return next((cls for cls in _all_event_classes() if cls.type_name == type_name), None)


def _all_event_classes() -> list[type[Event]]:
    from rasa.shared.utils.common import all_subclasses

    return all_subclasses(Event)


def install_event_type_cache() -> None:
    """Rasa looks an event's class up by walking every Event subclass, for each event it reads (most of the time
    spent reading a tracker); look each type name up once."""
    resolve = Event.resolve_by_type
    if getattr(resolve, "cached", False):
        return

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        return _event_class(type_name) or resolve(type_name, default)

    resolve_by_type.cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
