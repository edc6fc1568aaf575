"""NLU inference off the event loop: Rasa 3.6 runs the NLU graph (Mecab tokens, featurisers, DIET) inside the
server's event loop, so while one message is parsed no other conversation's tracker save, action call or socket.io
frame moves. Here the graph runs in one worker thread (one at a time, as before: the tokenizer and the TensorFlow
model are shared), and the loop serves everyone else's I/O meanwhile.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu-inference")


async def parse_message(self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker | None = None,
                        only_output_properties: bool = True) -> dict[str, Any]:
    """`MessageProcessor.parse_message` with the graph run in the worker thread (an HTTP interpreter as before)."""
    if self.http_interpreter:
        parse_data = await self.http_interpreter.parse(message)
    else:
        tracker = tracker or DialogueStateTracker.from_events(message.sender_id, [])
        parse_data = await asyncio.get_running_loop().run_in_executor(
            _worker, self._parse_message_with_graph, message, tracker, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


def install() -> None:
    """Replace MessageProcessor.parse_message (REST, socket.io, the channels and POST /model/parse all use it)."""
    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
