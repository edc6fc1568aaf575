"""Throw-away PostgreSQL and Redis servers on loopback, for the production-shape tests and load benchmark.

They use the Debian binaries (`apt-get install postgresql redis-server`; `.ci/run` installs them) and a
temporary folder that is deleted when they stop. Production runs its own managed servers instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bindir() -> str | None:
    """Directory holding initdb/pg_ctl (Debian: /usr/lib/postgresql/<version>/bin), or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return os.path.dirname(candidates[0])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class LocalPostgres:
    """A PostgreSQL server in a temporary folder (run as the `postgres` user when we are root)."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bindir = bindir
        self.base = tempfile.mkdtemp(prefix="bot-pg-")
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.base, "data")
        self.log = os.path.join(self.base, "server.log")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/tracker"

    def _run(self, *command: str) -> None:
        try:
            subprocess.run([*self.prefix, *command], check=True, capture_output=True, cwd=self.base)
        except subprocess.CalledProcessError as error:
            tail = Path(self.log).read_text(errors="replace")[-2000:] if os.path.exists(self.log) else ""
            raise RuntimeError(f"PostgreSQL failed: {error.stderr.decode(errors='replace')}\n{tail}") from error

    def create(self) -> None:
        """Initialise the data folder, start the server and create the `tracker` database."""
        self._run(f"{self.bindir}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8")
        self.start()
        self._run(f"{self.bindir}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "tracker")

    def start(self) -> None:
        """Start the server on its port and wait until it accepts connections."""
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start",
                  "-o", f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=200")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` closes connections cleanly, `immediate` is like a crash)."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run([*self.prefix, f"{self.bindir}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"],
                           capture_output=True, cwd=self.base)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


class LocalRedis:
    """A Redis server without persistence in a temporary folder."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("Redis is not installed (apt-get install redis-server)")
        self.base = tempfile.mkdtemp(prefix="bot-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it accepts connections."""
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.base], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[LocalPostgres]:
    """A fresh PostgreSQL server on 127.0.0.1 with a `tracker` database, removed afterwards."""
    server = LocalPostgres()
    try:
        server.create()
        yield server
    finally:
        server.remove()


@contextmanager
def running_redis() -> Iterator[LocalRedis]:
    """A fresh Redis server on 127.0.0.1, removed afterwards."""
    server = LocalRedis()
    try:
        server.start()
        yield server
    finally:
        server.remove()
