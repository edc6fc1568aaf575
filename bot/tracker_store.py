"""Rasa's SQL tracker store on TRACKER_DB_URL (default: SQLite file var/tracker.db), masking personal data on save.

endpoints.yml: `tracker_store: {type: bot.tracker_store.MaskingSQLTrackerStore}`. Masking here is the second line of
defence: the channels mask incoming text first (bot.privacy.masking_on_new_message).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.database import tracker_db_url
from bot.privacy import mask_event

logger = logging.getLogger(__name__)


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
        logger.info("Tracker store: %s", self.engine.url.render_as_string(hide_password=True))

    async def _stream_new_events(self, event_broker: EventBroker, new_events: list[Event], sender_id: str) -> None:
        """Publish masked events only."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **mask_event(event.as_dict())})

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, masked."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = mask_event(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data, ensure_ascii=False),
                    )
                )
            session.commit()
