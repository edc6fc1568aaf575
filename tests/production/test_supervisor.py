"""`python -m bot serve` keeps its replicas running: a server that dies is started again."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bot.local_services import free_port
from bot.processes import ServerProcess
from bot.production import supervise


def test_a_killed_server_is_started_again(tmp_path: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ServerProcess("test server", url, f"{url}/", [sys.executable, "-m", "http.server", str(port),
                           "--bind", "127.0.0.1", "--directory", str(tmp_path)], {}, tmp_path / "server.log")
    server.wait_ready(30)
    first_pid = server.process.pid
    stop = threading.Event()
    watcher = threading.Thread(target=supervise, args=([server], 0.2, lambda: not stop.is_set()))
    watcher.start()
    try:
        os.killpg(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while server.process.pid == first_pid and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.process.pid != first_pid, "the supervisor started the server again"
        server.wait_ready(30)
        with urllib.request.urlopen(f"{url}/", timeout=5) as response:
            assert response.status == 200
    finally:
        stop.set()
        watcher.join(10)
        server.stop()
