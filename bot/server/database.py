"""The tracker database (TRACKER_DB_URL, default var/tracker.db), shared by the tracker store, handoffs and staff."""

from __future__ import annotations

import os
from functools import lru_cache

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine

from bot.paths import REPO_ROOT, VAR_DIR


def tracker_db_url(url: str | None = None) -> str:
    """`url`, else TRACKER_DB_URL, else the SQLite file var/tracker.db; relative SQLite paths are under the repo."""
    url = url or os.environ.get("TRACKER_DB_URL") or f"sqlite:///{VAR_DIR / 'tracker.db'}"
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = url.removeprefix("sqlite:///")
        absolute = path if os.path.isabs(path) else str(REPO_ROOT / path)
        os.makedirs(os.path.dirname(absolute), exist_ok=True)
        url = f"sqlite:///{absolute}"
    return url


@lru_cache(maxsize=16)
def _engine(url: str, metadata: MetaData) -> Engine:
    engine = create_engine(url, future=True, pool_pre_ping=True)  # survives a database restart
    metadata.create_all(engine)
    return engine


def database_engine(metadata: MetaData, url: str | None = None) -> Engine:
    """A cached engine on the tracker database with the tables of `metadata` created."""
    return _engine(tracker_db_url(url), metadata)
