"""`python -m bot serve` keeps its replicas running: a Rasa server that dies is started again, on the model its
siblings serve (a model promoted since the start is not rolled back)."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from bot.deploy.production import ProductionStack, supervise
from bot.paths import MODELS_DIR
from bot.server.rasa_api import api_request
from bot.staff.retrain import promote


def test_a_killed_replica_is_started_again_on_the_promoted_model(
        production: ProductionStack, rasa_model: Path, monkeypatch: pytest.MonkeyPatch):
    promoted = MODELS_DIR / f"promoted-{rasa_model.name}"
    shutil.copy(rasa_model, promoted)
    monkeypatch.setenv("RASA_REPLICA_URLS", " ".join(server.url for server in production.rasa_servers))
    victim = production.rasa_servers[-1]
    stop = threading.Event()
    # restarts only: a rolling renewal started here would outlive the test (tests/production/test_rolling_promotion.py)
    watcher = threading.Thread(target=supervise, args=(production, 0.2, lambda: not stop.is_set()),
                               kwargs={"renew_promoted": False})
    try:
        promote(promoted, production.api_url)
        first_pid = victim.process.pid
        watcher.start()
        os.killpg(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while victim.process.pid == first_pid and time.monotonic() < deadline:
            time.sleep(0.1)
        assert victim.process.pid != first_pid, "the supervisor started the replica again"
        victim.wait_ready()
        assert Path(api_request(victim.url, "/status")["model_file"]).name == promoted.name
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join(10)
        promoted.unlink()
