"""The embedded default listens on loopback only: the action server too (rasa-sdk would bind every interface)."""

from __future__ import annotations

from urllib.parse import urlparse

import psutil


def listening_addresses(port: int) -> set[str]:
    return {conn.laddr.ip for conn in psutil.net_connections(kind="tcp")
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port}


def test_the_action_server_listens_on_loopback_only(action_server: str) -> None:
    port = urlparse(action_server).port
    assert listening_addresses(port) == {"127.0.0.1"}
