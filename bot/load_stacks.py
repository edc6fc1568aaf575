"""The servers a load benchmark stage talks to: the embedded shape (`bot run`) and the production shape."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.deploy.local_services import free_port, running_postgres, running_redis
from bot.deploy.processes import ServerProcess, start_action_server, start_rasa_server
from bot.deploy.production import SharedServices, production_stack
from bot.training import train

ORIGIN = "http://127.0.0.1:8080"
"""The website origin the socket.io users of the embedded shape claim (the servers allow it)."""
SERVER_ENV = {"BOT_RATE_LIMIT_PER_IP": "0", "BOT_RATE_LIMIT_PER_SENDER": "0"}
"""The channels' rate limits off: every user is a loopback client, and the long conversation sends back to back."""


@dataclass
class Stack:
    """Running servers: the URL users talk to, the website origin they claim, the processes whose memory is sampled."""

    url: str
    origin: str
    processes: dict[str, int]


@contextmanager
def embedded_stack(log_dir: Path, extra_env: dict[str, str], model: Path | None = None) -> Iterator[Stack]:
    """The servers as `python -m bot run` starts them (one action server, one Rasa server, SQLite in a temp dir), on
    `model` or else the model of the current training data (trained if stale)."""
    model = model or train()
    with tempfile.TemporaryDirectory(prefix="bot-load-") as folder:
        env = {"TRACKER_DB_URL": f"sqlite:///{Path(folder) / 'tracker.db'}", "BOT_CORS_ORIGINS": ORIGIN,
               **SERVER_ENV, **extra_env}
        servers: list[ServerProcess] = []
        try:
            action_port = free_port()
            servers.append(start_action_server(action_port, env, log_dir))
            servers.append(start_rasa_server(free_port(), model, action_port, env, log_dir))
            for server in servers:
                server.wait_ready()
            yield Stack(servers[1].url, ORIGIN, {"rasa_server": servers[1].process.pid,
                                                 "action_server": servers[0].process.pid})
        finally:
            for server in reversed(servers):
                server.stop()


@contextmanager
def production_shape(log_dir: Path, extra_env: dict[str, str], rasa_replicas: int,
                     action_replicas: int, model: Path | None = None) -> Iterator[Stack]:
    """bot.deploy.production's stack with throw-away PostgreSQL and Redis; users claim its public origin."""
    model = model or train()
    with running_postgres() as postgres, running_redis() as redis:
        services = SharedServices(postgres.url, redis.url)
        with production_stack(model, services, rasa_replicas, action_replicas, env={**SERVER_ENV, **extra_env},
                              log_dir=log_dir) as stack:
            processes = {server.log_path.stem: server.process.pid for server in stack.servers()}
            processes["postgres"] = int((Path(postgres.data) / "postmaster.pid").read_text().split()[0])
            if redis.process is not None:
                processes["redis"] = redis.process.pid
            yield Stack(stack.url, stack.url, processes)


@contextmanager
def open_stack(shape: str, args: argparse.Namespace, log_dir: Path, extra_env: dict[str, str]) -> Iterator[Stack]:
    """The servers of one shape."""
    if shape == "embedded":
        with embedded_stack(log_dir, extra_env, args.model) as stack:
            yield stack
    else:
        with production_shape(log_dir, extra_env, args.rasa_replicas, args.action_replicas, args.model) as stack:
            yield stack
