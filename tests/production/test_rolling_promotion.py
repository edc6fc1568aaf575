"""A promotion in the production shape ends with every Rasa replica started afresh on the new model (a rolling
restart that gives back the memory an in-place swap leaves behind), while owners keep talking: no message is
refused and none is lost."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from bot.deploy.processes import started_model
from bot.deploy.production import ProductionStack, supervise
from bot.paths import MODELS_DIR
from bot.staff.retrain import promote
from tests.talkers import failed, talk, user_messages

SENDERS = 4
RENEW_DEADLINE_SECONDS = 300


def test_a_promotion_renews_each_replica_in_turn_without_refusing_or_losing_a_message(
        production: ProductionStack, rasa_model: Path, monkeypatch: pytest.MonkeyPatch):
    promoted = MODELS_DIR / f"rolled-{rasa_model.name}"
    shutil.copy2(rasa_model, promoted)  # same mtime: the newest model in models/ stays the trained one
    monkeypatch.setenv("RASA_REPLICA_URLS", " ".join(server.url for server in production.rasa_servers))
    first_pids = {server.url: server.process.pid for server in production.rasa_servers}
    stop, outcomes = threading.Event(), []
    senders = [f"rolling-{index}-{time.monotonic_ns()}" for index in range(SENDERS)]
    loaders = [threading.Thread(target=talk, args=(production.url, sender, stop, outcomes)) for sender in senders]
    watcher = threading.Thread(target=supervise, args=(production, 0.2, lambda: not stop.is_set()))
    try:
        for loader in loaders:
            loader.start()
        promote(promoted, production.api_url)  # in place on every replica, as a staff retrain does
        watcher.start()
        deadline = time.monotonic() + RENEW_DEADLINE_SECONDS
        while time.monotonic() < deadline and not all(
                server.process.pid != first_pids[server.url] and started_model(server).name == promoted.name
                for server in production.rasa_servers):
            time.sleep(0.5)
        time.sleep(1)  # a few messages after the last renewal too
    finally:
        stop.set()
        for thread in (*loaders, watcher):
            thread.join(RENEW_DEADLINE_SECONDS)
    renewed = [server.name for server in production.rasa_servers
               if server.process.pid != first_pids[server.url] and started_model(server).name == promoted.name]
    assert len(renewed) == len(production.rasa_servers), f"renewed: {renewed}"
    refused = failed(outcomes)
    assert outcomes and not refused, f"{len(refused)} of {len(outcomes)} messages refused or unanswered: {refused[:5]}"
    for sender in senders:
        sent = sum(outcome[0] == sender for outcome in outcomes)
        assert user_messages(production.api_url, sender) == sent, sender
