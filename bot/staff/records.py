"""The staff application's own tables in the tracker database — review decisions, the staff audit log and the
model registry — with the engine that creates them, and writing and reading the audit log and the registry."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, desc, select
from sqlalchemy.engine import Engine

from bot.server.database import database_engine

metadata = MetaData()
decisions = Table(
    "review_decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, nullable=False, unique=True),
    Column("sender_id", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("decision", String(32), nullable=False),
    Column("intent", String(255)),
    Column("entities", JSON, nullable=False),
    Column("reviewed_by", String(255), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
)
audit = Table(
    "staff_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("who", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(255)),
    Column("detail", Text),
)
registry = Table(
    "model_registry", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(512), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("data_hash", String(64), nullable=False),
    Column("reviewed_examples", Integer, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("baseline_model", String(512)),
    Column("baseline_scores", JSON),
    Column("decision", String(16), nullable=False),
    Column("reasons", Text, nullable=False),
    Column("report", String(512)),
    Column("started_by", String(255)),
    Column("promoted_at", DateTime(timezone=True)),
    Column("promoted_by", String(255)),
)


def engine(url: str | None = None) -> Engine:
    """Engine on the tracker database (TRACKER_DB_URL or var/tracker.db) with the staff tables created."""
    return database_engine(metadata, url)


def log_action(who: str, action: str, target: str | None = None, detail: Any = None, url: str | None = None) -> None:
    """Record one staff action (who, when, what) in the audit table."""
    text = detail if isinstance(detail, str) or detail is None else json.dumps(detail, ensure_ascii=False)
    with engine(url).begin() as connection:
        connection.execute(audit.insert().values(at=datetime.now(timezone.utc), who=who, action=action,
                                                 target=target, detail=text))


def audit_log(limit: int = 200, url: str | None = None) -> list[dict[str, Any]]:
    """The latest staff actions, newest first."""
    with engine(url).connect() as connection:
        rows = connection.execute(select(audit).order_by(desc(audit.c.id)).limit(limit)).mappings()
        return [dict(row) for row in rows]


def model_records(limit: int = 50, url: str | None = None) -> list[dict[str, Any]]:
    """The latest model registry records (one per retraining), newest first."""
    with engine(url).connect() as connection:
        rows = connection.execute(select(registry).order_by(desc(registry.c.id)).limit(limit)).mappings()
        return [dict(row) for row in rows]
