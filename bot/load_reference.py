"""The load benchmark's reference: the `rasa init` template bot (default pipeline, in-memory tracker, no action
server), created, trained and served by the same Rasa version on loopback, so the project's shapes can be measured
against a plain Rasa bot in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from bot.deploy.local_services import free_port
from bot.deploy.processes import ServerProcess
from bot.load_stacks import Stack

INIT_TIMEOUT = 900.0
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false"}


def rasa_command(*arguments: str) -> list[str]:
    """Rasa's command line from this interpreter, so the reference runs the project's own Rasa version."""
    return [sys.executable, "-m", "rasa", *arguments]


def template_bot(folder: Path, log_path: Path) -> Path:
    """Create the `rasa init` template bot in `folder` and train it (`rasa init` trains; `rasa train` if it did not);
    the model's path."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        subprocess.run(rasa_command("init", "--no-prompt", "--init-dir", str(folder)), cwd=folder, stdout=log,
                       stderr=subprocess.STDOUT, env=reference_env(), timeout=INIT_TIMEOUT, check=True)
        if not list((folder / "models").glob("*.tar.gz")):
            subprocess.run(rasa_command("train", "--out", "models"), cwd=folder, stdout=log,
                           stderr=subprocess.STDOUT, env=reference_env(), timeout=INIT_TIMEOUT, check=True)
    models = sorted((folder / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"`rasa init` made no model; see {log_path}")
    return models[-1]


def reference_env() -> dict[str, str]:
    """This process's environment, with Rasa's telemetry off (the machine may have no internet)."""
    return {**os.environ, **QUIET_ENV}


def start_reference_server(folder: Path, model: Path, port: int, log_dir: Path) -> ServerProcess:
    """`rasa run --enable-api` on the template bot's model, credentials and endpoints, on loopback."""
    command = rasa_command("run", "--enable-api", "--model", str(model), "--credentials",
                           str(folder / "credentials.yml"), "--endpoints", str(folder / "endpoints.yml"),
                           "--interface", "127.0.0.1", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    return ServerProcess("reference Rasa server", url, f"{url}/status", command, QUIET_ENV,
                         log_dir / "reference_rasa_server.log", is_ready=lambda body: b"model_id" in body)


@contextmanager
def reference_stack(log_dir: Path) -> Iterator[Stack]:
    """The template bot, trained in a temporary folder and served; users talk to it over REST."""
    with tempfile.TemporaryDirectory(prefix="bot-load-reference-") as temporary:
        folder = Path(temporary) / "bot"
        model = template_bot(folder, log_dir / "reference_init.log")
        server = start_reference_server(folder, model, free_port(), log_dir)
        try:
            server.wait_ready()
            yield Stack(server.url, server.url, {"rasa_server": server.process.pid})
        finally:
            server.stop()


def rasa_version() -> str:
    """The installed Rasa version, which serves both the project and the reference."""
    return version("rasa")
