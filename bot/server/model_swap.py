"""Model promotion inside the Rasa server (PUT /model) without the memory of the replaced model left behind.

Rasa 3.6 swaps the agent and drops the old one, but Python's cyclic garbage (TensorFlow graphs hold many cycles)
and glibc's freed-but-kept heap stay: three promotions of the same model grew a server by about a third. After each
swap this collects the garbage and returns the free heap to the system (`malloc_trim`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
from typing import Any

RELEASE_DELAY_SECONDS = 1.0  # the request that replaced the agent has returned by then


def release_memory() -> None:
    """Collect cyclic garbage, then hand the heap's free pages back to the system (glibc only; a no-op elsewhere)."""
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        with contextlib.suppress(OSError, AttributeError):  # AttributeError: not glibc
            ctypes.CDLL(libc_name).malloc_trim(0)


def install() -> None:
    """Wrap rasa.server._load_agent so that memory is released shortly after every model load."""
    import rasa.server

    load_agent = rasa.server._load_agent
    if getattr(load_agent, "releases_memory", False):
        return

    async def load_agent_then_release(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        asyncio.get_running_loop().call_later(RELEASE_DELAY_SECONDS, release_memory)
        return agent

    load_agent_then_release.releases_memory = True  # type: ignore[attr-defined]
    rasa.server._load_agent = load_agent_then_release
