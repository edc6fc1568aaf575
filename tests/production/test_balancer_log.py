"""The load balancer's access log never holds a query string (the KakaoTalk skill URL carries its secret in it)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from bot.deploy.local_services import free_port
from bot.deploy.production import render_nginx_config, start_balancer


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="nginx not installed")
def test_the_kakao_secret_in_the_url_does_not_reach_the_access_log(tmp_path: Path) -> None:
    port, closed = free_port(), f"http://127.0.0.1:{free_port()}"  # upstreams that do not answer: nginx says 502
    config = render_nginx_config(tmp_path, port, free_port(), free_port(), [closed], [closed], closed, 20)
    balancer = start_balancer(config, tmp_path, port, tmp_path)  # started already
    try:
        balancer.wait_ready(timeout=30)
        reply = httpx.post(f"http://127.0.0.1:{port}/webhooks/kakao/webhook?secret=top-secret-value", json={})
        assert reply.status_code == 502
        log = tmp_path / "access.log"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "/webhooks/kakao" not in (log.read_text() if log.exists() else ""):
            time.sleep(0.1)
        text = log.read_text()
        assert "POST /webhooks/kakao/webhook" in text and "top-secret-value" not in text
    finally:
        balancer.stop()
    assert balancer.process.poll() is not None  # nothing left running
