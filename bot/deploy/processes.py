"""Start, health-check and stop the bot's server processes (used by `bot run` and by the tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.paths import CREDENTIALS_FILE, ENDPOINTS_FILE, REPO_ROOT, VAR_DIR
from bot.server.rasa_api import api_token, api_url
from bot.server.shared_socket import LISTEN_FD_ENV, READY_FILE_ENV
from bot.staff.retrain import running_model

DEFAULT_CORS_ORIGINS = "http://127.0.0.1:8080 http://localhost:8080"


LOOPBACK = "127.0.0.1"
# The action server's NumPy (query embeddings, scores) on one BLAS thread: OpenBLAS's second thread spin-waits after
# every small product, 27 ms of CPU per message against 3.4 ms on one thread (make bench-load, 50 users), taken
# from the Rasa server on the same cores. The image's entrypoint.sh sets the same.
ACTION_BLAS_THREADS = "1"


@dataclass
class ServerProcess:
    """A child server process started from `command`, its health URL and its log file. `pass_fds`: descriptors it
    inherits (a shared listening socket); `ready_file`: a file it touches when ready, checked instead of the health
    URL (which, on a shared socket, another process may answer)."""

    name: str
    url: str
    health_url: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    is_ready: Callable[[bytes], bool] = field(default=lambda body: True)
    pass_fds: tuple[int, ...] = ()
    ready_file: Path | None = None
    process: subprocess.Popen = field(init=False)

    def __post_init__(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")
        self.start()

    def start(self) -> None:
        """Start (or start again) the process in a session of its own, appending to its log."""
        if self.ready_file is not None:
            self.ready_file.unlink(missing_ok=True)
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env={**os.environ, **self.env}, stdout=log_file,
                stderr=subprocess.STDOUT, start_new_session=True, pass_fds=self.pass_fds,
            )

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until the health URL answers (or the ready file exists), or raise with the log tail if the process
        dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.ready_file is not None:
                if self.ready_file.exists():
                    return
                time.sleep(0.5)
                continue
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as response:
                    if self.is_ready(response.read()):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the process log."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after the timeout."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_action_server(
    port: int, env: dict[str, str] | None = None, log_dir: Path = VAR_DIR / "logs", name: str = "action_server"
) -> ServerProcess:
    """Start the rasa-sdk action server serving the `actions` package, on loopback unless ACTION_HOST says
    otherwise (rasa-sdk binds to SANIC_HOST, by default every interface)."""
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    env = {"SANIC_HOST": os.environ.get("ACTION_HOST", LOOPBACK),
           "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", ACTION_BLAS_THREADS), **(env or {})}
    return ServerProcess("action server", url, f"{url}/health", command, env, log_dir / f"{name}.log")


def start_rasa_server(
    port: int,
    model: Path,
    action_port: int,
    env: dict[str, str] | None = None,
    log_dir: Path = VAR_DIR / "logs",
    endpoints: Path = ENDPOINTS_FILE,
    credentials: Path = CREDENTIALS_FILE,
    name: str = "rasa_server",
    listen_socket: socket.socket | None = None,
) -> ServerProcess:
    """Start the Rasa server with the REST, socket.io and Telegram channels and the token-protected HTTP API.
    With `listen_socket` (bound to `port` by the caller) the server accepts on it and reports ready with a file
    in `log_dir`, so that a fresh server can take over the port from a running one (bot.deploy.embedded)."""
    server_env = {"ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook", **(env or {})}
    cors = server_env.get("BOT_CORS_ORIGINS") or os.environ.get("BOT_CORS_ORIGINS", DEFAULT_CORS_ORIGINS)
    server_env["BOT_CORS_ORIGINS"] = cors  # the socket.io channel checks the same origins
    server_env.setdefault("RASA_API_TOKEN", api_token())
    command = [
        sys.executable, "-m", "bot.server.rasa_server", "run", "--enable-api", "--model", str(model),  # token: env
        "--credentials", str(credentials), "--endpoints", str(endpoints),
        "--interface", "127.0.0.1", "--port", str(port), "--cors", *cors.split(),
    ]
    url = f"http://127.0.0.1:{port}"
    shared: dict[str, Any] = {}
    if listen_socket is not None:
        ready_file = log_dir / f"{name}.ready"
        server_env.update({LISTEN_FD_ENV: str(listen_socket.fileno()), READY_FILE_ENV: str(ready_file)})
        shared = {"pass_fds": (listen_socket.fileno(),), "ready_file": ready_file}
    return ServerProcess("Rasa server", url, api_url(url, "/status"), command, server_env, log_dir / f"{name}.log",
                         is_ready=lambda body: b"model_id" in body, **shared)


def started_model(server: ServerProcess) -> Path:
    """The model a Rasa server was started on (its `--model`)."""
    return Path(server.command[server.command.index("--model") + 1])


def command_on_model(command: list[str], model: Path) -> list[str]:
    """A copy of a Rasa server command that starts it on `model`."""
    changed = list(command)
    changed[changed.index("--model") + 1] = str(model)
    return changed


def promoted_model(server: ServerProcess) -> Path | None:
    """The model a Rasa server runs when a promotion (PUT /model) put another one in than it was started on and
    its file exists; else None (also when the server does not answer)."""
    model = running_model(server.url)
    if model is None or not model.exists() or model.name == started_model(server).name:
        return None
    return model


def start_web_server(port: int, rasa_url: str, env: dict[str, str] | None = None,
                     log_dir: Path = VAR_DIR / "logs", socket_url: str | None = None) -> ServerProcess:
    """Start the demo website (widget page) and the staff pages; `socket_url` is where browsers reach Rasa."""
    command = [sys.executable, "-m", "bot.deploy.website", "--port", str(port), "--rasa-url", rasa_url]
    if socket_url:
        command += ["--socket-url", socket_url]
    url = f"http://127.0.0.1:{port}"
    return ServerProcess("web server", url, f"{url}/healthz", command, env or {}, log_dir / "web_server.log")
