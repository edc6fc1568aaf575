"""A Rasa server on a listening socket it inherits, so that a fresh server can take over a port from a running one.

The embedded shape promotes a model by starting a fresh Rasa server on it (an in-place swap leaves memory behind):
the supervisor holds the listening socket, both servers accept on it while the fresh one starts, and the old one
stops gracefully once the fresh one is ready. Connections queued on the socket stay there for whichever server
accepts next, so no message is refused during the switch (bot.deploy.embedded).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

LISTEN_FD_ENV = "BOT_LISTEN_FD"  # the inherited listening socket's descriptor
READY_FILE_ENV = "BOT_READY_FILE"  # touched once the server accepts (after Rasa's model is loaded)


def install() -> None:
    """Replace `Sanic.run` in this process by `run_on_inherited_socket` (once)."""
    from sanic import Sanic

    if getattr(Sanic.run, "inherits_socket", False):
        return
    sanic_run = Sanic.run

    def run_on_inherited_socket(app: Sanic, *args: Any, **kwargs: Any) -> None:
        """With env BOT_LISTEN_FD, serve on that socket (host and port dropped); with env BOT_READY_FILE, touch it
        when the server starts, which Sanic does after the `before_server_start` listeners (Rasa's model load)."""
        listen_fd = os.environ.get(LISTEN_FD_ENV)
        if listen_fd:
            kwargs.pop("host", None)
            kwargs.pop("port", None)
            kwargs["sock"] = socket.socket(fileno=int(listen_fd))
        ready_file = os.environ.get(READY_FILE_ENV)
        if ready_file:
            app.register_listener(lambda _app, _loop: Path(ready_file).touch(), "after_server_start")
        sanic_run(app, *args, **kwargs)

    run_on_inherited_socket.inherits_socket = True  # type: ignore[attr-defined]
    Sanic.run = run_on_inherited_socket
