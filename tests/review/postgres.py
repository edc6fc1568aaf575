"""Start a throw-away PostgreSQL server on loopback for the tests (as the `postgres` user when running as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bindir() -> str | None:
    """Directory holding initdb/pg_ctl (Debian: /usr/lib/postgresql/<version>/bin), or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return os.path.dirname(candidates[0])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_postgres() -> Iterator[str]:
    """Yield the URL of a fresh PostgreSQL server on 127.0.0.1 (trust auth), stopped and deleted afterwards."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    prefix: list[str] = []
    base = tempfile.mkdtemp(prefix="review-pg-")
    if os.geteuid() == 0:  # postgres refuses to run as root: run it as the `postgres` system user
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(base, "data"), _free_port()
    log = os.path.join(base, "server.log")
    run = {"check": True, "capture_output": True, "cwd": base}
    try:
        subprocess.run([*prefix, f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale=C.UTF-8"], **run)
        subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "start",
                        "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1"], **run)
        subprocess.run([*prefix, f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "tracker"], **run)
        yield f"postgresql://postgres@127.0.0.1:{port}/tracker"
    except subprocess.CalledProcessError as error:
        tail = Path(log).read_text(encoding="utf-8", errors="replace")[-2000:] if os.path.exists(log) else ""
        raise RuntimeError(f"PostgreSQL failed: {error.stderr.decode(errors='replace')}\n{tail}") from error
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
