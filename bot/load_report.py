"""reports/load.json: the stage summaries of one benchmark run, each shape against the `rasa init` reference, and
the issue-16 targets (embedded shape at 50 users within 1.5 x the reference, and so on)."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bot.load_measure import compare, rasa_rss_mb, ratio
from bot.paths import REPORTS_DIR

REPORT_PATH = REPORTS_DIR / "load.json"
REFERENCE = "reference"
GOALS = {"users": 50, "p50_ratio": 1.5, "p95_ratio": 1.5, "errors": 0, "saturation_ratio": 0.7,
         "late_over_early": 1.2, "rasa_server_rss_mb": 1200}
"""The targets of issue 16 for the embedded shape (measured, not tested)."""


def stage_key(stage: dict[str, Any]) -> tuple[int, tuple[float, ...], int]:
    """What pairs a stage with the reference's: users, think times and round (runs without rounds are round 1)."""
    return stage["users"], tuple(stage["think_s"]), stage.get("round", 1)


def user_comparisons(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each REST stage of a shape against the reference stage with the same users, think times and round."""
    references = {stage_key(stage): stage for stage in stages
                  if stage["shape"] == REFERENCE and stage["transport"] == "rest"}
    return [{"shape": stage["shape"], "transport": "rest", "users": stage["users"], "round": stage.get("round", 1),
             **compare(stage, references[stage_key(stage)])}
            for stage in stages if stage["shape"] != REFERENCE and stage["transport"] == "rest"
            and stage_key(stage) in references]


def round_summaries(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per shape and user count over its rounds: the median of each ratio, all errors and the largest memory. Rounds
    alternate the shape and the reference, so a machine that slows down during the run weighs on both alike."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for pair in pairs:
        groups.setdefault((pair["shape"], pair["users"]), []).append(pair)
    return [{"shape": shape, "transport": "rest", "users": users, "rounds": len(group),
             "ratio": {key: statistics.median(values) if (values := [item["ratio"][key] for item in group
                                                                    if item["ratio"][key] is not None]) else None
                       for key in group[0]["ratio"]},
             "measured": {"errors": sum(item["measured"]["errors"] for item in group),
                          "rasa_server_rss_mb": max((item["measured"]["rasa_server_rss_mb"] or 0) for item in group)}}
            for (shape, users), group in groups.items()]


def saturation_comparisons(saturation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Throughput of each shape with no think time against the reference's."""
    reference = next((stage for stage in saturation if stage["shape"] == REFERENCE), None)
    return [{"shape": stage["shape"], "users": stage["users"], "messages_per_s": stage["messages_per_s"],
             "reference_messages_per_s": reference["messages_per_s"],
             "ratio": ratio(stage["messages_per_s"], reference["messages_per_s"])}
            for stage in saturation if reference is not None and stage["shape"] != REFERENCE]


def goals_met(comparison: dict[str, Any], shape: str = "embedded") -> dict[str, bool | None]:
    """Each issue-16 target for `shape` (user stages: the median over rounds): True, False, or None when the run did
    not measure it."""
    def check(value: float | None, bound: float, at_least: bool = False) -> bool | None:
        return None if value is None else (value >= bound if at_least else value <= bound)

    users = next((item for item in comparison["users_summary"]
                  if item["shape"] == shape and item["users"] == GOALS["users"]), None)
    saturation = next((item for item in comparison["saturation"] if item["shape"] == shape), None)
    long = next((item for item in comparison["long_conversation"] if item["shape"] == shape), None)
    return {
        "p50_ratio": check(users and users["ratio"]["p50"], GOALS["p50_ratio"]),
        "p95_ratio": check(users and users["ratio"]["p95"], GOALS["p95_ratio"]),
        "errors": check(users and users["measured"]["errors"], GOALS["errors"]),
        "saturation_ratio": check(saturation and saturation["ratio"], GOALS["saturation_ratio"], at_least=True),
        "late_over_early": check(long and long["late_over_early"], GOALS["late_over_early"]),
        "rasa_server_rss_mb": check(users and users["measured"]["rasa_server_rss_mb"], GOALS["rasa_server_rss_mb"]),
    }


def comparison(report: dict[str, Any]) -> dict[str, Any]:
    """The report's comparison section, computed from its stages, saturation stages and long conversations."""
    pairs = user_comparisons(report["stages"])
    result: dict[str, Any] = {
        "users_stages": pairs,
        "users_summary": round_summaries(pairs),
        "saturation": saturation_comparisons(report["saturation"]),
        "long_conversation": [{key: item[key] for key in ("shape", "turns", "early_turn", "late_turn", "early_ms",
                                                          "late_ms", "late_over_early")}
                              | {"rasa_server_rss_mb": rasa_rss_mb(item)} for item in report["long_conversation"]],
    }
    result["goals"] = GOALS
    result["goals_met"] = goals_met(result)
    return result


def write_report(report: dict[str, Any]) -> None:
    """Recompute the comparison and write the report (after every stage, so a stopped run keeps what it measured)."""
    report["comparison"] = comparison(report)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
