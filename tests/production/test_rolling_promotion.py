"""A promotion in the production shape ends with every Rasa replica started afresh on the new model (a rolling
restart that gives back the memory an in-place swap leaves behind), while owners keep talking: no message is
refused and none is lost."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.deploy.production import ProductionStack, started_model, supervise
from bot.paths import MODELS_DIR
from bot.server.rasa_api import api_url
from bot.staff.retrain import promote

SENDERS = 4
PAUSE_SECONDS = 4.0  # an owner's pace, under the per-sender (20/min) and per-address (120/min) limits
RENEW_DEADLINE_SECONDS = 300


def talk(base_url: str, sender: str, stop: threading.Event, outcomes: list[tuple[str, int, bool]]) -> None:
    """Send one question after another until `stop`, recording (sender, HTTP status, got a reply)."""
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            try:
                response = client.post(f"{base_url}/webhooks/rest/webhook",
                                       json={"sender": sender, "message": "긴급경영안정자금 한도 알려주세요"})
                outcomes.append((sender, response.status_code, bool(response.status_code == 200 and response.json())))
            except httpx.HTTPError:
                outcomes.append((sender, 0, False))
            stop.wait(PAUSE_SECONDS)


def user_messages(production: ProductionStack, sender: str) -> int:
    """How many user messages the shared tracker store holds for `sender`."""
    response = httpx.get(api_url(production.api_url, f"/conversations/{sender}/tracker", include_events="ALL"),
                         timeout=30)
    response.raise_for_status()
    return sum(event["event"] == "user" for event in response.json()["events"])


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
    failed = [outcome for outcome in outcomes if outcome[1] != 200 or not outcome[2]]
    assert outcomes and not failed, f"{len(failed)} of {len(outcomes)} messages refused or unanswered: {failed[:5]}"
    for sender in senders:
        sent = sum(outcome[0] == sender for outcome in outcomes)
        assert user_messages(production, sender) == sent, sender
