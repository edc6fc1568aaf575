"""Hostile texts through the NLU pipeline (Rasa's `/model/parse`), as every channel hands them over: prepared."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, assume, given, settings

from bot.server.rasa_api import api_url
from channels.incoming import RejectedMessage, prepare_text
from tests.bad_input.conftest import encode, hostile_texts
from tests.conftest import LiveStack


def test_the_nlu_parses_every_text_a_channel_lets_through(live_stack: LiveStack) -> None:
    parse_url = api_url(live_stack.rasa_url, "/model/parse")

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(raw=hostile_texts)
    def one(raw: str) -> None:
        try:
            text = prepare_text(raw)
        except RejectedMessage:
            assume(False)
            return
        answer = httpx.post(parse_url, content=encode({"text": text}), timeout=60)
        assert answer.status_code == 200, answer.text
        parsed = answer.json()
        assert parsed["text"] == text
        assert isinstance(parsed["intent"]["name"], str) and 0.0 <= parsed["intent"]["confidence"] <= 1.0
        for entity in parsed["entities"]:
            assert 0 <= entity["start"] <= entity["end"] <= len(text), entity
            assert entity["value"] not in (None, ""), entity

    one()
    live_stack.assert_alive()
