"""Command-line verbs: `python -m bot train` and `python -m bot run`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from bot.paths import VAR_DIR
from bot.processes import ServerProcess, start_action_server, start_rasa_server, start_web_server
from bot.training import train


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(rasa_port: int, action_port: int, web_port: int) -> int:
    """Start the action server, the Rasa server and the demo web server; stop them all on Ctrl-C."""
    model = train()
    VAR_DIR.mkdir(exist_ok=True)
    servers: list[ServerProcess] = []
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_keyboard_interrupt)
    try:
        started = time.monotonic()
        servers.append(start_action_server(action_port))
        servers.append(start_rasa_server(rasa_port, model, action_port))
        servers.append(start_web_server(web_port, servers[1].url))
        for server in servers:
            server.wait_ready()
        print(f"\nThe bot is ready ({time.monotonic() - started:.0f}s):")
        print(f"  demo website with the chat widget  http://127.0.0.1:{web_port}/")
        print(f"  staff review pages                 http://127.0.0.1:{web_port}/staff")
        print(f"  Rasa REST channel                  {servers[1].url}/webhooks/rest/webhook")
        print(f"  Rasa HTTP API                      {servers[1].url}/status")
        print(f"  action server                      {servers[0].url}/health")
        print(f"Logs: {VAR_DIR / 'logs'}. Press Ctrl-C to stop.", flush=True)
        while all(server.process.poll() is None for server in servers):
            time.sleep(1)
        dead = next(server for server in servers if server.process.poll() is not None)
        print(f"{dead.name} stopped unexpectedly:\n{dead.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        for server in reversed(servers):
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    train_parser = verbs.add_parser("train", help="train the Rasa model if its inputs changed")
    train_parser.add_argument("--force", action="store_true", help="train even if the model is up to date")
    run_parser = verbs.add_parser("run", help="train if needed, then start every server")
    run_parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    run_parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    run_parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", 8080)))
    args = parser.parse_args()
    if args.verb == "train":
        train(force=args.force)
        return 0
    return run(args.rasa_port, args.action_port, args.web_port)


if __name__ == "__main__":
    sys.exit(main())
