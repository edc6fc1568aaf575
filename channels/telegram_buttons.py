"""Telegram `callback_data` for Rasa button payloads: at most 64 bytes, decoded by any server without shared state.

Every Rasa server runs this code, so a button sent by one replica (or before a restart) is understood by every other.
A payload of at most 64 bytes travels as it is. A longer `/intent{"entity": "value"}` travels in a compact form,
`~` + JSON style + intent abbreviation + `;key=value` per entity, e.g.
`/ask_program_detail{"program_id": "emergency-management-stabilization"}` (71 bytes) →
`~sd;p=emergency-management-stabilization` (40 bytes); decoding rebuilds the payload byte for byte. Anything that
still does not fit travels as `"` + the button's title, which reaches the bot as if the owner had typed it.

The abbreviations are read back from buttons that stay in chat histories for months: only ever add to the tables
below, never change or reuse an entry (tests/channels/test_telegram_buttons.py pins them).
"""

from __future__ import annotations

import json

MAX_CALLBACK_BYTES = 64
COMPACT = "~"  # compact Rasa payload
TITLE = '"'  # the button's title, sent to the bot as text
LEGACY = "#"  # hash keys of the old per-process cache: no longer known anywhere
RESERVED = (COMPACT, TITLE, LEGACY)

INTENTS = {
    "ask_program_detail": "d", "ask_application": "a", "ask_documents": "o", "ask_eligibility": "e",
    "ask_emergency_fund": "f", "inform": "i", "rate_answer": "r", "ask_terms": "t", "ask_contact": "c",
    "ask_recommendation": "m", "ask_question": "q", "correct_info": "x",
}
ENTITIES = {
    "program_id": "p", "program": "g", "crisis_type": "c", "industry": "i", "rating": "r", "term_type": "t",
    "region": "R", "business_age": "b", "revenue_change": "v", "employee_count": "n", "money": "M", "rep_age": "a",
    "export_status": "x", "fund_purpose": "f",
}
STYLES = {"s": (", ", ": "), "c": (",", ":")}  # json.dumps' default separators (actions/render.py), compact (domain)
NO_ENTITIES = "n"
_INTENT_NAMES = {short: name for name, short in INTENTS.items()}
_ENTITY_NAMES = {short: name for name, short in ENTITIES.items()}


def fits(data: str) -> bool:
    """Telegram accepts 1-64 bytes of callback data."""
    return 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def encode(payload: str, title: str = "") -> str:
    """Callback data for a button: the payload itself, its compact form, or (if neither fits) its title."""
    if fits(payload) and not payload.startswith(RESERVED):
        return payload
    compact = _compact(payload)
    if compact is not None and fits(compact) and decode(compact) == payload:
        return compact
    return TITLE + _cut(title.strip() or payload, MAX_CALLBACK_BYTES - len(TITLE))


def decode(data: str) -> str | None:
    """The text a pressed button gives the bot (a Rasa payload or a title); None for data no server can read."""
    if data.startswith(TITLE):
        return data[len(TITLE):] or None
    if data.startswith(LEGACY):
        return None
    if not data.startswith(COMPACT):
        return data
    head, *pairs = data[len(COMPACT):].split(";")
    style, intent = head[:1], head[1:]
    if not intent or (style not in STYLES and style != NO_ENTITIES) or (style == NO_ENTITIES and pairs):
        return None
    intent = _INTENT_NAMES.get(intent, intent)
    if style == NO_ENTITIES:
        return f"/{intent}"
    entities: dict[str, object] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            return None
        try:
            entities[_ENTITY_NAMES.get(key, key)] = json.loads(value[1:]) if value.startswith("!") else value
        except ValueError:
            return None
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=STYLES[style])}"


def _compact(payload: str) -> str | None:
    """The compact form of `/intent` or `/intent{...}` (a flat JSON object), or None for anything else."""
    if not payload.startswith("/"):
        return None
    intent, brace, rest = payload[1:].partition("{")
    if not intent or any(char in intent for char in ';=/"'):
        return None
    if not brace:
        return f"{COMPACT}{NO_ENTITIES}{INTENTS.get(intent, intent)}"
    try:
        entities = json.loads(brace + rest)
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    style = next((name for name, separators in STYLES.items()
                  if json.dumps(entities, ensure_ascii=False, separators=separators) == brace + rest), None)
    if style is None:
        return None
    parts = [f"{COMPACT}{style}{INTENTS.get(intent, intent)}"]
    for key, value in entities.items():
        plain = isinstance(value, str) and not value.startswith("!")
        text = value if plain else "!" + json.dumps(value, ensure_ascii=False, separators=STYLES["c"])
        parts.append(f"{ENTITIES.get(key, key)}={text}")
    return ";".join(parts)


def _cut(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-8 bytes (never half a character)."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
