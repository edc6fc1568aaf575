"""The action server runs NumPy on one BLAS thread, so no spare OpenBLAS thread spins on the Rasa server's cores."""

from __future__ import annotations

from urllib.parse import urlparse

import psutil


def test_the_action_server_runs_blas_on_one_thread(action_server: str) -> None:
    port = urlparse(action_server).port
    pid = next(conn.pid for conn in psutil.net_connections(kind="tcp")
               if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port)
    assert psutil.Process(pid).environ().get("OPENBLAS_NUM_THREADS") == "1"
