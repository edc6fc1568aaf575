"""The embedded shape's Rasa server on a listening socket that `bot run` holds, and its renewal after a promotion.

A promotion (PUT /model: staff retrain) swaps the model inside the running server, which keeps memory the old
model leaves behind. `renew_promoted_server` then starts a fresh server on the promoted model on the same socket;
once it accepts, the old one stops gracefully, answering what it already has. Connections waiting on the socket
are taken by whichever server accepts next, so no message is refused (bot.server.shared_socket).
"""

from __future__ import annotations

import dataclasses
import socket

from bot.deploy.processes import LOOPBACK, ServerProcess, command_on_model, promoted_model
from bot.server.shared_socket import READY_FILE_ENV

LISTEN_BACKLOG = 100  # as Rasa's own (SANIC_BACKLOG)


def listening_socket(port: int, host: str = LOOPBACK) -> socket.socket:
    """A listening TCP socket on `host:port` that child processes can inherit."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    listener.listen(LISTEN_BACKLOG)
    listener.set_inheritable(True)
    return listener


def renew_promoted_server(server: ServerProcess) -> ServerProcess | None:
    """When the Rasa server runs another model than the one it was started on, start a fresh server on that model
    with the same settings and socket, wait until it accepts, stop the old one and return the fresh one; else
    None. The fresh server logs to a file named after its model."""
    if server.ready_file is None:
        raise ValueError(f"{server.name} was not started on a shared listening socket (start_rasa_server)")
    model = promoted_model(server)
    if model is None:
        return None
    stem = f"{server.log_path.stem.split('+')[0]}+{model.name.removesuffix('.tar.gz')}"
    ready_file = server.log_path.with_name(f"{stem}.ready")
    fresh = dataclasses.replace(server, command=command_on_model(server.command, model),
                                env={**server.env, READY_FILE_ENV: str(ready_file)},
                                log_path=server.log_path.with_name(f"{stem}.log"), ready_file=ready_file)
    try:
        fresh.wait_ready()
    except BaseException:
        fresh.stop()
        raise
    server.stop()
    return fresh
