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



def test_releasing_collects_frozen_garbage_then_freezes_what_remains() -> None:
    import gc
    import weakref

    class Node:
        pass

    node = Node()
    node.cycle = node  # type: ignore[attr-defined]
    gone = weakref.ref(node)
    kept = Node()
    try:
        gc.freeze()  # the old model's objects, frozen after its load
        del node
        gc.collect()
        assert gone() is not None  # a frozen cycle outlives a plain collection
        model_swap.release_memory()
        assert gone() is None
        assert gc.get_freeze_count() > 0 and kept is not None
    finally:
        gc.unfreeze()


def test_the_model_loaded_at_start_is_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core import run as rasa_run

    calls: list[str] = []

    async def fake_load_on_start(*args: Any, **kwargs: Any) -> str:
        return "agent"

    monkeypatch.setattr(rasa.server, "_load_agent", lambda *a, **k: None)
    monkeypatch.setattr(rasa_run, "load_agent_on_start", fake_load_on_start)
    monkeypatch.setattr(model_swap, "release_memory", lambda: calls.append("released"))
    model_swap.install()
    assert asyncio.run(rasa_run.load_agent_on_start("m.tar.gz")) == "agent"
    assert calls == ["released"]
