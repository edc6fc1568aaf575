"""Load benchmark: simulated users hold Korean consultations over REST and socket.io; writes reports/load.json.

    python -m bot.load_test [--users 10,50,100] [--duration 30] [--max-messages 2000]
                            [--shape embedded|production|all] [--transport rest|socketio|all] (defaults: all)

Every stage (shape x transport x user count) runs until its duration or its message bound is reached, whichever
comes first; the report is rewritten after each stage. Shapes: `embedded` is what `python -m bot run` starts (one
Rasa server, one action server, SQLite); `production` is bot.production's stack (Rasa and action replicas behind
nginx, PostgreSQL, Redis). Everything runs on loopback; each user connects from a loopback address of its own
(127.0.x.y), so per-client-IP hashing and limits see distinct clients. The channels' own per-IP rate limit is off
(BOT_RATE_LIMIT_PER_IP=0); nginx keeps the production per-IP limit.

Users: each user is a distinct sender that holds the consultations below one after the other (a new conversation,
i.e. a new sender or socket.io session, for each), answering the intake form's questions as a person would. Between
two messages a user thinks for a random, seeded time (uniform, default 1-3 s); users start spread over one think
time. Latency is measured from sending a message to the last bot message of that turn: the REST response, or on
socket.io the last `bot_uttered` before the channel's `bot_done` event, which it emits once the bot has sent every
reply to a message (so the end of a turn needs no quiet-period guess). Errors: transport failures, HTTP errors,
turns that time out, turns with no reply or with the channels' apology for an internal error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import psutil
import socketio

from bot.local_services import free_port, running_postgres, running_redis
from bot.paths import REPORTS_DIR
from bot.processes import ServerProcess, start_action_server, start_rasa_server
from bot.production import SharedServices, production_stack
from bot.training import train
from channels.incoming import ERROR_REPLY

REPORT_PATH = REPORTS_DIR / "load.json"
logging.getLogger("engineio.client").setLevel(logging.CRITICAL)  # not "packet queue is empty" at every abort
ORIGIN = "http://127.0.0.1:8080"
"""The website origin the socket.io users of the embedded shape claim (the servers allow it)."""
SERVER_ENV = {"BOT_RATE_LIMIT_PER_IP": "0"}
TARGET = {"users": 50, "p95_ms": 300, "errors": 0}
SHAPES = ("embedded", "production")
TRANSPORTS = ("rest", "socketio")
TURN_TIMEOUT = 60.0
MEMORY_SAMPLE_SECONDS = 1.0
MAX_FORM_ANSWERS = 8
"""Bound on the intake-form questions answered after one scripted message (a misunderstood answer cannot loop)."""


@dataclass(frozen=True)
class Consultation:
    """What one simulated business owner says, in order; the intake form's questions are answered as they come."""

    name: str
    messages: tuple[str, ...]


CONSULTATIONS = (
    Consultation("recommendation", (
        "안녕하세요", "창업 2년 된 서울 식품 제조업체인데 직원 5명이고 운전자금이 필요해요",
        "그럼 긴급경영안정자금 금리 알려주세요", "서류는 뭐가 필요해요?", "감사합니다",
    )),
    Consultation("program questions", (
        "안녕하세요", "청년전용창업자금 알려줘", "청년전용창업자금 지원대상이 어떻게 돼요?", "한도는 얼마예요?",
        "신청은 어떻게 해요?", "고맙습니다",
    )),
    Consultation("disaster", (
        "호우로 공장이 침수됐어요 긴급자금 받을 수 있나요", "금리가 얼마인가요", "필요한 서류는요?",
        "전화 문의는 어디로 해요?", "감사합니다",
    )),
    Consultation("full profile", (
        "안녕하세요", "부산 소재 업력 10년 도소매업, 직원 12명, 매출 15% 감소, 내수 기업이고 운전자금 필요합니다",
        "수출인큐베이터가 뭐예요", "안녕히 계세요",
    )),
    Consultation("training and jobs", (
        "직원들 AI 교육 받을 수 있는 과정 있어요?", "중장년 일자리 매칭 지원 있나요", "오늘 날씨 좋네요",
        "저희 회사에 맞는 지원사업 추천해 주세요", "감사합니다",
    )),
)

FORM_ANSWERS = {  # a cue in the bot's question → what the user answers (typed text, or the button's payload)
    "몇 년 되셨나요": "3년 됐어요",
    "어떤 업종이신가요": "자동차 부품 제조업이요",
    "어느 지역에 있나요": "경상남도 창원시에 있어요",
    "직원은 몇 명인가요": "8명",
    "매출이 얼마나 달라졌나요": "매출은 작년보다 20% 줄었어요",
    "수출을 하고 계신가요": '/inform{"export_status":"내수"}',
    "어디에 쓰실 계획인가요": '/inform{"fund_purpose":"운전"}',
    "만 나이를 알려 주시겠어요": "35살이에요",
}


def form_answer(replies: list[dict[str, Any]]) -> str | None:
    """The answer to the form question in the last reply of a turn, if the bot asked one."""
    last = next((reply.get("text") or "" for reply in reversed(replies) if reply.get("text")), "")
    return next((answer for cue, answer in FORM_ANSWERS.items() if cue in last), None)


@dataclass
class Stack:
    """Running servers: the URL users talk to, the website origin they claim, the processes whose memory is sampled."""

    url: str
    origin: str
    processes: dict[str, int]


@contextmanager
def embedded_stack(log_dir: Path, extra_env: dict[str, str]) -> Iterator[Stack]:
    """The servers as `python -m bot run` starts them (one action server, one Rasa server, SQLite in a temp dir)."""
    model = train()
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
                     action_replicas: int) -> Iterator[Stack]:
    """bot.production's stack with throw-away PostgreSQL and Redis; users claim its public origin."""
    model = train()
    with running_postgres() as postgres, running_redis() as redis:
        services = SharedServices(postgres.url, redis.url)
        with production_stack(model, services, rasa_replicas, action_replicas, env={**SERVER_ENV, **extra_env},
                              log_dir=log_dir) as stack:
            processes = {server.log_path.stem: server.process.pid for server in stack.servers()}
            processes["postgres"] = int((Path(postgres.data) / "postmaster.pid").read_text().split()[0])
            if redis.process is not None:
                processes["redis"] = redis.process.pid
            yield Stack(stack.url, stack.url, processes)


@dataclass
class Turn:
    """One message and what became of it."""

    latency: float | None
    error: str | None = None


Replies = tuple[list[dict[str, Any]], float]
"""The bot messages of one turn and when the last of them arrived (time.perf_counter)."""


class Conversation(Protocol):
    async def start(self) -> None: ...

    async def say(self, text: str) -> Replies: ...

    async def close(self) -> None: ...


class RestConversation:
    """One conversation over the REST channel: a sender of its own."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url, self.sender = http, f"{url}/webhooks/rest/webhook", f"load-{uuid.uuid4().hex[:12]}"

    async def start(self) -> None:
        """Nothing to open: every REST message stands alone."""

    async def say(self, text: str) -> Replies:
        async with self.http.post(self.url, json={"sender": self.sender, "message": text}) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return await response.json(), time.perf_counter()

    async def close(self) -> None:
        """Nothing to close."""


class SocketConversation:
    """One conversation over socket.io as the widget holds it: a socket, a session, `bot_done` ends a turn."""

    def __init__(self, http: aiohttp.ClientSession, url: str, origin: str) -> None:
        self.url, self.origin = url, origin
        self.sio = socketio.AsyncClient(reconnection=False, http_session=http)
        self.events: asyncio.Queue[tuple[str, Any, float]] = asyncio.Queue()
        for event in ("session_confirm", "bot_uttered", "bot_done", "session_error"):
            self.sio.on(event, lambda data=None, event=event: self.events.put_nowait(
                (event, data, time.perf_counter())))

    async def start(self) -> None:
        # Long-polling, like tests/channels: engineio's websocket client needs a newer aiohttp than Rasa's pin.
        await self.sio.connect(self.url, headers={"Origin": self.origin}, transports=["polling"],
                               wait_timeout=TURN_TIMEOUT)
        await self.sio.emit("session_request", {"session_id": uuid.uuid4().hex})
        event, data, _ = await self.events.get()
        if event != "session_confirm":
            raise RuntimeError(f"{event}: {data}")

    async def say(self, text: str) -> Replies:
        await self.sio.emit("user_uttered", {"message": text})
        replies: list[dict[str, Any]] = []
        last_reply_at = 0.0
        while True:
            event, data, arrived = await self.events.get()
            if event == "bot_done":  # may come in a later long-poll response than the last reply
                return replies, last_reply_at if replies else arrived
            if event != "bot_uttered":
                raise RuntimeError(f"{event}: {data}")
            replies.append(data)
            last_reply_at = arrived

    async def close(self) -> None:
        """Leave at once: a polling client's graceful disconnect waits for the pending long-poll."""
        await self.sio.eio.disconnect(abort=True)


@dataclass
class Stage:
    """The bounds of one stage and the turns recorded so far."""

    users: int
    deadline: float
    max_messages: int
    think: tuple[float, float]
    turns: list[Turn] = field(default_factory=list)
    sent: int = 0

    def may_send(self) -> bool:
        """Room for one more message within the stage's time and count bounds (and reserves it)."""
        if time.monotonic() >= self.deadline or self.sent >= self.max_messages:
            return False
        self.sent += 1
        return True


async def timed_turn(conversation: Conversation, text: str, stage: Stage) -> list[dict[str, Any]] | None:
    """Send one message and record the turn; the replies, or None when the turn failed."""
    started = time.perf_counter()
    try:
        replies, last_reply_at = await asyncio.wait_for(conversation.say(text), TURN_TIMEOUT)
    except asyncio.TimeoutError:
        stage.turns.append(Turn(None, "timeout"))
        return None
    except (aiohttp.ClientError, socketio.exceptions.SocketIOError, RuntimeError, ValueError) as error:
        stage.turns.append(Turn(None, f"{type(error).__name__}: {error}"[:120]))
        return None
    latency = last_reply_at - started
    if not replies:
        stage.turns.append(Turn(latency, "no reply"))
    elif any(reply.get("text") == ERROR_REPLY for reply in replies):
        stage.turns.append(Turn(latency, "error reply"))
    else:
        stage.turns.append(Turn(latency))
    return replies


def client_address(number: int) -> str:
    """The loopback address user `number` connects from: 127.0.0.1, 127.0.0.2, … (254 per /24)."""
    return f"127.0.{number // 254}.{number % 254 + 1}"


async def simulated_user(number: int, stage: Stage, stack: Stack, transport: str, seed: int) -> None:
    """One user: consultations in turn (starting at a different one per user), thinking between messages."""
    rng = random.Random(seed * 1000 + number)
    await asyncio.sleep(rng.uniform(0, stage.think[1]))
    connector = aiohttp.TCPConnector(limit=0, local_addr=(client_address(number), 0))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as http:
        for index in range(number, number + 10_000):
            consultation = CONSULTATIONS[index % len(CONSULTATIONS)]
            conversation: Conversation = (RestConversation(http, stack.url) if transport == "rest"
                                          else SocketConversation(http, stack.url, stack.origin))
            try:
                await asyncio.wait_for(conversation.start(), TURN_TIMEOUT)
            except (asyncio.TimeoutError, aiohttp.ClientError, socketio.exceptions.SocketIOError,
                    RuntimeError) as error:
                stage.turns.append(Turn(None, f"connect: {type(error).__name__}"))
                await asyncio.sleep(rng.uniform(*stage.think))
                continue
            try:
                for text in consultation.messages:
                    answers = 0
                    while text is not None:
                        if not stage.may_send():
                            return
                        replies = await timed_turn(conversation, text, stage)
                        await asyncio.sleep(rng.uniform(*stage.think))
                        answers += 1
                        text = form_answer(replies or []) if answers <= MAX_FORM_ANSWERS else None
            finally:
                await conversation.close()


class MemorySampler:
    """Resident memory (process and its children) and CPU time of each server process during a stage."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.peak: dict[str, float] = dict.fromkeys(processes, 0.0)
        self.last: dict[str, float] = dict.fromkeys(processes, 0.0)
        self.cpu_start = {name: self.cpu_seconds(process) for name, process in self.processes.items()}

    @staticmethod
    def tree(process: psutil.Process) -> list[psutil.Process]:
        return [process, *process.children(recursive=True)]

    def cpu_seconds(self, process: psutil.Process) -> float:
        total = 0.0
        for member in self.tree(process):
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def sample(self) -> None:
        for name, process in self.processes.items():
            rss = 0
            for member in self.tree(process):
                try:
                    rss += member.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.last[name] = rss / 2**20
            self.peak[name] = max(self.peak[name], self.last[name])

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(MEMORY_SAMPLE_SECONDS)

    def summary(self) -> dict[str, Any]:
        self.sample()
        return {name: {"rss_max_mb": round(self.peak[name]), "rss_end_mb": round(self.last[name]),
                       "cpu_s": round(self.cpu_seconds(process) - self.cpu_start[name], 1)}
                for name, process in self.processes.items()}


def percentiles_ms(latencies: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max/mean in milliseconds (None without enough turns)."""
    if len(latencies) < 2:
        return {key: None for key in ("p50", "p95", "p99", "max", "mean")}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    values = {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(latencies),
              "mean": statistics.fmean(latencies)}
    return {key: round(value * 1000, 1) for key, value in values.items()}


async def run_stage(stack: Stack, transport: str, users: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run one stage and summarise it."""
    load_before = os.getloadavg()
    sampler = MemorySampler(stack.processes)
    sampling = asyncio.create_task(sampler.run())
    started = time.monotonic()
    stage = Stage(users, started + args.duration, args.max_messages, (args.think_min, args.think_max))
    await asyncio.gather(*(simulated_user(n, stage, stack, transport, args.seed) for n in range(users)))
    elapsed = time.monotonic() - started
    sampling.cancel()
    latencies = [turn.latency for turn in stage.turns if turn.latency is not None and turn.error is None]
    errors = Counter(turn.error for turn in stage.turns if turn.error)
    latency = percentiles_ms(latencies)
    return {
        "transport": transport, "users": users, "seconds": round(elapsed, 1),
        "stopped_by": "messages" if stage.sent >= args.max_messages else "duration",
        "messages": len(stage.turns), "messages_per_s": round(len(stage.turns) / elapsed, 2),
        "latency_ms": latency, "errors": sum(errors.values()), "error_kinds": dict(errors.most_common(10)),
        "processes": sampler.summary(),
        "load_average": {"before": [round(v, 2) for v in load_before], "after": [round(v, 2) for v in os.getloadavg()]},
        "meets_target": (latency["p95"] is not None and latency["p95"] <= TARGET["p95_ms"]
                         and sum(errors.values()) <= TARGET["errors"]) if users == TARGET["users"] else None,
    }


async def warm_up(stack: Stack) -> None:
    """One of each consultation's first messages over REST, so model graphs and the index are loaded before timing."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
        for consultation in CONSULTATIONS:
            conversation = RestConversation(http, stack.url)
            for text in consultation.messages[:2]:
                await conversation.say(text)


@contextmanager
def open_stack(shape: str, args: argparse.Namespace, log_dir: Path, extra_env: dict[str, str]) -> Iterator[Stack]:
    """The servers of one shape."""
    if shape == "embedded":
        with embedded_stack(log_dir, extra_env) as stack:
            yield stack
    else:
        with production_shape(log_dir, extra_env, args.rasa_replicas, args.action_replicas) as stack:
            yield stack


def write_report(report: dict[str, Any]) -> None:
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


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
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the servers (repeatable), e.g. to compare settings")
    parser.add_argument("--log-dir", type=Path, default=None, help="server logs (default: a temp folder)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    user_counts = [int(count) for count in args.users.split(",")]
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="bot-load-logs-"))
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    report: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
        "target": TARGET, "stages": [],
        "settings": {"duration_s": args.duration, "max_messages": args.max_messages, "seed": args.seed,
                     "think_s": [args.think_min, args.think_max],
                     "production_replicas": {"rasa": args.rasa_replicas, "actions": args.action_replicas},
                     "client_addresses": "one loopback address per user (127.0.x.y)", "turn_timeout_s": TURN_TIMEOUT,
                     "server_env": {**SERVER_ENV, **extra_env}, "log_dir": str(log_dir),
                     "consultations": [c.name for c in CONSULTATIONS]},
    }
    for shape in choices(args.shape, SHAPES):
        with open_stack(shape, args, log_dir / shape, extra_env) as stack:
            asyncio.run(warm_up(stack))
            for transport in choices(args.transport, TRANSPORTS):
                for users in user_counts:
                    result = {"shape": shape, **asyncio.run(run_stage(stack, transport, users, args))}
                    report["stages"].append(result)
                    write_report(report)
                    latency = result["latency_ms"]
                    print(f"{shape:10} {transport:8} {users:4} users: {result['messages_per_s']:6.2f} msg/s  "
                          f"p50 {latency['p50']} ms  p95 {latency['p95']} ms  p99 {latency['p99']} ms  "
                          f"errors {result['errors']}  load {result['load_average']['after'][0]}", flush=True)
    print(f"Report: {REPORT_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
