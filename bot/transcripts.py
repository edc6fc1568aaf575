"""Scripted consultations through the bot over REST → reports/transcripts.md (readable) and transcripts.json.

    python -m bot.transcripts [--model PATH] [--log-dir DIR]

Each consultation is sent turn by turn to a fresh embedded stack (bot.load_test.embedded_stack: one Rasa server and
one action server on loopback). The report measures the *first reply* of every turn: the characters of the first text
bubble the owner sees (what a phone shows before scrolling; buttons not counted). Its summary gives the median first
reply over all turns of all consultations (target ≤ 600, issue 13) and the share of turns at or under the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from bot.load_test import Stack, embedded_stack
from bot.paths import REPORTS_DIR
from bot.training import train

TARGET_CHARS = 600
JSON_PATH = REPORTS_DIR / "transcripts.json"
MARKDOWN_PATH = REPORTS_DIR / "transcripts.md"
TURN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Script:
    """One scripted consultation: what it shows, and what the owner types in order."""

    name: str
    behaviour: str
    messages: tuple[str, ...]


SCRIPTS = (
    Script("crisis-informal", "an informal crisis with a typo and emoticons → the emergency track first",
           ("거래처가 부도나서 돈을 못받앗어요ㅠㅠ 급한데 어케해요", "금리는 얼마예요?")),
    Script("ordinal-follow-up", "follow-ups pointing at the 2nd and the last of three cards",
           ("경기도 화성시에서 금속 가공 제조업 5년째 하고 직원 8명이에요. 매출은 작년보다 10% 늘었고 수출은 안 해요. "
            "대표는 50세이고 시설자금이 필요해요", "두 번째 거 한도는요?", "마지막 자금은 서류가 뭐예요?")),
    Script("back-reference", "'아까 그 자금' after one program was shown",
           ("긴급경영안정자금 알려주세요", "아까 그 자금 신청은 어떻게 해요?")),
    Script("question-mid-form", "a fact question in the middle of the intake form, then the form resumes",
           ("지원사업 추천해 주세요", "근데 금리는 보통 얼마예요?", "업력은 4년입니다")),
    Script("yes-in-form", "'네' to every open question of the form",
           ("지원사업 추천해 주세요", *["네"] * 7)),
    Script("tell-me-in-form", "'알려주세요' to every open question of the form",
           ("지원사업 추천해 주세요", *["알려주세요"] * 7)),
    Script("correction", "a correction after the recommendation changes it",
           ("서울에서 식품 제조업을 2년째 하고 있고 직원은 5명입니다. 매출은 작년보다 20% 줄었고 수출은 안 해요. "
            "운전자금이 필요해요. 대표는 35세예요", "아 대표 나이는 45세예요")),
    Script("first-question", "a first message that asks gets the answer without the greeting",
           ("안녕하세요, 긴급경영안정자금 금리 얼마예요?",)),
    Script("rate-question", "a plain rate question",
           ("긴급경영안정자금 금리가 얼마예요?",)),
    Script("typo-program", "a program name with a typo and a slang ending",
           ("긴급경영안전자금 금리 얼마임?",)),
    Script("documents-question", "a documents question",
           ("긴급경영안정자금 신청하려면 서류 뭐 필요해요?",)),
    Script("facts-in-one-message", "a recommendation with all facts in one message",
           ("부산에서 자동차 부품 제조업 7년 됐고 직원 30명, 매출 30% 줄었어요. 수출도 하고 있고 대표는 52세입니다. "
            "운전자금이 필요해요",)),
    Script("other-agency", "a question for another agency",
           ("소상공인 정책자금 대출은 어디서 해요?",)),
    Script("greeting", "a plain greeting gets what the bot can do",
           ("안녕하세요",)),
)


def median(values: list[int]) -> float | None:
    """The median of `values`, None when there are none."""
    return float(statistics.median(values)) if values else None


def first_reply_chars(replies: list[dict[str, Any]]) -> int:
    """Characters of the first text bubble of a turn (0 when the bot sent no text)."""
    return next((len(reply["text"]) for reply in replies if reply.get("text")), 0)


def turn_record(user: str, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """One turn as the report keeps it: the message, the bubbles (text and button titles), the first reply's size."""
    bubbles = [{"text": reply.get("text") or "", "buttons": [b.get("title", "") for b in reply.get("buttons") or []]}
               for reply in replies]
    return {"user": user, "replies": bubbles, "first_reply_chars": first_reply_chars(replies),
            "turn_chars": sum(len(bubble["text"]) for bubble in bubbles)}


def summarise(conversations: list[dict[str, Any]], target: int = TARGET_CHARS) -> dict[str, Any]:
    """The report's summary over every turn of every conversation."""
    sizes = [turn["first_reply_chars"] for conversation in conversations for turn in conversation["turns"]]
    openings = [conversation["turns"][0]["first_reply_chars"] for conversation in conversations
                if conversation["turns"]]
    within = sum(size <= target for size in sizes)
    return {"conversations": len(conversations), "turns": len(sizes), "target_chars": target,
            "median_first_reply_chars": median(sizes), "max_first_reply_chars": max(sizes, default=None),
            "share_turns_within_target": round(within / len(sizes), 3) if sizes else None,
            "median_opening_reply_chars": median(openings),
            "median_turn_chars": median([turn["turn_chars"] for conversation in conversations
                                         for turn in conversation["turns"]]),
            "median_within_target": bool(sizes) and (median(sizes) or 0) <= target}


def report(conversations: list[dict[str, Any]], model: str) -> dict[str, Any]:
    """The whole JSON report."""
    return {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "model": model,
            "first_reply": "characters of the first text bubble of a turn (buttons not counted)",
            "summary": summarise(conversations), "conversations": conversations}


def markdown(data: dict[str, Any]) -> str:
    """The readable transcript: one section per consultation, the bot's bubbles quoted under each message."""
    summary = data["summary"]
    lines = ["# Scripted consultations", "",
             f"Generated {data['generated_at']} with `{data['model']}` by `python -m bot.transcripts`. "
             f"First reply = {data['first_reply']}.", "",
             f"- median first reply: **{summary['median_first_reply_chars']}** characters over {summary['turns']} "
             f"turns of {summary['conversations']} consultations (target ≤ {summary['target_chars']})",
             f"- turns whose first reply is ≤ {summary['target_chars']}: {summary['share_turns_within_target']:.0%}",
             f"- longest first reply: {summary['max_first_reply_chars']}; median first reply to a consultation's "
             f"opening message: {summary['median_opening_reply_chars']}; median whole turn (all bubbles): "
             f"{summary['median_turn_chars']}", ""]
    for conversation in data["conversations"]:
        lines += [f"## {conversation['name']}", "", f"*{conversation['behaviour']}*", ""]
        for turn in conversation["turns"]:
            lines += [f"**👤 {turn['user']}**  ", f"(first reply: {turn['first_reply_chars']} characters, whole turn: "
                      f"{turn['turn_chars']})", ""]
            for bubble in turn["replies"]:
                lines += [f"> {line}  " if line else ">" for line in bubble["text"].splitlines() or [""]]
                if bubble["buttons"]:
                    lines.append("> " + " ".join(f"[{title}]" for title in bubble["buttons"]))
                lines.append("")
    return "\n".join(lines)


def converse(client: httpx.Client, stack: Stack, script: Script) -> dict[str, Any]:
    """Send one script's messages as one new sender; the conversation record."""
    sender = f"transcript-{script.name}-{uuid.uuid4().hex[:6]}"
    turns = []
    for message in script.messages:
        response = client.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
        response.raise_for_status()
        turns.append(turn_record(message, response.json()))
    return {"name": script.name, "behaviour": script.behaviour, "turns": turns,
            "first_reply_chars": [turn["first_reply_chars"] for turn in turns]}


def write(data: dict[str, Any], json_path: Path = JSON_PATH, markdown_path: Path = MARKDOWN_PATH) -> None:
    """Write both report files."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    markdown_path.write_text(markdown(data), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.transcripts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="model to serve (default: the current training data's, trained if stale)")
    parser.add_argument("--log-dir", type=Path, default=None, help="server logs (default: a temp folder)")
    args = parser.parse_args(argv)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="bot-transcripts-logs-"))
    model = args.model or train()
    with embedded_stack(log_dir, {}, model) as stack, httpx.Client(timeout=TURN_TIMEOUT) as client:
        conversations = [converse(client, stack, script) for script in SCRIPTS]
    data = report(conversations, model.name)
    write(data)
    summary = data["summary"]
    print(f"median first reply {summary['median_first_reply_chars']} characters (target ≤ {TARGET_CHARS}), "
          f"{summary['share_turns_within_target']:.0%} of {summary['turns']} turns within; "
          f"{MARKDOWN_PATH}, {JSON_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
