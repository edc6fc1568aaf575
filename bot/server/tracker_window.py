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
from rasa.shared.core.events import (
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
)

WINDOW_EVENTS = 40  # last events a turn reads once a session is longer than READ_WHOLE_UP_TO (about 4 turns)
READ_WHOLE_UP_TO = 60  # a session this long or shorter is read whole (about 6 turns)
OPENING_EVENTS = 3  # action_session_start, session_started, action_listen
RESETTING = ("restart", "reset_slots")  # state before these is gone: read the session whole
STORED_COUNT = "stored_event_count"  # attribute a retrieved tracker carries: how many of its events are stored
ROW_COLUMNS = ("id", "type_name", "action_name", "data")  # what a read needs: plain rows, no ORM objects to build
SENDER = sa.bindparam("sender_id")


def session_statement(table: sa.Table) -> sa.sql.Select:
    """The latest session's events of the sender bound as `sender_id`, in id order (Rasa's session query, with
    ROW_COLUMNS only): built once per store, so a read neither builds nor compiles a query again."""
    session_start = (sa.select(sa.func.max(table.c.timestamp))
                     .where(table.c.sender_id == SENDER, table.c.type_name == SessionStarted.type_name)
                     .scalar_subquery())
    return (sa.select(*(table.c[name] for name in ROW_COLUMNS))
            .where(table.c.sender_id == SENDER, sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))
            .order_by(table.c.id))


def session_rows(session: Any, statement: sa.sql.Select, table: sa.Table, sender_id: str) -> list[Any]:
    """Rows of the session in id order: all of a short session (one query), a long one's window."""
    def rows(query: sa.sql.Select) -> list[Any]:
        return session.execute(query, {"sender_id": sender_id}).all()

    newest_first = statement.order_by(None).order_by(table.c.id.desc())
    latest = rows(newest_first.limit(READ_WHOLE_UP_TO + 1))[::-1]
    if len(latest) <= READ_WHOLE_UP_TO:
        return latest
    if rows(statement.where(table.c.type_name.in_(RESETTING)).with_only_columns(table.c.id).limit(1)):
        return rows(statement)
    tail = _from_first_listen(latest[-WINDOW_EVENTS:])
    if not tail:
        return rows(statement)
    before = statement.where(table.c.id < tail[0].id)
    opening = rows(before.limit(OPENING_EVENTS))
    before = before.order_by(None)  # aggregates below: PostgreSQL refuses the session query's ORDER BY id
    latest_per_slot = (before.where(table.c.type_name == SlotSet.type_name)
                       .with_only_columns(sa.func.max(table.c.id)).group_by(table.c.action_name))
    latest_ids = [row[0] for row in rows(latest_per_slot)]
    for type_names in ((ActiveLoop.type_name,), (ConversationPaused.type_name, ConversationResumed.type_name)):
        latest_of_type = before.where(table.c.type_name.in_(type_names)).with_only_columns(sa.func.max(table.c.id))
        latest_ids.extend(row[0] for row in rows(latest_of_type) if row[0] is not None)
    state = rows(statement.where(table.c.id.in_(latest_ids))) if latest_ids else []
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
