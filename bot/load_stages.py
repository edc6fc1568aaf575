"""The load benchmark's stages on one running stack: many users with think times, saturation (no think time), and
one long conversation."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

from bot.load_measure import MemorySampler, long_conversation_summary, percentiles_ms
from bot.load_stacks import Stack
from bot.load_users import TURN_TIMEOUT, RestConversation, Stage, simulated_user, timed_turn

TARGET = {"users": 50, "p95_ms": 300, "errors": 0}
LONG_MESSAGES = (
    "안녕하세요", "청년전용창업자금 알려줘", "청년전용창업자금 지원대상이 어떻게 돼요?", "한도는 얼마예요?",
    "신청은 어떻게 해요?", "수출인큐베이터가 뭐예요", "금리가 얼마인가요", "필요한 서류는요?",
    "전화 문의는 어디로 해요?", "감사합니다",
)
"""What the long conversation's sender says, over and over; a window of as many turns holds each message once."""


async def run_stage(stack: Stack, transport: str, users: int, duration: float, think: tuple[float, float],
                    seed: int, max_messages: int = sys.maxsize, target: bool = True,
                    silence_ok: bool = False) -> dict[str, Any]:
    """Run `users` simulated users for `duration` seconds (or `max_messages`) and summarise the stage; with
    `silence_ok` a turn without reply is no error (the reference)."""
    load_before = os.getloadavg()
    sampler = MemorySampler(stack.processes)
    sampling = asyncio.create_task(sampler.run())
    started = time.monotonic()
    stage = Stage(users, started + duration, max_messages, think, silence_ok)
    await asyncio.gather(*(simulated_user(n, stage, stack, transport, seed) for n in range(users)))
    elapsed = time.monotonic() - started
    sampling.cancel()
    latencies = [turn.latency for turn in stage.turns if turn.latency is not None and turn.error is None]
    errors = Counter(turn.error for turn in stage.turns if turn.error)
    latency = percentiles_ms(latencies)
    return {
        "transport": transport, "users": users, "think_s": list(think), "no_reply_is_error": not silence_ok,
        "seconds": round(elapsed, 1),
        "stopped_by": "messages" if stage.sent >= max_messages else "duration",
        "messages": len(stage.turns), "messages_per_s": round(len(stage.turns) / elapsed, 2),
        "latency_ms": latency, "errors": sum(errors.values()), "error_kinds": dict(errors.most_common(10)),
        "processes": sampler.summary(),
        "load_average": {"before": [round(v, 2) for v in load_before], "after": [round(v, 2) for v in os.getloadavg()]},
        "meets_target": (latency["p95"] is not None and latency["p95"] <= TARGET["p95_ms"]
                         and sum(errors.values()) <= TARGET["errors"]) if target and users == TARGET["users"] else None,
    }


async def saturation_stage(stack: Stack, users: int, duration: float, seed: int,
                           silence_ok: bool = False) -> dict[str, Any]:
    """Users sending back to back over REST (no think time) for a fixed duration: the stack's throughput."""
    return await run_stage(stack, "rest", users, duration, (0.0, 0.0), seed, target=False, silence_ok=silence_ok)


async def long_conversation(stack: Stack, turns: int, window: int, early: int = 5,
                            silence_ok: bool = False) -> dict[str, Any]:
    """One sender holds `turns` turns in one REST conversation, back to back; turn `turns` against turn `early`."""
    sampler = MemorySampler(stack.processes)
    stage = Stage(1, float("inf"), turns, (0.0, 0.0), silence_ok)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as http:
        conversation = RestConversation(http, stack.url)
        while stage.may_send():
            await timed_turn(conversation, LONG_MESSAGES[(stage.sent - 1) % len(LONG_MESSAGES)], stage)
    latencies = [turn.latency if turn.error is None else None for turn in stage.turns]
    errors = Counter(turn.error for turn in stage.turns if turn.error)
    return {**long_conversation_summary(latencies, early, turns, window), "error_kinds": dict(errors.most_common(5)),
            "processes": sampler.summary()}
