"""Human handoff records (table `handoffs` in the tracker database), shared by the actions and the staff pages.

While a record is open or taken the conversation is paused in Rasa (the bot stays silent); releasing it resumes
the conversation through Rasa's HTTP API.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Engine

from bot.server.database import database_engine
from bot.server.rasa_api import api_request
from channels.privacy import mask_pii

STATUSES = ("open", "taken", "released")
SILENT_STATUSES = ("open", "taken")

metadata = MetaData()
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("channel", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("last_messages", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("taken_by", String(255)),
)


def engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: the tracker database, TRACKER_DB_URL), with the `handoffs` table created."""
    return database_engine(metadata, url)


def create_handoff(sender_id: str, channel: str | None, summary: str, last_messages: list[dict[str, str]],
                   reason: str, url: str | None = None) -> int:
    """Store an open handoff record (personal data masked) and return its id."""
    messages = [{**message, "text": mask_pii(message.get("text") or "")} for message in last_messages]
    row = {"sender_id": sender_id, "channel": channel, "created_at": datetime.now(timezone.utc), "reason": reason,
           "summary": mask_pii(summary), "last_messages": messages, "status": "open", "taken_by": None}
    with engine(url).begin() as connection:
        return int(connection.execute(handoffs.insert().values(**row)).inserted_primary_key[0])


def open_handoff(sender_id: str, url: str | None = None) -> dict[str, Any] | None:
    """The latest open or taken handoff of a conversation, if any."""
    query = (select(handoffs).where(handoffs.c.sender_id == sender_id, handoffs.c.status.in_(SILENT_STATUSES))
             .order_by(handoffs.c.id.desc()).limit(1))
    with engine(url).connect() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def is_silenced(sender_id: str, url: str | None = None) -> bool:
    """True while a counsellor owns the conversation (a handoff is open or taken)."""
    return open_handoff(sender_id, url) is not None


def list_handoffs(status: str | None = None, url: str | None = None) -> list[dict[str, Any]]:
    """Handoff records, newest first, optionally only those with one status."""
    query = select(handoffs).order_by(handoffs.c.id.desc())
    if status:
        query = query.where(handoffs.c.status == status)
    with engine(url).connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def set_status(handoff_id: int, status: str, taken_by: str | None = None, url: str | None = None) -> None:
    """Mark a handoff open, taken (by a counsellor) or released."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    values: dict[str, Any] = {"status": status}
    if taken_by is not None:
        values["taken_by"] = taken_by
    with engine(url).begin() as connection:
        connection.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(**values))


def release_all(sender_id: str, url: str | None = None) -> int:
    """Release every open or taken handoff of a conversation (the user restarted); returns how many."""
    query = (update(handoffs).where(handoffs.c.sender_id == sender_id, handoffs.c.status.in_(SILENT_STATUSES))
             .values(status="released"))
    with engine(url).begin() as connection:
        return connection.execute(query).rowcount


def resume_conversation(rasa_url: str, sender_id: str, timeout: float = 10.0) -> None:
    """Let the bot talk again in a conversation paused by a handoff (Rasa HTTP API, `resume` event)."""
    api_request(rasa_url, f"/conversations/{urllib.parse.quote(sender_id, safe='')}/tracker/events",
                method="POST", body={"event": "resume"}, timeout=timeout)


def release(handoff_id: int, rasa_url: str, url: str | None = None) -> None:
    """Release a handoff: mark it released and resume the paused conversation in Rasa."""
    with engine(url).connect() as connection:
        sender_id = connection.execute(select(handoffs.c.sender_id).where(handoffs.c.id == handoff_id)).scalar_one()
    set_status(handoff_id, "released", url=url)
    resume_conversation(rasa_url, sender_id)
