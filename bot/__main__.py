"""Command-line verbs: `python -m bot train`, `python -m bot run` (embedded defaults) and `python -m bot serve`
(production shape)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from contextlib import nullcontext

from bot.deploy.embedded import listening_socket, renew_promoted_server
from bot.deploy.processes import (
    ServerProcess,
    start_action_server,
    start_rasa_server,
    start_web_server,
    started_model,
)
from bot.deploy.production import SharedServices, local_services, production_stack, supervise
from bot.paths import VAR_DIR
from bot.server.rasa_api import api_token
from bot.training import train, write_guide_questions

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PROMOTION_CHECK_SECONDS = 2.0


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    """The first stop signal stops everything; later ones (a group kill, make forwarding the same signal, a second
    Ctrl-C) are ignored, so they cannot interrupt the stop routine and leave servers running."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, _raise_keyboard_interrupt)


def run(rasa_port: int, action_port: int, web_port: int) -> int:
    """Start the action server, the Rasa server and the demo web server; stop them all on Ctrl-C. After a model
    promotion a fresh Rasa server takes over the port (`renew_promoted_server`)."""
    model = train()
    VAR_DIR.mkdir(exist_ok=True)
    servers: list[ServerProcess] = []
    _stop_on_signals()
    token_note = "token: env RASA_API_TOKEN" if os.environ.get("RASA_API_TOKEN") else f"?token={api_token()} (this run)"
    try:
        rasa_socket = listening_socket(rasa_port)
    except OSError as error:
        print(f"Port {rasa_port} for the Rasa server is not free: {error}", file=sys.stderr)
        return 1
    try:
        started = time.monotonic()
        servers.append(start_action_server(action_port))
        servers.append(start_rasa_server(rasa_port, model, action_port, listen_socket=rasa_socket))
        servers.append(start_web_server(web_port, servers[1].url))
        for server in servers:
            server.wait_ready()
        print(f"\nThe bot is ready ({time.monotonic() - started:.0f}s):")
        print(f"  demo website with the chat widget  http://127.0.0.1:{web_port}/")
        print(f"  staff review pages                 http://127.0.0.1:{web_port}/staff")
        print(f"  Rasa REST channel                  {servers[1].url}/webhooks/rest/webhook")
        if os.environ.get("KAKAO_SKILL_ENABLED") == "1":
            print(f"  KakaoTalk skill                    {servers[1].url}/webhooks/kakao/webhook?secret=…")
        print(f"  Rasa HTTP API                      {servers[1].url}/status  {token_note}")
        print(f"  action server                      {servers[0].url}/health")
        print(f"Logs: {VAR_DIR / 'logs'}. Press Ctrl-C to stop.", flush=True)
        renewing = True
        while all(server.process.poll() is None for server in servers):
            time.sleep(PROMOTION_CHECK_SECONDS)
            try:
                renewed = renew_promoted_server(servers[1]) if renewing else None
            except (RuntimeError, TimeoutError) as error:  # the running server goes on with the promoted model
                print(f"A fresh Rasa server did not start; this one keeps serving:\n{error}", file=sys.stderr)
                renewing = False
                continue
            if renewed is not None:
                servers[1] = renewed
                print(f"A fresh Rasa server took over on the promoted model {started_model(renewed).name}.", flush=True)
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
        rasa_socket.close()


def serve(rasa_replicas: int, action_replicas: int, port: int, local: bool, per_ip_rate: int) -> int:
    """Start the production shape and keep every replica running until Ctrl-C."""
    model = train()
    _stop_on_signals()
    started = time.monotonic()
    try:
        with (local_services() if local else nullcontext(SharedServices.from_env())) as services, \
                production_stack(model, services, rasa_replicas, action_replicas, port,
                                 per_ip_rate=per_ip_rate) as stack:
            print(f"\n{rasa_replicas} Rasa and {action_replicas} action servers ready behind nginx "
                  f"({time.monotonic() - started:.0f}s): {stack.url}/ (staff pages {stack.url}/staff)")
            print(f"Logs: {stack.balancer.log_path.parent}. Press Ctrl-C to stop.", flush=True)
            supervise(stack)
    except KeyboardInterrupt:
        print("\nStopping…")
    except (RuntimeError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    train_parser = verbs.add_parser("train", help="train the Rasa model if its inputs changed")
    train_parser.add_argument("--force", action="store_true", help="train even if the model is up to date")
    verbs.add_parser("guide-questions", help="write bot/data/nlu/guide_questions.yml from the guides")
    run_parser = verbs.add_parser("run", help="train if needed, then start every server")
    run_parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    run_parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    run_parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", 8080)))
    serve_parser = verbs.add_parser("serve", help="production shape: replicas behind nginx, PostgreSQL and Redis")
    serve_parser.add_argument("--rasa-replicas", type=int, default=int(os.environ.get("RASA_REPLICAS", 2)))
    serve_parser.add_argument("--action-replicas", type=int, default=int(os.environ.get("ACTION_REPLICAS", 2)))
    serve_parser.add_argument("--port", type=int, default=int(os.environ.get("PUBLIC_PORT", 8000)))
    serve_parser.add_argument("--per-ip-rate", type=int, default=int(os.environ.get("NGINX_PER_IP_RATE", 20)),
                              help="requests per second per client IP at nginx (burst: twice that)")
    serve_parser.add_argument("--local-services", action="store_true",
                              help="start throw-away PostgreSQL and Redis on loopback (trial run)")
    args = parser.parse_args()
    if args.verb == "serve":
        return serve(args.rasa_replicas, args.action_replicas, args.port, args.local_services, args.per_ip_rate)
    if args.verb == "train":
        train(force=args.force)
        return 0
    if args.verb == "guide-questions":
        print(write_guide_questions())
        return 0
    return run(args.rasa_port, args.action_port, args.web_port)


if __name__ == "__main__":
    sys.exit(main())
