"""Owners who keep talking while a server changes under them: send questions at an owner's pace and count what
the tracker store kept (used by the promotion tests of both shapes)."""

from __future__ import annotations

import threading

import httpx

from bot.server.rasa_api import api_url

PAUSE_SECONDS = 4.0  # an owner's pace, under the per-sender (20/min) and per-address (120/min) limits
QUESTION = "긴급경영안정자금 한도 알려주세요"

Outcome = tuple[str, int, bool]  # sender, HTTP status (0: no answer at all), got a reply


def talk(base_url: str, sender: str, stop: threading.Event, outcomes: list[Outcome]) -> None:
    """Send one question after another until `stop`, recording (sender, HTTP status, got a reply)."""
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            try:
                message = {"sender": sender, "message": QUESTION}
                response = client.post(f"{base_url}/webhooks/rest/webhook", json=message)
                outcomes.append((sender, response.status_code, bool(response.status_code == 200 and response.json())))
            except httpx.HTTPError:
                outcomes.append((sender, 0, False))
            stop.wait(PAUSE_SECONDS)


def user_messages(rasa_api_url: str, sender: str) -> int:
    """How many user messages the tracker store holds for `sender` (Rasa's HTTP API at `rasa_api_url`)."""
    response = httpx.get(api_url(rasa_api_url, f"/conversations/{sender}/tracker", include_events="ALL"), timeout=30)
    response.raise_for_status()
    return sum(event["event"] == "user" for event in response.json()["events"])


def failed(outcomes: list[Outcome]) -> list[Outcome]:
    """The messages refused or left without a reply."""
    return [outcome for outcome in outcomes if outcome[1] != 200 or not outcome[2]]
