"""Load benchmark: simulated users hold Korean consultations over REST and socket.io; writes reports/load.json.

    python -m bot.load_test [--users 10,50,100] [--duration 30] [--max-messages 2000]
                            [--shape embedded|production|all] [--transport rest|socketio|all] (defaults: all)
                            [--reference/--no-reference] [--rounds 1] [--saturation/--no-saturation]
                            [--saturation-users 10]
                            [--saturation-duration 30] [--long-turns 200] [--model PATH] [--server-env NAME=VALUE]

Every stage (shape x transport x user count) runs until its duration or its message bound is reached, whichever
comes first; the report is rewritten after each stage. Shapes: `embedded` is what `python -m bot run` starts (one
Rasa server, one action server, SQLite); `production` is bot.deploy.production's stack (Rasa and action replicas behind
nginx, PostgreSQL, Redis). Everything runs on loopback; each user connects from a loopback address of its own
(127.0.x.y), so per-client-IP hashing and limits see distinct clients. The channels' own per-IP rate limit is off
(BOT_RATE_LIMIT_PER_IP=0), and so is the per-sender one (the long conversation sends back to back); nginx keeps
the production per-IP limit.

After a shape's stages come its saturation stage (`--saturation-users` users over REST with no think time for
`--saturation-duration` seconds: throughput) and its long conversation (one sender, `--long-turns` turns back to
back in one REST conversation: latency around the last turn against around turn 5). The reference (bot.load_reference)
is the `rasa init` template bot served by the same Rasa version, trained in a temporary folder: it gets the same REST
stages, users, think times and Korean messages (it understands none of them; its latency is what counts), the same
saturation stage and long conversation; the report's `comparison` puts each shape beside it (ratios shape/reference).
All stacks run side by side. With `--rounds N` every user stage runs N times, the shapes and the reference taking
turns (the order reversed each round), and the goals read the median of each ratio over the rounds: one run's ratio
moved between 1.3 and 2.0 on the same code on a shared 2-core machine, as the machine's own load came and went.

Users: each user is a distinct sender that holds the consultations (bot.load_users) one after the other (a new
conversation, i.e. a new sender or socket.io session, for each), answering the intake form's questions as a person
would. Between two messages a user thinks for a random, seeded time (uniform, default 1-3 s); users start spread over
one think time. Latency is measured from sending a message to the last bot message of that turn: the REST response,
or on socket.io the last `bot_uttered` before the channel's `bot_done` event, which it emits once the bot has sent
every reply to a message (so the end of a turn needs no quiet-period guess). Errors: transport failures, HTTP errors,
turns that time out, turns with no reply or with the channels' apology for an internal error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.load_reference import rasa_version, reference_stack
from bot.load_report import REFERENCE, REPORT_PATH, write_report
from bot.load_stacks import SERVER_ENV, Stack, embedded_stack, open_stack
from bot.load_stages import TARGET, long_conversation, run_stage, saturation_stage
from bot.load_users import CONSULTATIONS, TURN_TIMEOUT, warm_up

__all__ = ["Stack", "embedded_stack", "main"]
logging.getLogger("engineio.client").setLevel(logging.CRITICAL)  # not "packet queue is empty" at every abort
SHAPES = ("embedded", "production")
TRANSPORTS = ("rest", "socketio")
LONG_WINDOW = 10
"""Turns in each window of the long conversation whose median is compared (one pass over its messages)."""


def choices(value: str, allowed: tuple[str, ...]) -> list[str]:
    return list(allowed) if value == "all" else [value]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.load_test", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="10,50,100", help="comma-separated concurrent user counts")
    parser.add_argument("--duration", type=float, default=30.0, help="longest stage, in seconds")
    parser.add_argument("--max-messages", type=int, default=2000, help="most messages sent in one stage")
    parser.add_argument("--shape", choices=[*SHAPES, "all"], default="all")
    parser.add_argument("--transport", choices=[*TRANSPORTS, "all"], default="all")
    parser.add_argument("--rasa-replicas", type=int, default=2, help="Rasa servers of the production shape")
    parser.add_argument("--action-replicas", type=int, default=2, help="action servers of the production shape")
    parser.add_argument("--think-min", type=float, default=1.0, help="shortest think time between messages (s)")
    parser.add_argument("--think-max", type=float, default=3.0, help="longest think time between messages (s)")
    parser.add_argument("--reference", action=argparse.BooleanOptionalAction, default=True,
                        help="also load the `rasa init` template bot (REST) and compare")
    parser.add_argument("--rounds", type=int, default=1,
                        help="times each user stage runs, the shapes and the reference taking turns (ratios: median)")
    parser.add_argument("--saturation", action=argparse.BooleanOptionalAction, default=True,
                        help="a stage with no think time for each shape (throughput)")
    parser.add_argument("--saturation-users", type=int, default=10, help="users of the saturation stage")
    parser.add_argument("--saturation-duration", type=float, default=30.0, help="saturation stage length (s)")
    parser.add_argument("--long-turns", type=int, default=200, help="turns of the long conversation (0: none)")
    parser.add_argument("--model", type=Path, default=None,
                        help="model to serve (default: the current training data's, trained if stale)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the servers (repeatable), e.g. to compare settings")
    parser.add_argument("--log-dir", type=Path, default=None, help="server logs (default: a temp folder)")
    return parser.parse_args(argv)


def print_stage(shape: str, result: dict[str, Any]) -> None:
    latency = result["latency_ms"]
    print(f"{shape:10} {result['transport']:8} {result['users']:4} users think {result['think_s']}: "
          f"{result['messages_per_s']:6.2f} msg/s  p50 {latency['p50']} ms  p95 {latency['p95']} ms  "
          f"p99 {latency['p99']} ms  errors {result['errors']}  load {result['load_average']['after'][0]}", flush=True)


def user_stages(shape: str, stack: Stack, transports: list[str], args: argparse.Namespace, report: dict[str, Any],
                round_number: int) -> None:
    """One round of the shape's stages (each transport and user count) into the report."""
    for transport in transports:
        for users in [int(count) for count in args.users.split(",")]:
            result = {"shape": shape, "round": round_number, **asyncio.run(run_stage(
                stack, transport, users, args.duration, (args.think_min, args.think_max), args.seed,
                args.max_messages, silence_ok=shape == REFERENCE))}
            report["stages"].append(result)
            write_report(report)
            print_stage(shape, result)


def closing_stages(shape: str, stack: Stack, args: argparse.Namespace, report: dict[str, Any]) -> None:
    """The shape's saturation stage and long conversation into the report."""
    silence_ok = shape == REFERENCE
    if args.saturation:
        result = {"shape": shape, **asyncio.run(saturation_stage(stack, args.saturation_users,
                                                                 args.saturation_duration, args.seed, silence_ok))}
        report["saturation"].append(result)
        write_report(report)
        print_stage(f"{shape} sat", result)
    if args.long_turns > 0:
        result = {"shape": shape, **asyncio.run(long_conversation(stack, args.long_turns, LONG_WINDOW,
                                                                   silence_ok=silence_ok))}
        report["long_conversation"].append(result)
        write_report(report)
        print(f"{shape:10} long conversation: turn {result['early_turn']} {result['early_ms']} ms, turn "
              f"{result['late_turn']} {result['late_ms']} ms (x{result['late_over_early']}), "
              f"errors {result['errors']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="bot-load-logs-"))
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    report: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
        "rasa_version": rasa_version(), "target": TARGET, "stages": [], "saturation": [], "long_conversation": [],
        "settings": {"model": str(args.model or "current"), "duration_s": args.duration,
                     "max_messages": args.max_messages, "seed": args.seed,
                     "think_s": [args.think_min, args.think_max],
                     "production_replicas": {"rasa": args.rasa_replicas, "actions": args.action_replicas},
                     "reference": args.reference, "rounds": args.rounds, "saturation": {"enabled": args.saturation,
                                                                 "users": args.saturation_users,
                                                                 "duration_s": args.saturation_duration},
                     "long_conversation": {"turns": args.long_turns, "window": LONG_WINDOW},
                     "client_addresses": "one loopback address per user (127.0.x.y)", "turn_timeout_s": TURN_TIMEOUT,
                     "server_env": {**SERVER_ENV, **extra_env}, "log_dir": str(log_dir),
                     "consultations": [c.name for c in CONSULTATIONS]},
    }
    transports = {shape: choices(args.transport, TRANSPORTS) for shape in choices(args.shape, SHAPES)}
    if args.reference:
        transports[REFERENCE] = ["rest"]
    with ExitStack() as running:
        stacks = {shape: running.enter_context(reference_stack(log_dir / shape) if shape == REFERENCE
                                               else open_stack(shape, args, log_dir / shape, extra_env))
                  for shape in transports}
        for stack in stacks.values():
            asyncio.run(warm_up(stack))
        for round_number in range(1, args.rounds + 1):
            order = list(stacks) if round_number % 2 else list(reversed(stacks))
            for shape in order:
                user_stages(shape, stacks[shape], transports[shape], args, report, round_number)
        for shape, stack in stacks.items():
            closing_stages(shape, stack, args, report)
    print(f"Report: {REPORT_PATH}")
    if args.reference:
        for item in report["comparison"]["users_summary"]:
            print(f"{item['shape']} / reference at {item['users']} users (median of {item['rounds']} rounds): "
                  f"{item['ratio']}")
        for item in report["comparison"]["saturation"]:
            print(f"{item['shape']} / reference saturation throughput: x{item['ratio']}")
        print(f"goals met: {report['comparison']['goals_met']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
