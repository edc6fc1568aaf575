"""`python -m bot run` stops every server it started, even when the stop signal arrives twice (a group kill while
make forwards the same signal) — the next run must find its ports free."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from bot.deploy.local_services import free_port
from bot.paths import REPO_ROOT


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def listeners(ports: set[int]) -> list[psutil.Process]:
    """The processes listening on these ports."""
    pids = {conn.pid for conn in psutil.net_connections(kind="tcp")
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port in ports and conn.pid}
    return [psutil.Process(pid) for pid in pids]


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_doubled_stop_signal_to_the_process_group_stops_every_server(rasa_model: Path, tmp_path: Path,
                                                                       stop_signal: int) -> None:
    ports = {"--rasa-port": free_port(), "--action-port": free_port(), "--web-port": free_port()}
    env = {**os.environ, "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
           "STAFF_TOKEN": "test-staff-token-0123456789", "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "bot", "run", *(str(part) for pair in ports.items() for part in pair)]
    log = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        assert wait_until(lambda: ready(f"http://127.0.0.1:{ports['--web-port']}/"), 240), \
            (tmp_path / "run.log").read_text(errors="replace")[-3000:]
        assert wait_until(lambda: ready(f"http://127.0.0.1:{ports['--action-port']}/health"), 60)
        assert wait_until(lambda: ready(f"http://127.0.0.1:{ports['--rasa-port']}/"), 240), \
            (tmp_path / "run.log").read_text(errors="replace")[-3000:]
        os.killpg(run.pid, stop_signal)
        time.sleep(0.05)  # the second signal lands while the first one is stopping the servers
        os.killpg(run.pid, stop_signal)
        run.wait(30)
        assert wait_until(lambda: all(port_free(port) for port in ports.values()), 20), \
            [port for port in ports.values() if not port_free(port)]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for orphan in listeners(set(ports.values())):  # what a failed stop left behind must not outlive the test
            orphan.kill()
        log.close()
