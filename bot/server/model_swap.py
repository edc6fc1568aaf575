"""A loaded model kept out of the garbage collector's way, and its memory released when a promotion replaces it.

Python's full collection walks every tracked object, and a server with its model loaded holds about 800 000 of
them: the full collections seen during a model load took 230-390 ms each, and one that came while serving would hold
every conversation's reply as long. Once a model is loaded, its objects are frozen (`gc.freeze`), so a collection
walks only what was made since. (In 45-second load stages no full collection came while serving, with or without
freezing: this guards long-running servers, and the benchmark does not show it.)

A promotion inside the server (PUT /model) swaps the agent and drops the old one, but Python's cyclic garbage
(TensorFlow graphs hold many cycles) and glibc's freed-but-kept heap stay: three promotions of the same model grew a
server by about a third. After each swap this unfreezes, collects the garbage, returns the free heap to the system
(`malloc_trim`) and freezes what remains.
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
    """Collect all cyclic garbage (frozen objects too), hand the heap's free pages back to the system (glibc only; a
    no-op elsewhere), then freeze the objects that remain."""
    gc.unfreeze()
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        with contextlib.suppress(OSError, AttributeError):  # AttributeError: not glibc
            ctypes.CDLL(libc_name).malloc_trim(0)
    gc.freeze()


def install() -> None:
    """Release memory and freeze after the model load at start (before the server accepts) and shortly after every
    promotion (rasa.server._load_agent)."""
    import rasa.server
    from rasa.core import run as rasa_run

    load_agent = rasa.server._load_agent
    if getattr(load_agent, "releases_memory", False):
        return

    async def load_agent_then_release(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        asyncio.get_running_loop().call_later(RELEASE_DELAY_SECONDS, release_memory)
        return agent

    load_on_start = rasa_run.load_agent_on_start

    async def load_on_start_then_release(*args: Any, **kwargs: Any) -> Any:
        agent = await load_on_start(*args, **kwargs)
        release_memory()
        return agent

    load_agent_then_release.releases_memory = True  # type: ignore[attr-defined]
    rasa.server._load_agent = load_agent_then_release
    rasa_run.load_agent_on_start = load_on_start_then_release
