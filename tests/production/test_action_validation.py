"""The Rasa server checks action-server answers against Rasa's schema compiled once (bot.server.rasa_server)."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.server.rasa_server import ResilientRemoteAction

ACTION = ResilientRemoteAction("action_answer_program_question", EndpointConfig("http://127.0.0.1:9/webhook"))


def test_a_valid_answer_passes():
    answer = {"events": [{"event": "slot", "name": "program_id", "value": "emergency"}],
              "responses": [{"text": "긴급경영안정자금 안내입니다."}]}
    assert ACTION._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", [{"events": "not a list"}, {"events": [{"no_event_key": 1}]},
                                    {"responses": "not a list"}])
def test_an_invalid_answer_raises_rasas_error(answer: dict):
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        ACTION._validate_action_result(answer)
