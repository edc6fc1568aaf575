"""Review data: the queue of turns read from Rasa's `events` table (read only) and the staff decisions on them
(table `review_decisions`, in bot.staff.records)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select

from bot.paths import DOMAIN_FILE
from bot.staff.records import audit, decisions, engine, log_action
from channels.privacy import mask_pii

KST = ZoneInfo("Asia/Seoul")
LOW_CONFIDENCE = float(os.environ.get("REVIEW_LOW_CONFIDENCE", "0.7"))
FALLBACK_ACTIONS = {"action_default_fallback", "action_two_stage_fallback", "utter_ask_rephrase"}
HANDOFF_ACTIONS = {"action_handoff"}
# Replies that answer nothing: the bot had no material (not known), took the question for small talk, or said it
# is out of scope; with the default fallback these turns are "unanswered" and staff can write the answer.
DEFLECTING_RESPONSES = {"utter_not_known", "utter_chitchat", "utter_out_of_scope", "utter_suggest_guides"}
UNANSWERED_ACTIONS = {"action_default_fallback"}
FALLBACK_INTENT = "nlu_fallback"
REASONS = {"low_confidence": "낮은 확신도", "fallback": "폴백", "handoff": "상담원 연결", "correction": "정정",
           "thumbs_down": "부정 평가", "unanswered": "미답변"}
DECISIONS = {"confirm": "확인", "relabel": "의도 수정", "entities": "개체 수정", "out_of_scope": "범위 밖",
             "dismiss": "제외", "answered": "답변 작성"}
NLU_DECISIONS = ("confirm", "relabel", "entities", "out_of_scope", "dismiss")  # `answered`: record_answer()

events = Table(  # Rasa's SQLTrackerStore table (created by Rasa; read only here)
    "events", MetaData(),
    Column("id", Integer, primary_key=True), Column("sender_id", String(255)), Column("type_name", String(255)),
    Column("timestamp", Float), Column("intent_name", String(255)), Column("action_name", String(255)),
    Column("data", Text),
)


class ReviewError(ValueError):
    """A staff request that cannot be carried out; the message is Korean and shown as is."""


@lru_cache(maxsize=1)
def domain_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(intents, entities) declared in domain.yml."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    intents = tuple(next(iter(i)) if isinstance(i, dict) else i for i in domain.get("intents", []))
    entities = tuple(next(iter(e)) if isinstance(e, dict) else e for e in domain.get("entities", []))
    return intents, entities


# --- the queue -------------------------------------------------------------------------------------------------


@dataclass
class Turn:
    """One user message of a logged conversation with what the bot made of it."""

    event_id: int
    sender_id: str
    timestamp: float
    channel: str | None
    text: str
    intent: str | None
    confidence: float | None
    ranking: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    actions: list[str] = field(default_factory=list)
    bot_replies: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)  # domain responses of the bot's reply (metadata.utter_action)
    reasons: list[str] = field(default_factory=list)
    rating: str | None = None
    decision: dict[str, Any] | None = None

    @property
    def when(self) -> datetime:
        """Local (KST) time of the message."""
        return datetime.fromtimestamp(self.timestamp, KST)

    @property
    def is_payload(self) -> bool:
        """A button payload such as `/rate_answer{...}`, not something the owner typed."""
        return self.text.startswith("/")

    @property
    def predicted_intent(self) -> str | None:
        """The best real intent (the one below nlu_fallback when the fallback fired)."""
        if self.intent != FALLBACK_INTENT:
            return self.intent
        names = [item.get("name") for item in self.ranking if item.get("name") != FALLBACK_INTENT]
        return names[0] if names else None


@dataclass
class QueueFilter:
    """Filters of the review queue (dates are local KST days, inclusive)."""

    since: date | None = None
    until: date | None = None
    channel: str | None = None
    intent: str | None = None
    reason: str | None = None
    status: str = "pending"  # pending | reviewed | all


def parse_day(value: str | None) -> date | None:
    """YYYY-MM-DD or empty → date or None; anything else is a ReviewError."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise ReviewError(f"날짜 형식이 잘못되었습니다: {value!r} (예: 2025-01-31)") from error


def _day_bounds(since: date | None, until: date | None) -> tuple[float | None, float | None]:
    start = datetime.combine(since, time.min, KST).timestamp() if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, KST).timestamp() if until else None
    return start, end


def load_events(since: date | None = None, until: date | None = None, sender_id: str | None = None,
                url: str | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    """(row id, sender_id, event dict) of the stored events, by conversation then order."""
    db = engine(url)
    if not inspect(db).has_table("events"):
        return []
    query = select(events.c.id, events.c.sender_id, events.c.data).order_by(events.c.sender_id, events.c.id)
    start, end = _day_bounds(since, until)
    if start is not None:
        query = query.where(events.c.timestamp >= start)
    if end is not None:
        query = query.where(events.c.timestamp < end)
    if sender_id is not None:
        query = query.where(events.c.sender_id == sender_id)
    with db.connect() as connection:
        return [(row.id, row.sender_id, json.loads(row.data)) for row in connection.execute(query)]


def rating_of(event: dict[str, Any]) -> str | None:
    """'up' or 'down' for a `/rate_answer{"rating": ...}` user event, else None."""
    parse_data = event.get("parse_data") or {}
    if (parse_data.get("intent") or {}).get("name") != "rate_answer":
        return None
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "rating" and entity.get("value") in ("up", "down"):
            return entity["value"]
    text = event.get("text") or ""
    return "down" if "down" in text else "up" if "up" in text else None


def build_turns(rows: list[tuple[int, str, dict[str, Any]]]) -> list[Turn]:
    """Turns of the given events with their review reasons and ratings (payload turns included)."""
    turns: list[Turn] = []
    last_typed: dict[str, Turn] = {}
    current: Turn | None = None
    for row_id, sender_id, event in rows:
        kind = event.get("event")
        if current is not None and current.sender_id != sender_id:
            current = None
        if kind == "user":
            parse_data = event.get("parse_data") or {}
            intent = parse_data.get("intent") or {}
            current = Turn(row_id, sender_id, float(event.get("timestamp") or 0), event.get("input_channel"),
                           event.get("text") or "", intent.get("name"), intent.get("confidence"),
                           parse_data.get("intent_ranking") or [], parse_data.get("entities") or [])
            turns.append(current)
            rating = rating_of(event)
            if rating and sender_id in last_typed:
                rated = last_typed[sender_id]
                rated.rating = rating
                if rating == "down" and "thumbs_down" not in rated.reasons:
                    rated.reasons.append("thumbs_down")
            if not current.is_payload:
                last_typed[sender_id] = current
        elif current is not None and kind == "action" and event.get("name") not in (None, "action_listen"):
            current.actions.append(event["name"])
        elif current is not None and kind == "bot":
            if event.get("text"):
                current.bot_replies.append(event["text"])
            response = (event.get("metadata") or {}).get("utter_action")
            if response:
                current.responses.append(response)
    for turn in turns:
        reasons = []
        if turn.intent == FALLBACK_INTENT or (turn.confidence is not None and turn.confidence < LOW_CONFIDENCE):
            reasons.append("low_confidence")
        if turn.intent == FALLBACK_INTENT or FALLBACK_ACTIONS & set(turn.actions):
            reasons.append("fallback")
        if turn.intent == "request_human" or HANDOFF_ACTIONS & set(turn.actions):
            reasons.append("handoff")
        if turn.intent == "correct_info":
            reasons.append("correction")
        if DEFLECTING_RESPONSES & {*turn.responses, *turn.actions} or UNANSWERED_ACTIONS & set(turn.actions):
            reasons.append("unanswered")
        turn.reasons = reasons + [r for r in turn.reasons if r not in reasons]
    return turns


def _decisions_by_event(url: str | None = None) -> dict[int, dict[str, Any]]:
    with engine(url).connect() as connection:
        return {row["event_id"]: dict(row) for row in connection.execute(select(decisions)).mappings()}


def queue(filters: QueueFilter | None = None, url: str | None = None) -> list[Turn]:
    """Turns that need review (low confidence, fallback, handoff, correction, thumbs-down, unanswered), newest
    first."""
    filters = filters or QueueFilter()
    if filters.status not in ("pending", "reviewed", "all"):
        raise ReviewError("상태는 pending, reviewed, all 중 하나여야 합니다.")
    if filters.reason and filters.reason not in REASONS:
        raise ReviewError(f"사유는 {', '.join(REASONS)} 중 하나여야 합니다.")
    done = _decisions_by_event(url)
    result = []
    for turn in build_turns(load_events(filters.since, filters.until, url=url)):
        turn.decision = done.get(turn.event_id)
        if turn.is_payload or not turn.reasons:
            continue
        if (filters.status == "pending" and turn.decision) or (filters.status == "reviewed" and not turn.decision):
            continue
        if filters.channel and turn.channel != filters.channel:
            continue
        if filters.intent and filters.intent not in (turn.intent, turn.predicted_intent):
            continue
        if filters.reason and filters.reason not in turn.reasons:
            continue
        result.append(turn)
    return sorted(result, key=lambda turn: turn.timestamp, reverse=True)


def get_turn(event_id: int, url: str | None = None) -> tuple[Turn, list[Turn]]:
    """The turn of a stored user event and every turn of its conversation (for context)."""
    db = engine(url)
    if not inspect(db).has_table("events"):
        raise ReviewError(f"턴 {event_id}을(를) 찾을 수 없습니다.")
    with db.connect() as connection:
        sender_id = connection.execute(
            select(events.c.sender_id).where(events.c.id == event_id, events.c.type_name == "user")).scalar()
    if sender_id is None:
        raise ReviewError(f"턴 {event_id}을(를) 찾을 수 없습니다.")
    conversation = build_turns(load_events(sender_id=sender_id, url=url))
    done = _decisions_by_event(url)
    for turn in conversation:
        turn.decision = done.get(turn.event_id)
    return next(turn for turn in conversation if turn.event_id == event_id), conversation


# --- decisions -------------------------------------------------------------------------------------------------

_ANNOTATION = re.compile(r"\[(?P<text>[^\[\]]+)\]\((?P<entity>[A-Za-z_]+)(?::(?P<value>[^)]+))?\)")


def parse_annotated(annotated: str, text: str) -> list[dict[str, Any]]:
    """Entities from Rasa-style markup `[서울](region) …` (or `[서울](region:서울특별시)`) over exactly `text`."""
    entities, plain, cursor = [], [], 0
    for match in _ANNOTATION.finditer(annotated):
        plain.append(annotated[cursor:match.start()])
        start = sum(len(part) for part in plain)
        plain.append(match["text"])
        entity = {"entity": match["entity"], "start": start, "end": start + len(match["text"]),
                  "value": match["value"] or match["text"]}
        entities.append(entity)
        cursor = match.end()
    plain.append(annotated[cursor:])
    if "".join(plain) != text:
        raise ReviewError("표시를 뺀 문장이 원래 문장과 같아야 합니다. 예: [서울](region)에서 [제조업](industry) 해요")
    known = domain_names()[1]
    unknown = sorted({e["entity"] for e in entities} - set(known))
    if unknown:
        raise ReviewError(f"도메인에 없는 개체 유형입니다: {', '.join(unknown)}")
    return entities


def annotate(text: str, entities: list[dict[str, Any]]) -> str:
    """Rasa YAML markup of `text` with entity spans (value kept when it differs from the span)."""
    parts, cursor = [], 0
    spans = sorted((e for e in entities if _valid_span(e, text)), key=lambda e: e["start"])
    for entity in spans:
        if entity["start"] < cursor:
            continue
        span = text[entity["start"]:entity["end"]]
        parts.append(text[cursor:entity["start"]])
        value = entity.get("value")
        if value is None or str(value) == span:
            parts.append(f"[{span}]({entity['entity']})")
        else:
            parts.append(f"[{span}]" + json.dumps({"entity": entity["entity"], "value": str(value)},
                                                  ensure_ascii=False))
        cursor = entity["end"]
    parts.append(text[cursor:])
    return "".join(parts)


def _valid_span(entity: dict[str, Any], text: str) -> bool:
    start, end = entity.get("start"), entity.get("end")
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text) and \
        bool(entity.get("entity"))


def decide(event_id: int, decision: str, who: str, intent: str | None = None, annotated: str | None = None,
           url: str | None = None) -> dict[str, Any]:
    """Record a staff decision on a turn (confirm, relabel, entities, out_of_scope, dismiss) and audit it."""
    if decision == "answered":
        raise ReviewError("답변 작성은 '미답변 질문 답변 작성' 화면에서 답변과 출처를 함께 입력해 주세요.")
    if decision not in DECISIONS:
        raise ReviewError(f"결정은 {', '.join(NLU_DECISIONS)} 중 하나여야 합니다.")
    if not who or not who.strip():
        raise ReviewError("검토자 이름이 필요합니다.")
    turn, _ = get_turn(event_id, url)
    if turn.is_payload:
        raise ReviewError("버튼 입력(/로 시작)은 검토 대상이 아닙니다.")
    previous = turn.decision or {}
    label = previous.get("intent") or turn.predicted_intent
    entities = previous.get("entities") if previous else [
        {k: e.get(k) for k in ("entity", "start", "end", "value")} for e in turn.entities if _valid_span(e, turn.text)]
    intents = domain_names()[0]
    if decision == "relabel":
        if intent not in intents:
            raise ReviewError(f"도메인에 없는 의도입니다: {intent!r}")
        label = intent
    elif decision == "out_of_scope":
        label, entities = "out_of_scope", []
    elif decision == "entities":
        entities = parse_annotated(annotated or "", turn.text)
    if decision != "dismiss" and label not in intents:
        raise ReviewError("예측된 의도가 없습니다(폴백). '의도 수정'으로 올바른 의도를 지정해 주세요.")
    row = {"event_id": event_id, "sender_id": turn.sender_id, "text": mask_pii(turn.text), "decision": decision,
           "intent": None if decision == "dismiss" else label, "entities": entities, "reviewed_by": who.strip(),
           "reviewed_at": datetime.now(timezone.utc)}
    with engine(url).begin() as connection:
        connection.execute(decisions.delete().where(decisions.c.event_id == event_id))
        connection.execute(decisions.insert().values(**row))
    log_action(who.strip(), f"review:{decision}", f"turn:{event_id}",
               {"intent": row["intent"], "entities": entities}, url)
    return row


def record_answer(turn: Turn, who: str, guide_id: str, see: str = "", source_url: str = "",
                  url: str | None = None) -> dict[str, Any]:
    """Record that staff answered an (unanswered) turn with the staff guide `guide_id` — written, or linking the
    question to the guide `see` — as the turn's decision `answered`, and audit it as staff_answer:write or
    staff_answer:link in the same transaction. The decision carries no intent: it is not an NLU example."""
    now = datetime.now(timezone.utc)
    row = {"event_id": turn.event_id, "sender_id": turn.sender_id, "text": mask_pii(turn.text),
           "decision": "answered", "intent": None, "entities": [], "reviewed_by": who, "reviewed_at": now}
    detail = {"turn": turn.event_id, "question": row["text"], **({"see": see} if see else {"source": source_url})}
    with engine(url).begin() as connection:
        connection.execute(decisions.delete().where(decisions.c.event_id == turn.event_id))
        connection.execute(decisions.insert().values(**row))
        connection.execute(audit.insert().values(
            at=now, who=who, action="staff_answer:link" if see else "staff_answer:write", target=guide_id,
            detail=json.dumps(detail, ensure_ascii=False)))
    return row


def reviewed_examples(url: str | None = None) -> list[dict[str, Any]]:
    """Labelled examples from the decisions (dismissed and answered ones left out), oldest first."""
    with engine(url).connect() as connection:
        rows = connection.execute(select(decisions).order_by(decisions.c.reviewed_at, decisions.c.id)).mappings()
        return [dict(row) for row in rows if row["decision"] not in ("dismiss", "answered") and row["intent"]]
