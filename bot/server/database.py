"""The tracker database (TRACKER_DB_URL, default var/tracker.db), shared by the tracker store, handoffs and staff.

A SQLite file runs in WAL mode with synchronous=NORMAL (`tune_sqlite`, set on every new connection): a commit no
longer waits for an fsync of the database file (about 10 % of the Rasa server's time at 50 users, py-spy), and
readers do not block the writer. A committed turn survives a crash or restart of the process; only a power cut or
operating-system crash can lose the last commits (the database itself stays consistent). The tracker store keeps
its SQLite connections open in a pool (`sqlite_pool_options`; SQLAlchemy 1.4 would open and close the file for
every read and write, and closing the last connection checkpoints and deletes the WAL each time). PostgreSQL is
untouched.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from functools import lru_cache
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import QueuePool

from bot.paths import REPO_ROOT, VAR_DIR

logger = logging.getLogger(__name__)
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def tracker_db_url(url: str | None = None) -> str:
    """`url`, else TRACKER_DB_URL, else the SQLite file var/tracker.db; relative SQLite paths are under the repo."""
    url = url or os.environ.get("TRACKER_DB_URL") or f"sqlite:///{VAR_DIR / 'tracker.db'}"
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = url.removeprefix("sqlite:///")
        absolute = path if os.path.isabs(path) else str(REPO_ROOT / path)
        os.makedirs(os.path.dirname(absolute), exist_ok=True)
        url = f"sqlite:///{absolute}"
    return url


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    except sqlite3.OperationalError as error:  # e.g. the file is locked while switching to WAL: works as before
        logger.warning("SQLite tracker database: could not apply %s (%s)", pragma, error)
    finally:
        cursor.close()


def is_sqlite_file(url: str | URL) -> bool:
    """True for a SQLite database in a file (not in memory)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def sqlite_pool_options(url: str) -> dict[str, Any]:
    """create_engine options keeping a SQLite file's connections open in a pool (SQLAlchemy 2.0's default);
    none for other databases."""
    if not is_sqlite_file(url):
        return {}
    return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}


def tune_sqlite(engine: Engine) -> Engine:
    """For a SQLite file: WAL journal and synchronous=NORMAL on every new connection. Other engines unchanged."""
    if is_sqlite_file(engine.url) and not event.contains(engine, "connect", _set_sqlite_pragmas):
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


@lru_cache(maxsize=16)
def _engine(url: str, metadata: MetaData) -> Engine:
    engine = tune_sqlite(create_engine(url, future=True, pool_pre_ping=True))  # survives a database restart
    metadata.create_all(engine)
    return engine


def database_engine(metadata: MetaData, url: str | None = None) -> Engine:
    """A cached engine on the tracker database with the tables of `metadata` created."""
    return _engine(tracker_db_url(url), metadata)
