"""The production shape: N Rasa servers and M action servers behind nginx, sharing PostgreSQL and Redis.

`python -m bot serve` runs it and restarts any replica that dies; `production_stack` is the same thing as a context
manager for the tests and the load benchmark. The Rasa servers use endpoints.production.yml (PostgreSQL tracker
store, Redis lock store); nginx (bot/deploy/nginx.conf.template) spreads the traffic and limits it per client IP.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.deploy.local_services import free_port, running_postgres, running_redis
from bot.deploy.processes import (
    ServerProcess,
    command_on_model,
    promoted_model,
    start_action_server,
    start_rasa_server,
    start_web_server,
)
from bot.paths import REPO_ROOT, VAR_DIR
from bot.server.rasa_api import api_token
from bot.staff.retrain import running_model

PRODUCTION_ENDPOINTS = REPO_ROOT / "endpoints.production.yml"
NGINX_TEMPLATE = REPO_ROOT / "bot" / "deploy" / "nginx.conf.template"
NGINX_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
DRAIN_SECONDS = 2.0  # after nginx stops sending to a replica, the requests it already has are answered by then


@dataclass(frozen=True)
class SharedServices:
    """Where the replicas keep their shared state: the tracker database and the Redis lock store."""

    tracker_db_url: str
    redis_url: str

    def environment(self) -> dict[str, str]:
        """The variables endpoints.production.yml and the tracker store read."""
        redis = urlparse(self.redis_url)
        return {"TRACKER_DB_URL": self.tracker_db_url, "BOT_RATE_LIMIT_REDIS_URL": self.redis_url,
                "REDIS_HOST": redis.hostname or "127.0.0.1",
                "REDIS_PORT": str(redis.port or 6379), "REDIS_LOCK_DB": (redis.path or "/1").strip("/") or "1"}

    @classmethod
    def from_env(cls) -> SharedServices:
        """The services named by env TRACKER_DB_URL and REDIS_URL (both required in production)."""
        missing = [name for name in ("TRACKER_DB_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"set {' and '.join(missing)} (or use --local-services for a loopback trial)")
        return cls(os.environ["TRACKER_DB_URL"], os.environ["REDIS_URL"])


@contextmanager
def local_services() -> Iterator[SharedServices]:
    """Throw-away PostgreSQL and Redis servers on loopback (tests, benchmark, trial runs)."""
    with running_postgres() as postgres, running_redis() as redis:
        yield SharedServices(postgres.url, redis.url)


@dataclass
class ProductionStack:
    """The running replicas and the load balancer; `url` is the public address, `api_url` the internal Rasa API."""

    url: str
    api_url: str
    rasa_servers: list[ServerProcess]
    action_servers: list[ServerProcess]
    web_server: ServerProcess
    balancer: ServerProcess
    balancer_config: Callable[[frozenset[str]], str] = field(repr=False)  # nginx.conf with some replicas down

    def servers(self) -> list[ServerProcess]:
        """Every process, in start order."""
        return [*self.action_servers, *self.rasa_servers, self.web_server, self.balancer]

    def route_around(self, down: frozenset[str]) -> None:
        """Send no new traffic to the Rasa replicas at `down` (none: all take traffic again): nginx reloads its
        configuration gracefully (SIGHUP), its old workers finish the requests they hold."""
        config_file = Path(self.balancer.command[self.balancer.command.index("-c") + 1])
        config_file.write_text(self.balancer_config(down), encoding="utf-8")
        os.kill(self.balancer.process.pid, signal.SIGHUP)


def render_nginx_config(prefix: Path, public_port: int, action_port: int, api_port: int, rasa_urls: list[str],
                        action_urls: list[str], web_url: str, per_ip_rate: int, down: frozenset[str] = frozenset(),
                        ) -> str:
    """nginx.conf for these upstreams (those at `down` marked down); workers run as `nobody` when we are root."""
    def servers(urls: list[str]) -> str:
        return "\n".join(f"        server {urlparse(url).netloc} max_fails=0{' down' if url in down else ''};"
                         for url in urls)

    values = {
        "user": "user nobody nogroup;" if os.geteuid() == 0 else "", "prefix": str(prefix),
        "public_port": str(public_port), "action_port": str(action_port), "api_port": str(api_port),
        "rasa_servers": servers(rasa_urls),
        "action_servers": servers(action_urls), "web_server": urlparse(web_url).netloc,
        "per_ip_rate": str(per_ip_rate), "per_ip_burst": str(per_ip_rate * 2),
    }
    config = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        config = config.replace("{{" + key + "}}", value)
    return config


def start_balancer(config: str, prefix: Path, public_port: int, log_dir: Path) -> ServerProcess:
    """Write the nginx configuration under `prefix` and start nginx in the foreground."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    for name in NGINX_TEMP_DIRS:
        (prefix / name).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(prefix / name, nobody.pw_uid, nobody.pw_gid)
    (prefix / "nginx.conf").write_text(config, encoding="utf-8")
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    url = f"http://127.0.0.1:{public_port}"
    return ServerProcess("load balancer", url, f"{url}/lb-health", command, {}, log_dir / "nginx.log")


@contextmanager
def production_stack(model: Path, services: SharedServices, rasa_replicas: int = 2, action_replicas: int = 2,
                     public_port: int | None = None, env: dict[str, str] | None = None,
                     log_dir: Path = VAR_DIR / "logs" / "production", per_ip_rate: int = 20,
                     ) -> Iterator[ProductionStack]:
    """Start the replicas, the website and nginx; wait until all answer; stop them all on exit."""
    public_port = public_port or free_port()
    public_url = f"http://127.0.0.1:{public_port}"
    action_port, api_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    shared_env = {**services.environment(), "RASA_API_TOKEN": api_token(), "BOT_CORS_ORIGINS": public_url,
                  "BOT_TRUSTED_PROXIES": "127.0.0.1", **(env or {})}
    started: list[ServerProcess] = []
    with tempfile.TemporaryDirectory(prefix="bot-nginx-") as prefix:
        os.chmod(prefix, 0o755)
        try:
            actions = [start_action_server(free_port(), shared_env, log_dir, name=f"action_server_{i + 1}")
                       for i in range(action_replicas)]
            started += actions
            rasa = [start_rasa_server(free_port(), model, action_port, shared_env, log_dir,  # actions via nginx
                                      endpoints=PRODUCTION_ENDPOINTS, name=f"rasa_server_{i + 1}")
                    for i in range(rasa_replicas)]
            started += rasa
            web = start_web_server(free_port(), api_url, {
                **shared_env, "RASA_REPLICA_URLS": " ".join(server.url for server in rasa)}, log_dir, public_url)
            started.append(web)

            def config(down: frozenset[str] = frozenset()) -> str:
                return render_nginx_config(Path(prefix), public_port, action_port, api_port, [s.url for s in rasa],
                                           [s.url for s in actions], web.url, per_ip_rate, down)

            balancer = start_balancer(config(), Path(prefix), public_port, log_dir)
            started.append(balancer)
            for server in started:
                server.wait_ready()
            yield ProductionStack(public_url, api_url, rasa, actions, web, balancer, config)
        finally:
            for server in reversed(started):
                server.stop()


def follow_promoted_model(server: ServerProcess, rasa_servers: list[ServerProcess]) -> None:
    """Before a Rasa replica starts again, point its `--model` at the model its running siblings serve, so a model
    promoted since the start (`make retrain`, staff pages) is not rolled back by a restart."""
    if server not in rasa_servers:
        return
    for sibling in rasa_servers:
        model = running_model(sibling.url) if sibling is not server and sibling.process.poll() is None else None
        if model is not None and model.exists():
            server.command = command_on_model(server.command, model)
            return


def renew_promoted_replica(stack: ProductionStack) -> ServerProcess | None:
    """A rolling restart after a promotion: a Rasa replica that serves another model than the one it was started
    on (PUT /model: staff retrain) is started afresh on that model, so the memory the swap left behind is given
    back. One replica at a time and only while every other replica is up: nginx stops sending it traffic first and
    sends it again once it is ready, so no message is refused or lost. Returns the renewed replica, if any."""
    for server in stack.rasa_servers:
        model = promoted_model(server)
        if model is None:
            continue
        siblings = [other for other in stack.rasa_servers if other is not server]
        if not all(other.process.poll() is None and running_model(other.url) is not None for other in siblings):
            return None
        stack.route_around(frozenset({server.url}))
        time.sleep(DRAIN_SECONDS)
        server.command = command_on_model(server.command, model)
        server.stop()
        server.start()
        server.wait_ready()
        stack.route_around(frozenset())
        print(f"{server.name} started afresh on the promoted model {model.name}.", flush=True)
        return server
    return None


def supervise(stack: ProductionStack, check_every: float = 2.0, keep_going: Callable[[], bool] = lambda: True,
              renew_promoted: bool = True) -> None:
    """Keep every server running: a process that exits is logged and started again, and (`renew_promoted`) a
    replica promoted in place is renewed on its new model (`renew_promoted_replica`), until Ctrl-C."""
    while keep_going():
        for server in stack.servers():
            if server.process.poll() is not None:
                print(f"{server.name} ({server.log_path.name}) exited with {server.process.returncode}; "
                      f"starting it again.\n{server.log_tail(10)}", flush=True)
                follow_promoted_model(server, stack.rasa_servers)
                server.start()
        if renew_promoted:
            renew_promoted_replica(stack)
        time.sleep(check_every)
