"""A production stack (2 Rasa servers, 1 action server, nginx, PostgreSQL, Redis) shared by this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.deploy.production import ProductionStack, SharedServices, local_services, production_stack


@pytest.fixture(scope="session")
def shared_services() -> Iterator[SharedServices]:
    with local_services() as services:
        yield services


@pytest.fixture(scope="session")
def production(rasa_model: Path, shared_services: SharedServices, server_logs: Path) -> Iterator[ProductionStack]:
    """Two Rasa servers sharing the tracker store and the lock store, behind nginx."""
    with production_stack(rasa_model, shared_services, rasa_replicas=2, action_replicas=1,
                          log_dir=server_logs / "production") as stack:
        yield stack
