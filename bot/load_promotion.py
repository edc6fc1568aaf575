"""Memory left behind by model promotions: `python -m bot.load_promotion [--promotions 3] [--model PATH]`.

Starts one Rasa server on the newest model, parses one message, then promotes the same model N times through
PUT /model (the path a staff retrain takes), parsing after each; records the server's RSS fresh and after each
promotion in reports/promotion.json. Goal (issue 16): after three promotions within 10 % of the fresh server.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import psutil

from bot.deploy.local_services import free_port
from bot.deploy.processes import start_rasa_server
from bot.paths import MODELS_DIR, REPORTS_DIR
from bot.server.rasa_api import api_request

SETTLE_SECONDS = 12.0  # the release runs shortly after a load; RSS is read once the server is idle again
PARSE_TEXT = "긴급경영안정자금 한도가 얼마예요?"


def rss_mb(pid: int) -> int:
    """Resident memory of one process in MB."""
    return round(psutil.Process(pid).memory_info().rss / 2**20)


def measure(model: Path, promotions: int) -> dict[str, object]:
    """RSS of a fresh server and after each promotion of `model`."""
    with tempfile.TemporaryDirectory() as logs:
        server = start_rasa_server(free_port(), model, free_port(), log_dir=Path(logs), name="promotion")
        try:
            server.wait_ready()
            api_request(server.url, "/model/parse", method="POST", body={"text": PARSE_TEXT})
            time.sleep(SETTLE_SECONDS)
            rss = [rss_mb(server.process.pid)]
            for _ in range(promotions):
                api_request(server.url, "/model", method="PUT", body={"model_file": str(model.resolve())}, timeout=300)
                api_request(server.url, "/model/parse", method="POST", body={"text": PARSE_TEXT})
                time.sleep(SETTLE_SECONDS)
                rss.append(rss_mb(server.process.pid))
        finally:
            server.stop()
    return {"model": model.name, "rss_mb": rss, "growth": round(rss[-1] / rss[0] - 1, 3),
            "goal_met": rss[-1] <= 1.1 * rss[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.load_promotion", description=__doc__.split("\n")[0])
    parser.add_argument("--promotions", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None, help="default: the newest model in models/")
    args = parser.parse_args(argv)
    model = args.model or max(MODELS_DIR.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    result = measure(model, args.promotions)
    REPORTS_DIR.mkdir(exist_ok=True)
    (REPORTS_DIR / "promotion.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
