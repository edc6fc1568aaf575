"""Questions are not intake starters, and company facts are not questions: a message the classifier took for a
recommendation request or for company facts, but which asks something else and states no company facts, is routed
to `ask_question` (answered from the guides and programs); a statement of company facts taken for a general question
goes to `inform` (the intake), a wish for programs or funds that asks nothing specific to `ask_recommendation`, and
a question taken for a wish to reach a person that asks for no one ('담당자한테 선물 드려도 돼요?') to
`ask_question`."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge_base.eligibility import PROFILE_KEYS
from knowledge_base.questions import asks_for_person, is_question, wants_programs

QUESTION_INTENT = "ask_question"
RECOMMENDATION_INTENT = "ask_recommendation"
FACTS_INTENT = "inform"
INTAKE_INTENTS = {"ask_recommendation", "inform"}
HUMAN_INTENT = "request_human"
COMPANY_FACTS = {*PROFILE_KEYS, "money"}  # entities that state a company fact


def route(text: str, intent: str | None, entities: list[dict[str, Any]]) -> str | None:
    """The intent a message should have instead of `intent`, or None to keep it."""
    if not text or text.startswith("/"):
        return None
    states_facts = any(entity.get("entity") in COMPANY_FACTS for entity in entities)
    if intent == QUESTION_INTENT and states_facts and not is_question(text):
        return FACTS_INTENT  # company facts with a need ("…직원은 5명이고 운전자금이 필요해요") start the intake
    if intent == QUESTION_INTENT and not states_facts and wants_programs(text):
        return RECOMMENDATION_INTENT  # "정책자금 받고싶은데요", "받을 수 있는 지원사업 뭐 있어요?"
    if intent in INTAKE_INTENTS and not states_facts and is_question(text) and not wants_programs(text):
        return QUESTION_INTENT
    if intent == HUMAN_INTENT and is_question(text) and not asks_for_person(text):
        return QUESTION_INTENT
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionRouter(GraphComponent):
    """Re-labels intake-starting intents of messages that only ask a question (see `route`)."""

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ko"]

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> QuestionRouter:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Move the top intent's confidence to ask_question where `route` says so (ranking kept, re-ordered)."""
        for message in messages:
            top = message.get(INTENT) or {}
            routed = route(message.get(TEXT) or "", top.get(INTENT_NAME_KEY), message.get(ENTITIES) or [])
            if routed is None:
                continue
            confidence = top.get("confidence", 0.0)
            ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get(INTENT_NAME_KEY) != routed]
            message.set(INTENT, {INTENT_NAME_KEY: routed, "confidence": confidence}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: routed, "confidence": confidence}, *ranking],
                        add_to_output=True)
        return messages
