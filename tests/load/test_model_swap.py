"""A model promotion releases the replaced model's memory: the wrapper around Rasa's agent loader schedules it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import rasa.server

from bot.server import model_swap


def test_a_model_load_schedules_the_release(monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[str] = []
    loaded = object()

    async def fake_load_agent(*args: Any, **kwargs: Any) -> object:
        return loaded

    monkeypatch.setattr(rasa.server, "_load_agent", fake_load_agent)
    monkeypatch.setattr(model_swap, "release_memory", lambda: released.append("released"))
    monkeypatch.setattr(model_swap, "RELEASE_DELAY_SECONDS", 0.01)
    model_swap.install()
    model_swap.install()  # installing twice wraps once

    async def promote() -> object:
        agent = await rasa.server._load_agent(model_path="m.tar.gz")
        assert released == []  # not while the request that swaps the agent is still running
        await asyncio.sleep(0.05)
        return agent

    assert asyncio.run(promote()) is loaded
    assert released == ["released"]

