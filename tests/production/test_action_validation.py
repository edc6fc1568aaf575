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


ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "program_id", "value": "emergency", "timestamp": None}],
     "responses": [{"text": "안내입니다.", "buttons": [{"title": "자세히", "payload": "/details"}]}]},
    {"events": [{"event": "bot", "text": "안녕하세요", "data": {}, "metadata": {}},
                {"event": "followup", "name": "action_listen"}, {"event": "active_loop", "name": None}]},
    {"events": [{"event": "slot", "name": 3, "value": "x"}]},          # a slot name that is no string
    {"events": [{"event": "no_such_event"}]},                          # an unknown event type
    {"events": [{"event": "user", "text": 5}]},                        # a user text that is no string
    {"events": ["slot"]},                                              # an event that is no object
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "noon"}]},  # a field common to all events
    {"events": None, "responses": [{"text": 1}]},
    {"responses": [{"text": "안내"}], "events": [{"event": "restart"}, {"event": "action", "name": "utter_x"}]},
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_the_event_by_event_check_agrees_with_rasas_whole_schema(answer: dict):
    from rasa.core.actions.action import RemoteAction

    from bot.server.rasa_server import action_response_validator

    schema = RemoteAction.action_response_format_spec()
    whole = jsonschema.validators.validator_for(schema)(schema)
    assert action_response_validator().is_valid(answer) is whole.is_valid(answer)
