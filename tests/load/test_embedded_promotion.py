"""A promotion in the embedded shape ends with a fresh Rasa server on the promoted model serving the same port (the
memory an in-place swap leaves behind is given back), while owners keep talking: no message is refused or lost."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from bot.deploy.embedded import listening_socket, renew_promoted_server
from bot.deploy.local_services import free_port
from bot.deploy.processes import start_rasa_server, started_model
from bot.paths import MODELS_DIR
from bot.staff.retrain import promote, running_model
from tests.talkers import Outcome, failed, talk, user_messages

SENDERS = 3
AFTER_SWITCH_SECONDS = 6.0  # owners go on talking to the fresh server


def test_a_promotion_moves_the_port_to_a_fresh_server_without_refusing_or_losing_a_message(
        rasa_model: Path, action_server: str, server_logs: Path, tmp_path: Path) -> None:
    promoted = MODELS_DIR / f"switched-{rasa_model.name}"
    shutil.copy2(rasa_model, promoted)  # same mtime: the newest model in models/ stays the trained one
    port = free_port()
    listener = listening_socket(port)
    env = {"TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}"}
    server = start_rasa_server(port, rasa_model, int(action_server.rsplit(":", 1)[1]), env,
                               server_logs / "embedded", listen_socket=listener)
    fresh = None
    stop, outcomes = threading.Event(), list[Outcome]()
    senders = [f"switch-{index}-{time.monotonic_ns()}" for index in range(SENDERS)]
    talkers = [threading.Thread(target=talk, args=(server.url, sender, stop, outcomes)) for sender in senders]
    try:
        server.wait_ready()
        assert renew_promoted_server(server) is None  # nothing promoted yet
        for talker in talkers:
            talker.start()
        time.sleep(1)
        promote(promoted, server.url)  # in place, as a staff retrain does
        fresh = renew_promoted_server(server)
        assert fresh is not None
        assert server.process.poll() is not None, "the old server still runs"
        assert started_model(fresh).name == promoted.name
        assert running_model(fresh.url).name == promoted.name
        time.sleep(AFTER_SWITCH_SECONDS)
        stop.set()
        for talker in talkers:
            talker.join(60)
        refused = failed(outcomes)
        assert len(outcomes) >= 3 * SENDERS and not refused, f"{len(refused)} of {len(outcomes)} failed: {refused}"
        for sender in senders:  # the fresh server reads every message, from before the switch and after
            assert user_messages(fresh.url, sender) == sum(outcome[0] == sender for outcome in outcomes), sender
    finally:
        stop.set()
        for process in (fresh, server):
            if process is not None:
                process.stop()
        listener.close()
        promoted.unlink(missing_ok=True)
