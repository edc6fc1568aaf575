"""Rasa's SQL tracker store on TRACKER_DB_URL (default: SQLite file var/tracker.db), masking personal data on save.

endpoints.yml: `tracker_store: {type: bot.server.tracker_store.MaskingSQLTrackerStore}`. Masking here is the second
line of defence: the channels mask incoming text first (channels.privacy.masking_on_new_message).

A database restart loses nothing: pooled connections are checked before use (`pool_pre_ping`), and a read or write
that finds the database unreachable is retried with backoff (RETRY_DELAYS, about 15 s in all) before it fails.
A SQLite file runs in WAL mode with synchronous=NORMAL, its connections kept open in a pool (bot.server.database).
A long session is read as a bounded window (bot.server.tracker_window), so a turn does not slow down as it grows.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import sessionmaker

from bot.server.database import sqlite_pool_options, tracker_db_url, tune_sqlite
from bot.server.tracker_window import mark_stored, session_rows, session_statement, unsaved_events
from channels.privacy import mask_event

logger = logging.getLogger(__name__)

RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds before each retry of an operation the database refused
CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL: give up on an unreachable server instead of blocking the event loop
Result = TypeVar("Result")


def is_connection_error(error: DBAPIError) -> bool:
    """True when the database could not be reached or dropped the connection (worth a retry)."""
    return isinstance(error, (OperationalError, InterfaceError)) or error.connection_invalidated


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that masks message text, parse data and slot values of every event before saving it."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        for ignored in ("dialect", "db", "url"):
            kwargs.pop(ignored, None)
        url = tracker_db_url(host)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        self.engine.dispose()  # Rasa's engine, replaced by one that survives a database restart
        engine_kwargs = create_engine_kwargs(url)
        if self.engine.dialect.name == "postgresql":
            engine_kwargs.setdefault("connect_args", {})["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        engine_kwargs.update(sqlite_pool_options(url))
        self.engine = tune_sqlite(sa.create_engine(url, pool_pre_ping=True, **engine_kwargs))
        self.sessionmaker = sessionmaker(bind=self.engine)
        self.session_read = session_statement(self.SQLEvent.__table__)
        logger.info("Tracker store: %s", self.engine.url.render_as_string(hide_password=True))

    async def _retrying(self, what: str, operation: Callable[[], Awaitable[Result]]) -> Result:
        """Run a database operation; retry with backoff while the database is unreachable (e.g. restarting)."""
        retries = 0
        while True:
            try:
                result = await operation()
            except DBAPIError as error:
                if not is_connection_error(error):
                    raise
                reason = " ".join(str(error.orig).split()) or type(error.orig).__name__
                if retries == len(RETRY_DELAYS):
                    logger.error("Tracker database unreachable while %s; giving up after %d retries (%s)",
                                 what, retries, reason)
                    raise
                delay = RETRY_DELAYS[retries]
                retries += 1
                logger.warning("Tracker database unreachable while %s (%s); retry %d of %d in %.1f s",
                               what, reason, retries, len(RETRY_DELAYS), delay)
                await asyncio.sleep(delay)
            else:
                if retries:
                    logger.warning("Tracker database reachable again: %s succeeded after %d retries", what, retries)
                return result

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """The latest session (a long one as its bounded window, bot.server.tracker_window) or every session,
        retried while the database is unreachable."""
        if fetch_events_from_all_sessions:
            retrieve = super()._retrieve
            return await self._retrying(f"reading conversation {sender_id}", lambda: retrieve(sender_id, True))
        return await self._retrying(f"reading conversation {sender_id}", lambda: self._read_session(sender_id))

    async def _read_session(self, sender_id: str) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = session_rows(session, self.session_read, self.SQLEvent.__table__, sender_id)
            if not self.domain or not rows:
                return None
            tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(row.data) for row in rows],
                                                     self.domain.slots)
        mark_stored(tracker)
        return tracker

    async def _stream_new_events(self, event_broker: EventBroker, new_events: list[Event], sender_id: str) -> None:
        """Publish masked events only."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **mask_event(event.as_dict())})

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the events added since the tracker was read (Rasa's way for a tracker this store did not read)."""
        events = unsaved_events(tracker)
        if events is None or self.event_broker is None:
            await super().stream_events(tracker)
            return
        await self._stream_new_events(self.event_broker, events, tracker.sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, masked (retried while the database is unreachable)."""
        await self.stream_events(tracker)
        await self._retrying(f"saving conversation {tracker.sender_id}", lambda: self._store_new_events(tracker))
        mark_stored(tracker)

    async def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        """Add the events the database does not have yet, in one transaction (safe to repeat after a failure), as
        one multi-row insert (the ORM inserted row by row to learn each new id, which nothing here needs)."""
        with self.session_scope() as session:
            events = unsaved_events(tracker)
            rows = [self._row(tracker.sender_id, event)
                    for event in (self._additional_events(session, tracker) if events is None else events)]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The events-table row of one event, masked."""
        data = mask_event(event.as_dict())
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data, ensure_ascii=False)}
