"""NLU inference runs off the event loop: while one message is parsed, the loop keeps serving other work."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor

from bot.server import inference

PARSE_SECONDS = 0.3


class SlowGraphProcessor(MessageProcessor):
    """A processor whose NLU graph takes PARSE_SECONDS of blocking work (no model needed)."""

    def __init__(self) -> None:
        self.http_interpreter = None

    def _parse_message_with_graph(self, message: UserMessage, tracker: Any, only_output_properties: bool = True
                                  ) -> dict[str, Any]:
        time.sleep(PARSE_SECONDS)
        return {"text": message.text, "intent": {"name": "greet", "confidence": 1.0}, "entities": []}

    def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
        return None


async def ticks_during_parse(processor: MessageProcessor) -> tuple[int, dict[str, Any]]:
    """How many 10 ms ticks of another task ran while one message was parsed, and the parse result."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker starts before the parse
    parsed = await processor.parse_message(UserMessage("안녕하세요", sender_id="s"))
    done.set()
    await task
    return ticks, parsed


def test_the_loop_serves_other_work_while_a_message_is_parsed(monkeypatch) -> None:
    monkeypatch.setattr(MessageProcessor, "parse_message", MessageProcessor.parse_message)  # restored afterwards
    inference.install()
    ticks, parsed = asyncio.run(ticks_during_parse(SlowGraphProcessor()))
    assert parsed["intent"]["name"] == "greet" and parsed["text"] == "안녕하세요"
    assert ticks >= PARSE_SECONDS / 0.01 / 2, ticks  # Rasa's own parse_message blocks the loop: 0-1 ticks
