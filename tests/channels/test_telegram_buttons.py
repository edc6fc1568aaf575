"""Every button payload the bot can produce fits Telegram's 64-byte callback_data and decodes back unchanged.

The payloads are gathered from where they are made: domain.yml's buttons, the literal payloads in actions/*.py and
every `payload(intent, key=...)` call there, the id-valued ones (`program`, `program_id`) with every program and
guide id in knowledge_base/. A new kind of payload call that this test does not know fails it until it is listed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from actions.render import payload
from channels import telegram_buttons
from channels.telegram_buttons import MAX_CALLBACK_BYTES, decode, encode

ROOT = Path(__file__).resolve().parents[2]
ID_KEYS = {"program", "program_id"}  # entities whose values are knowledge-base document ids
ID_LINE = re.compile(r"^id:\s*(\S+)\s*$", re.MULTILINE)


def document_ids() -> list[str]:
    ids = []
    for folder in ("programs", "guides"):
        for path in sorted((ROOT / "knowledge_base" / folder).glob("*.md")):
            found = ID_LINE.search(path.read_text(encoding="utf-8"))
            if found:
                ids.append(found.group(1).strip("'\""))
    return ids


def domain_payloads() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    found = set()
    for variants in domain.get("responses", {}).values():
        for variant in variants:
            for button in variant.get("buttons") or []:
                # Rasa formats response templates with str.format-like escaping: '{{' is a literal brace.
                found.add(button["payload"].replace("{{", "{").replace("}}", "}"))
    return found


def action_payloads() -> tuple[set[str], set[tuple[str, str]]]:
    """Literal '/…' payloads and the (intent, id key) pairs of `payload()` calls whose value is not a literal."""
    literals: set[str] = set()
    id_calls: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (isinstance(key, ast.Constant) and key.value == "payload" and isinstance(value, ast.Constant)
                            and isinstance(value.value, str)):
                        literals.add(value.value)
            elif isinstance(node, ast.Tuple) and node.elts and all(isinstance(e, ast.Constant) for e in node.elts):
                literals.update(e.value for e in node.elts if isinstance(e.value, str) and e.value.startswith("/"))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "payload":
                intent = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                assert isinstance(intent, str), f"{path.name}:{node.lineno}: payload() with a computed intent"
                entities = {kw.arg: kw.value for kw in node.keywords}
                if all(isinstance(value, ast.Constant) for value in entities.values()):
                    literals.add(payload(intent, **{key: value.value for key, value in entities.items()}))
                    continue
                for key, value in entities.items():
                    if not isinstance(value, ast.Constant):
                        assert key in ID_KEYS, f"{path.name}:{node.lineno}: payload({intent!r}, {key}=…) not listed"
                        id_calls.add((intent, key))
    return literals, id_calls


def every_payload() -> list[str]:
    literals, id_calls = action_payloads()
    assert ("ask_program_detail", "program_id") in id_calls and ("ask_application", "program") in id_calls
    ids = document_ids()
    assert len(ids) >= 130 and "tax-and-incorporation-out-of-scope" in ids
    generated = {payload(intent, **{key: doc_id}) for intent, key in id_calls for doc_id in ids}
    return sorted(domain_payloads() | literals | generated)


PAYLOADS = every_payload()


def test_the_enumeration_covers_the_kinds_of_button() -> None:
    assert '/ask_program_detail{"program_id": "emergency-management-stabilization"}' in PAYLOADS
    assert '/ask_documents{"program": "tax-and-incorporation-out-of-scope"}' in PAYLOADS
    assert '/inform{"industry":"도매 및 소매업"}' in PAYLOADS  # domain.yml
    assert '/ask_emergency_fund{"crisis_type": "매출감소"}' in PAYLOADS  # actions/programs.py
    assert '/rate_answer{"rating":"up"}' in PAYLOADS and "/request_human" in PAYLOADS
    over = [p for p in PAYLOADS if len(p.encode("utf-8")) > MAX_CALLBACK_BYTES]
    assert len(over) >= 20  # the ones the old per-process cache had to remember (23 in November 2026)


@pytest.mark.parametrize("rasa_payload", PAYLOADS)
def test_every_payload_fits_and_decodes_to_itself(rasa_payload: str) -> None:
    data = encode(rasa_payload, "제목")
    assert 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES, data
    assert not data.startswith(telegram_buttons.TITLE), f"{rasa_payload} fell back to its title"
    assert decode(data) == rasa_payload


def test_longest_callback_data_measured() -> None:
    longest = max((encode(p) for p in PAYLOADS), key=lambda data: len(data.encode("utf-8")))
    print(f"longest callback_data: {len(longest.encode('utf-8'))} bytes: {longest}")
    assert len(longest.encode("utf-8")) <= MAX_CALLBACK_BYTES


def test_abbreviations_never_change() -> None:
    """Buttons stay in chat histories: an encoding once sent must decode the same way in every later version."""
    pinned = {
        "~sd;p=emergency-management-stabilization":
            '/ask_program_detail{"program_id": "emergency-management-stabilization"}',
        "~sa;g=x": '/ask_application{"program": "x"}', "~so;g=x": '/ask_documents{"program": "x"}',
        "~se;g=x": '/ask_eligibility{"program": "x"}', "~sf;c=재해": '/ask_emergency_fund{"crisis_type": "재해"}',
        "~ci;i=제조업": '/inform{"industry":"제조업"}', "~cr;r=up": '/rate_answer{"rating":"up"}',
        "~ci;v=!0": '/inform{"revenue_change":0}', "~nrequest_human": "/request_human",
    }
    for data, rasa_payload in pinned.items():
        assert decode(data) == rasa_payload
    assert len(set(telegram_buttons.INTENTS.values())) == len(telegram_buttons.INTENTS)
    assert len(set(telegram_buttons.ENTITIES.values())) == len(telegram_buttons.ENTITIES)


def test_short_payloads_travel_as_they_are_and_unknown_data_is_not_a_payload() -> None:
    assert encode('/inform{"industry":"제조업"}') == '/inform{"industry":"제조업"}'
    assert encode("~looks like ours") != "~looks like ours" and decode(encode("~looks like ours")) == "~looks like ours"
    for unreadable in ("#0123456789abcdef", "~", "~z", "~sd;p", '"', "~s", "~c" + "i;v=!{"):
        assert decode(unreadable) is None, unreadable


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
       st.dictionaries(st.text(min_size=1, max_size=12), st.one_of(st.text(max_size=30), st.integers()),
                       max_size=3),
       st.text(min_size=1, max_size=80))
def test_any_payload_either_round_trips_or_falls_back_to_its_title(intent: str, entities: dict, title: str) -> None:
    rasa_payload = payload(intent, **entities) if entities else f"/{intent}"
    data = encode(rasa_payload, title)
    assert 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES
    if data.startswith(telegram_buttons.TITLE):
        assert title.strip().startswith(decode(data) or "\0") or rasa_payload.startswith(decode(data) or "\0")
    else:
        assert decode(data) == rasa_payload
