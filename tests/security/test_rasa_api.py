"""The Rasa HTTP API refuses every call without the right token (`rasa run --auth-token`), while the channel
webhooks the users talk to stay open."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import psutil
import pytest

from bot.server.rasa_api import api_token, api_url

PROTECTED = [
    ("GET", "/status", None),
    ("GET", "/conversations/security-probe/tracker", None),
    ("POST", "/model/parse", {"text": "긴급경영안정자금 알려주세요"}),
    ("PUT", "/model", {}),
]


def _call(url: str, method: str, body: dict | None) -> tuple[int, bytes]:
    """(HTTP status, body) of one request; error statuses are returned, not raised."""
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_api_refuses_calls_without_the_right_token(rasa_server: str, method: str, path: str,
                                                    body: dict | None) -> None:
    without, _ = _call(f"{rasa_server}{path}", method, body)
    assert without in (401, 403)
    wrong, _ = _call(f"{rasa_server}{path}?{urllib.parse.urlencode({'token': 'not-the-token'})}", method, body)
    assert wrong in (401, 403)


def test_api_answers_with_the_token(rasa_server: str) -> None:
    status, body = _call(api_url(rasa_server, "/status"), "GET", None)
    assert status == 200 and "model_id" in json.loads(body)

    status, body = _call(api_url(rasa_server, "/conversations/security-probe/tracker"), "GET", None)
    assert status == 200 and json.loads(body)["sender_id"] == "security-probe"

    status, body = _call(api_url(rasa_server, "/model/parse"), "POST", {"text": "긴급경영안정자금 알려주세요"})
    assert status == 200 and json.loads(body)["intent"]["name"]

    status, body = _call(api_url(rasa_server, "/model"), "PUT", {})  # authorised, then refused for the empty body
    assert status == 400, body


def test_channel_webhooks_stay_open(rasa_server: str) -> None:
    for channel in ("rest", "socketio", "telegram"):
        status, _ = _call(f"{rasa_server}/webhooks/{channel}/", "GET", None)
        assert status == 200, channel
    status, body = _call(f"{rasa_server}/webhooks/rest/webhook", "POST",
                         {"sender": "security-webhook", "message": "안녕하세요"})
    assert status == 200 and json.loads(body), body


def test_the_token_is_not_on_any_command_line(rasa_server: str) -> None:
    token = api_token()
    status, _ = _call(api_url(rasa_server, "/status"), "GET", None)
    assert status == 200, "the running server uses this token"
    command_lines = [" ".join(process.info["cmdline"] or []) for process in psutil.process_iter(["cmdline"])]
    assert any("bot.server.rasa_server run" in line for line in command_lines)
    assert not [line for line in command_lines if token in line]
