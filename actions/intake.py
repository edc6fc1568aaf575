"""The company intake form: which slots to ask, short free-text answers, skips, validation and corrections."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.korean import direction_particle, object_particle
from actions.profile import PROFILE_SLOTS, SLOT_LABELS, UNKNOWN, format_value, normalise, parse_answer
from actions.programs import DISASTERS
from actions.tracker_utils import latest_entity, latest_intent, latest_text, previous_slot_value
from knowledge_base.questions import mentions_domain

YOUTH_BUSINESS_AGE = 3
DISASTER_SLOTS: list[str] = []
HARDSHIP_SLOTS = ["revenue_change"]
ANSWER_INTENTS = {"inform", "nlu_fallback", "correct_info"}
YES_NO_SLOTS = {"export_status"}
NUMBER_SLOTS = {"business_age", "employee_count", "revenue_change", "rep_age"}
SHORT_ANSWER = 12
MAX_SKIPS = 2  # after this many questions skipped ('네', '모르겠어요'), recommend from what is known, ask no more


def youth_in_play(tracker: Tracker) -> bool:
    """Youth start-up programs apply (business younger than 3 years), so the representative's age matters."""
    age = normalise("business_age", tracker.get_slot("business_age"))
    return isinstance(age, float) and age < YOUTH_BUSINESS_AGE


def extract_answer(slot: str, tracker: Tracker) -> dict[str, Any]:
    """The requested slot from a reply without an entity: '모르겠어요' → unknown, '5명' → 5, '네' → 수출중 (to the
    export question; to an open question '네' skips it, so the form never repeats itself).

    A short reply with a number answers a number question whatever intent the NLU gave it ('3년이요')."""
    if tracker.get_slot("requested_slot") != slot or latest_entity(tracker, slot) is not None:
        return {}
    intent = latest_intent(tracker)
    if intent == "dont_know" or (intent == "affirm" and slot not in YES_NO_SLOTS):
        return {slot: UNKNOWN}  # '네' to an open question is no answer: skip it rather than ask it again
    if any(entity.get("entity") in PROFILE_SLOTS for entity in tracker.latest_message.get("entities") or []):
        return {}
    text = latest_text(tracker)
    short_number = slot in NUMBER_SLOTS and len(text) <= SHORT_ANSWER and not (intent or "").startswith("ask_")
    if intent in ANSWER_INTENTS or short_number or (slot in YES_NO_SLOTS and intent in ("affirm", "deny")):
        value = parse_answer(slot, text, intent)
        if value is not None:
            return {slot: value}
    if intent == "nlu_fallback" and len(text) <= SHORT_ANSWER and not mentions_domain(text):
        return {slot: UNKNOWN}  # '알려주세요', '글쎄요': no answer; move on rather than ask the same thing again
    return {}


def validate_value(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Normalise a slot value; re-ask when it is not acceptable; confirm when it corrects an earlier value."""
    clean = normalise(slot, value)
    label = SLOT_LABELS[slot]
    if clean is None:
        dispatcher.utter_message(text=f"말씀하신 {object_particle(label)} 이해하지 못했어요. 한 번 더 알려주시겠어요?")
        return {slot: None}
    before = normalise(slot, previous_slot_value(tracker, slot))
    if before is not None and before != clean:
        dispatcher.utter_message(
            text=f"{object_particle(label)} {direction_particle(format_value(slot, clean))} 고쳤어요.")
    return {slot: clean}


def skipped(tracker: Tracker, required: list[str]) -> int:
    """How many of the form's questions the owner has skipped."""
    return sum(tracker.get_slot(slot) == UNKNOWN for slot in required)


def skip_the_rest(tracker: Tracker, required: list[str]) -> dict[str, Any]:
    """Every question not yet answered, marked skipped: an owner who skips again and again is not asked on (the
    recommendation says which conditions still need checking)."""
    rest = {slot: UNKNOWN for slot in required if tracker.get_slot(slot) is None}
    tracker.slots.update(rest)
    return rest


class ValidateCompanyProfileForm(FormValidationAction):
    """Ask only for missing facts (the representative's age only for youth programs), accept skips and fixes.

    A company in a crisis (crisis_type known) is asked only what decides the emergency programs (fast track)."""

    def name(self) -> str:
        return "validate_company_profile_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        crisis = tracker.get_slot("crisis_type")
        if crisis:
            return DISASTER_SLOTS if crisis in DISASTERS else HARDSHIP_SLOTS
        return [slot for slot in domain_slots if slot != "rep_age" or youth_in_play(tracker)]

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        """Every profile slot is read the same way from a reply without an entity (see `extract_answer`)."""
        extracted: dict[str, Any] = {}
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        for slot in required:
            extracted.update(extract_answer(slot, tracker))
        tracker.slots.update(extracted)
        if UNKNOWN in extracted.values() and skipped(tracker, required) >= MAX_SKIPS:
            extracted.update(skip_the_rest(tracker, required))
        return [SlotSet(slot, value) for slot, value in extracted.items()]

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        """Every required slot set this turn is normalised and checked the same way (see `validate_value`)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        validated: dict[str, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot in required:
                validated.update(validate_value(slot, value, dispatcher, tracker))
                tracker.slots.update(validated)
        return [SlotSet(slot, value) for slot, value in validated.items()]
