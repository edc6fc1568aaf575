"""`make eval-answers`: real owner questions (tests/answers/questions.yml, held-out third by default) through the
running bot over REST, one new conversation each; writes reports/answers.json (answered, deflected, expected-keyword
hits, latency) and reports/answers.md (the transcript to read and grade)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.load_test import embedded_stack
from bot.paths import DOMAIN_FILE, REPO_ROOT, REPORTS_DIR

QUESTIONS_FILE = REPO_ROOT / "tests" / "answers" / "questions.yml"
# Replies that answer nothing: small talk, not known, out of scope, the fallback, and the session greeting.
DEFLECTING_RESPONSES = ("utter_chitchat", "utter_not_known", "utter_out_of_scope")
FALLBACK_TEXT = "잘 이해하지 못했어요"
GREETING_RESPONSE = "utter_capabilities"
CLARIFYING_RESPONSES = ("utter_suggest_guides",)  # the closest guides offered to pick from


def response_texts(names: tuple[str, ...]) -> set[str]:
    """The fixed texts of these domain responses."""
    responses = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]
    return {variant["text"] for name in names for variant in responses.get(name, [])}


def load_questions(split: str, path: Path = QUESTIONS_FILE) -> list[dict[str, Any]]:
    """The questions of one split (holdout | tune | dev | all)."""
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [q for q in questions if split == "all" or q.get("split") == split]


def classify(replies: list[dict[str, Any]], deflecting: set[str], greeting: set[str],
             suggesting: frozenset[str] = frozenset()) -> tuple[str, list[dict]]:
    """answered | suggested (the closest guides to pick from) | deflected, and the replies without the greeting."""
    shown = [reply for reply in replies if reply.get("text") not in greeting]
    texts = [reply.get("text") or "" for reply in shown]
    if not texts or all(text in deflecting or FALLBACK_TEXT in text for text in texts):
        return "deflected", shown
    if all(text in suggesting for text in texts):
        return "suggested", shown
    return "answered", shown


async def ask(http: aiohttp.ClientSession, url: str, text: str) -> tuple[list[dict[str, Any]], float]:
    """One question in a conversation of its own: the replies and the seconds they took."""
    started = time.perf_counter()
    async with http.post(f"{url}/webhooks/rest/webhook",
                         json={"sender": f"eval-{uuid.uuid4().hex[:12]}", "message": text}) as response:
        replies = await response.json() if response.status == 200 else [{"text": f"HTTP {response.status}"}]
    return replies, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float | None:
    """The `share` percentile in milliseconds (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


async def evaluate(url: str, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ask every question (after one warm-up) and record what the bot said."""
    deflecting = response_texts(DEFLECTING_RESPONSES)
    greeting = response_texts((GREETING_RESPONSE,))
    suggesting = frozenset(response_texts(CLARIFYING_RESPONSES))
    rows = []
    async with aiohttp.ClientSession() as http:
        await ask(http, url, "정책자금 신청 절차 알려주세요")
        for question in questions:
            replies, seconds = await ask(http, url, question["text"])
            outcome, shown = classify(replies, deflecting, greeting, suggesting)
            said = "\n".join(reply.get("text") or "" for reply in shown)
            expect = question.get("expect") or []
            rows.append({"id": question["id"], "kind": question.get("kind"), "question": question["text"],
                         "url": question.get("url"), "outcome": outcome, "seconds": round(seconds, 4),
                         "expect": expect, "expect_hit": all(word in said for word in expect) if expect else None,
                         "replies": [{"text": r.get("text"),
                                      "buttons": [b.get("title") for b in r.get("buttons") or []]} for r in shown]})
    return rows


def summary(rows: list[dict[str, Any]], split: str) -> dict[str, Any]:
    """Shares and latency of one run."""
    count = len(rows) or 1
    expected = [row for row in rows if row["expect_hit"] is not None]
    return {
        "split": split, "questions": len(rows),
        "answered_share": round(sum(r["outcome"] == "answered" for r in rows) / count, 3),
        "deflected_share": round(sum(r["outcome"] == "deflected" for r in rows) / count, 3),
        "suggested_share": round(sum(r["outcome"] == "suggested" for r in rows) / count, 3),
        "expected_keyword_share": (round(sum(r["expect_hit"] for r in expected) / len(expected), 3)
                                   if expected else None),
        "with_expected_keywords": len(expected),
        "latency_ms": {"p50": percentile([r["seconds"] for r in rows], 0.5),
                       "p95": percentile([r["seconds"] for r in rows], 0.95),
                       "mean": round(1000 * statistics.fmean([r["seconds"] for r in rows]), 1) if rows else None},
        "first_reply_chars_median": statistics.median(len(r["replies"][0]["text"] or "") if r["replies"] else 0
                                                      for r in rows) if rows else None,
    }


def transcript(rows: list[dict[str, Any]], head: dict[str, Any]) -> str:
    """Markdown transcript: every question, where it came from, and what the bot said."""
    lines = [f"# Answers ({head['split']}): {head['questions']} questions, answered {head['answered_share']:.0%}, "
             f"deflected {head['deflected_share']:.0%}, closest guides offered {head['suggested_share']:.0%}", ""]
    for row in rows:
        lines += [f"## {row['id']} [{row['kind']}] {row['outcome']}" + (
            f" · expect {row['expect']} {'hit' if row['expect_hit'] else 'MISS'}" if row["expect"] else ""),
                  f"> {row['question']}", f"source: {row['url']}", ""]
        for reply in row["replies"]:
            lines.append(reply["text"] or "")
            if reply["buttons"]:
                lines.append("[" + "] [".join(reply["buttons"]) + "]")
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=("holdout", "tune", "dev", "all"), default="holdout")
    parser.add_argument("--url", help="a running bot (e.g. http://127.0.0.1:5005); default: start one")
    args = parser.parse_args(argv)
    questions = load_questions(args.split)
    if args.url:
        rows = asyncio.run(evaluate(args.url, questions))
    else:
        with embedded_stack(REPORTS_DIR / "eval-answers-logs", {}) as stack:
            rows = asyncio.run(evaluate(stack.url, questions))
    head = summary(rows, args.split)
    REPORTS_DIR.mkdir(exist_ok=True)
    name = "answers" if args.split == "holdout" else f"answers-{args.split}"
    (REPORTS_DIR / f"{name}.json").write_text(json.dumps({**head, "rows": rows}, ensure_ascii=False, indent=1))
    (REPORTS_DIR / f"{name}.md").write_text(transcript(rows, head), encoding="utf-8")
    print(json.dumps(head, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
