"""Memory left behind by model promotions: `python -m bot.load_promotion [--promotions 3] [--model PATH]`.

Embedded shape (one Rasa server): promotes the model N times through PUT /model (the path a staff retrain takes),
each followed by the switch-over `bot run` makes to a fresh server on the promoted model, parsing after each.
Production shape (two replicas behind nginx, PostgreSQL, Redis): each promotion is a PUT /model followed by the
supervisor's rolling renewal (every replica started afresh on the promoted model,
`bot.deploy.production.renew_promoted_replica`). Records each Rasa server's RSS fresh and after each promotion in
reports/promotion.json. Goal (issue 16): after three promotions within 10 % of the fresh server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from bot.deploy.embedded import listening_socket, renew_promoted_server
from bot.deploy.local_services import free_port
from bot.deploy.processes import ServerProcess, start_rasa_server
from bot.deploy.production import local_services, production_stack, renew_promoted_replica
from bot.paths import MODELS_DIR, REPORTS_DIR
from bot.server.rasa_api import api_request
from bot.staff.retrain import promote

SETTLE_SECONDS = 12.0  # the release runs shortly after a load; RSS is read once the server is idle again
PARSE_TEXT = "긴급경영안정자금 한도가 얼마예요?"


def rss_mb(pid: int) -> int:
    """Resident memory of one process in MB."""
    return round(psutil.Process(pid).memory_info().rss / 2**20)


def settled_rss(servers: list[ServerProcess]) -> list[int]:
    """Each server's RSS after one parse and a pause."""
    for server in servers:
        api_request(server.url, "/model/parse", method="POST", body={"text": PARSE_TEXT})
    time.sleep(SETTLE_SECONDS)
    return [rss_mb(server.process.pid) for server in servers]


def measure(model: Path, promotions: int) -> dict[str, object]:
    """RSS of a fresh embedded Rasa server and of the server that serves after each promotion of `model`: PUT
    /model, then the switch-over to a fresh server on the promoted model that `bot run` makes
    (`renew_promoted_server`). Each promotion ships the model under a new name, as a retrain does."""
    copies = [MODELS_DIR / f"promotion-{number}-{model.name}" for number in range(1, promotions + 1)]
    port = free_port()
    listener = listening_socket(port)
    with tempfile.TemporaryDirectory() as logs:
        server = start_rasa_server(port, model, free_port(), log_dir=Path(logs), name="promotion",
                                   listen_socket=listener)
        try:
            server.wait_ready()
            rss = settled_rss([server])
            for copy in copies:
                shutil.copy2(model, copy)
                api_request(server.url, "/model", method="PUT", body={"model_file": str(copy.resolve())}, timeout=300)
                server = renew_promoted_server(server) or server
                rss += settled_rss([server])
        finally:
            server.stop()
            listener.close()
            for copy in copies:
                copy.unlink(missing_ok=True)
    return {"model": model.name, "switch_over": True, "rss_mb": rss, "growth": round(rss[-1] / rss[0] - 1, 3),
            "goal_met": rss[-1] <= 1.1 * rss[0]}


def measure_production(model: Path, promotions: int, replicas: int = 2) -> dict[str, object]:
    """RSS of each Rasa replica of the production shape, fresh and after each promotion with its rolling renewal
    (each promotion ships the model under a new name, as a retrain does)."""
    copies = [MODELS_DIR / f"promotion-{number}-{model.name}" for number in range(1, promotions + 1)]
    with local_services() as services, tempfile.TemporaryDirectory() as logs, production_stack(
            model, services, rasa_replicas=replicas, action_replicas=1, log_dir=Path(logs)) as stack:
        os.environ["RASA_REPLICA_URLS"] = " ".join(server.url for server in stack.rasa_servers)
        try:
            rss = [settled_rss(stack.rasa_servers)]
            for copy in copies:
                shutil.copy2(model, copy)
                promote(copy, stack.api_url)
                while renew_promoted_replica(stack) is not None:
                    pass
                rss.append(settled_rss(stack.rasa_servers))
        finally:
            for copy in copies:
                copy.unlink(missing_ok=True)
    growth = max(after / fresh - 1 for fresh, after in zip(rss[0], rss[-1], strict=True))
    return {"model": model.name, "replicas": replicas, "rss_mb": rss, "growth": round(growth, 3),
            "goal_met": growth <= 0.1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.load_promotion", description=__doc__.split("\n")[0])
    parser.add_argument("--promotions", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None, help="default: the newest model in models/")
    parser.add_argument("--shape", choices=("embedded", "production", "both"), default="both")
    args = parser.parse_args(argv)
    model = args.model or max(MODELS_DIR.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    path = REPORTS_DIR / "promotion.json"
    earlier = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    result = {shape: earlier[shape] for shape in ("embedded", "production") if shape in earlier}
    if args.shape in ("embedded", "both"):
        result["embedded"] = measure(model, args.promotions)
    if args.shape in ("production", "both"):
        result["production"] = measure_production(model, args.promotions)
    REPORTS_DIR.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
