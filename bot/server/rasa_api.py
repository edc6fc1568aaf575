"""The Rasa server's HTTP API as the bot's own tools call it: one default URL and the API token.

The API is always started with a token (`rasa run --auth-token`): env RASA_API_TOKEN, or a random one made
for this process tree when it is not set (`make run`), which the servers started after inherit.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.parse
import urllib.request
from typing import Any

DEFAULT_RASA_URL = "http://127.0.0.1:5005"


def default_rasa_url() -> str:
    """The Rasa server the bot's tools talk to: env RASA_URL, else the local default."""
    return os.environ.get("RASA_URL", DEFAULT_RASA_URL)


def replica_urls(rasa_url: str) -> list[str]:
    """Every Rasa server behind `rasa_url`: env RASA_REPLICA_URLS (production shape), else `rasa_url` alone.

    Calls that change a server (loading a model) go to each of them; the others may go to any.
    """
    return os.environ.get("RASA_REPLICA_URLS", "").split() or [rasa_url]


def api_token() -> str:
    """The Rasa HTTP API token: env RASA_API_TOKEN, made (and put into the environment) if it is not set."""
    token = os.environ.get("RASA_API_TOKEN")
    if not token:
        token = os.environ["RASA_API_TOKEN"] = secrets.token_urlsafe(24)
    return token


def api_url(rasa_url: str, path: str, **query: str) -> str:
    """The full URL of an HTTP API path, with the token and any other query parameters."""
    return f"{rasa_url.rstrip('/')}{path}?{urllib.parse.urlencode({'token': api_token(), **query})}"


def api_request(rasa_url: str, path: str, method: str = "GET", body: dict | None = None,
                timeout: float = 300) -> dict[str, Any]:
    """Call the Rasa HTTP API with the token; returns the JSON answer ({} when empty)."""
    request = urllib.request.Request(api_url(rasa_url, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = response.read()
    return json.loads(payload) if payload else {}
