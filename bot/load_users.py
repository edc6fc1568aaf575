"""The simulated users of the load benchmark: what they say, how a turn is sent over REST or socket.io and timed."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import socketio

from bot.load_stacks import Stack
from channels.incoming import ERROR_REPLY

TURN_TIMEOUT = 60.0
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
    silence_ok: bool = False
    """A turn without reply is no error (the reference bot understands no Korean: its silence is an answer)."""
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
    if not replies and not stage.silence_ok:
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


async def warm_up(stack: Stack) -> None:
    """One of each consultation's first messages over REST, so model graphs and the index are loaded before timing."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
        for consultation in CONSULTATIONS:
            conversation = RestConversation(http, stack.url)
            for text in consultation.messages[:2]:
                await conversation.say(text)
