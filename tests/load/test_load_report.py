"""The load benchmark's pure parts: ratios, comparisons with the reference, turn windows and the report's shape
(no timed tests: nothing here starts a server)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.load_measure import (
    compare,
    key_metrics,
    long_conversation_summary,
    percentiles_ms,
    ratio,
    turn_window,
    window_median_ms,
)
from bot.load_report import comparison, goals_met, round_summaries, saturation_comparisons, user_comparisons
from bot.load_stages import LONG_MESSAGES
from bot.load_test import Stack, embedded_stack, parse_args
from bot.load_users import Stage, timed_turn


def stage(shape: str, users: int, p50: float, p95: float, rate: float, rss: float, errors: int = 0,
          transport: str = "rest", think: tuple[float, float] = (1.0, 3.0)) -> dict[str, Any]:
    """A stage summary as run_stage writes it (only the fields the report reads)."""
    return {"shape": shape, "transport": transport, "users": users, "think_s": list(think),
            "latency_ms": {"p50": p50, "p95": p95, "p99": p95 * 2, "max": p95 * 3, "mean": p50},
            "messages_per_s": rate, "errors": errors,
            "processes": {"rasa_server": {"rss_max_mb": rss + 10, "rss_end_mb": rss, "cpu_s": 1.0},
                          "action_server": {"rss_max_mb": 150, "rss_end_mb": 140, "cpu_s": 1.0}}}


def test_ratio_divides_and_rounds_and_refuses_missing_or_zero() -> None:
    assert ratio(150.0, 100.0) == 1.5
    assert ratio(1.0, 3.0) == 0.33
    assert ratio(None, 100.0) is None
    assert ratio(100.0, None) is None
    assert ratio(100.0, 0.0) is None


def test_key_metrics_take_percentiles_rate_errors_and_only_rasa_memory() -> None:
    metrics = key_metrics(stage("embedded", 50, 120.0, 400.0, 20.0, 1500.0, errors=2))
    assert metrics == {"p50": 120.0, "p95": 400.0, "p99": 800.0, "messages_per_s": 20.0, "errors": 2,
                       "rasa_server_rss_mb": 1500.0}


def test_key_metrics_add_up_rasa_replicas() -> None:
    summary = stage("production", 50, 1, 2, 3, 1000.0)
    summary["processes"]["rasa_server_2"] = {"rss_max_mb": 1, "rss_end_mb": 1100.0, "cpu_s": 0}
    assert key_metrics(summary)["rasa_server_rss_mb"] == 2100.0


def test_compare_gives_shape_over_reference_for_every_number_but_errors() -> None:
    result = compare(stage("embedded", 50, 120.0, 450.0, 20.0, 1500.0), stage("reference", 50, 40.0, 100.0,
                                                                               25.0, 1000.0))
    assert result["ratio"] == {"p50": 3.0, "p95": 4.5, "p99": 4.5, "messages_per_s": 0.8, "rasa_server_rss_mb": 1.5}
    assert result["measured"]["errors"] == result["reference"]["errors"] == 0


def test_user_comparisons_pair_rest_stages_by_users_and_think_time() -> None:
    stages = [stage("embedded", 10, 100, 200, 5, 1500), stage("embedded", 50, 120, 300, 20, 1500),
              stage("embedded", 50, 130, 330, 20, 1500, transport="socketio"),
              stage("reference", 50, 40, 100, 21, 1000), stage("reference", 10, 30, 60, 5, 1000, think=(0, 0))]
    pairs = user_comparisons(stages)
    assert [(pair["shape"], pair["users"]) for pair in pairs] == [("embedded", 50)]
    assert pairs[0]["ratio"]["p95"] == 3.0


def in_round(summary: dict[str, Any], number: int) -> dict[str, Any]:
    return {**summary, "round": number}


def test_rounds_pair_within_a_round_and_the_goals_read_the_median_ratio() -> None:
    stages = [in_round(stage("embedded", 50, 30, 60, 20, 1100), 1),
              in_round(stage("reference", 50, 20, 40, 20, 1000), 1),
              in_round(stage("reference", 50, 10, 20, 20, 1000), 2),
              in_round(stage("embedded", 50, 40, 80, 20, 1150), 2),
              in_round(stage("embedded", 50, 25, 50, 20, 1120, errors=1), 3),
              in_round(stage("reference", 50, 25, 50, 20, 1000), 3)]
    pairs = user_comparisons(stages)
    assert [(pair["round"], pair["ratio"]["p50"]) for pair in pairs] == [(1, 1.5), (2, 4.0), (3, 1.0)]
    [summary] = round_summaries(pairs)
    assert (summary["rounds"], summary["ratio"]["p50"], summary["ratio"]["p95"]) == (3, 1.5, 1.5)
    assert summary["measured"] == {"errors": 1, "rasa_server_rss_mb": 1150}
    report = {"stages": stages, "saturation": [], "long_conversation": []}
    assert comparison(report)["goals_met"]["p50_ratio"] is True  # one slow round (x4) does not decide
    assert comparison(report)["goals_met"]["errors"] is False


def test_saturation_comparison_is_the_throughput_ratio() -> None:
    runs = [stage("embedded", 10, 300, 600, 14.0, 1500, think=(0, 0)),
            stage("reference", 10, 50, 90, 20.0, 1000, think=(0, 0))]
    assert saturation_comparisons(runs) == [{"shape": "embedded", "users": 10, "messages_per_s": 14.0,
                                             "reference_messages_per_s": 20.0, "ratio": 0.7}]
    assert saturation_comparisons(runs[:1]) == []


@pytest.mark.parametrize(("turns", "turn", "window", "expected"), [
    (200, 5, 10, range(1, 11)), (200, 200, 10, range(191, 201)), (200, 100, 10, range(95, 105)),
    (6, 5, 10, range(1, 7)), (200, 1, 1, range(1, 2)),
])
def test_turn_window_stays_within_the_conversation(turns: int, turn: int, window: int, expected: range) -> None:
    assert turn_window(turns, turn, window) == expected


def test_window_median_skips_failed_turns_and_reports_milliseconds() -> None:
    latencies: list[float | None] = [0.05] * 10 + [0.5] * 10
    latencies[0] = None
    latencies[1] = 0.09
    assert window_median_ms(latencies, 5, 10) == 50.0
    assert window_median_ms(latencies, 20, 10) == 500.0
    assert window_median_ms([None, None], 1, 2) is None
    assert window_median_ms([], 5, 10) is None


def test_long_conversation_summary_compares_late_with_early_turns() -> None:
    latencies: list[float | None] = [0.1] * 190 + [0.12] * 9 + [None]
    summary = long_conversation_summary(latencies, 5, 200, 10)
    assert (summary["early_ms"], summary["late_ms"], summary["late_over_early"]) == (100.0, 120.0, 1.2)
    assert summary["errors"] == 1 and summary["turns"] == 200 and len(summary["latencies_ms"]) == 200
    assert summary["latencies_ms"][-1] is None


def test_the_long_conversation_window_holds_each_message_once() -> None:
    assert len(set(LONG_MESSAGES)) == len(LONG_MESSAGES) == 10


def long_run(shape: str, early: float, late: float) -> dict[str, Any]:
    return {"shape": shape, "turns": 200, "early_turn": 5, "late_turn": 200, "early_ms": early, "late_ms": late,
            "late_over_early": ratio(late, early), "processes": {"rasa_server": {"rss_end_mb": 1400.0}}}


def test_comparison_section_shape_and_goals() -> None:
    report = {"stages": [stage("embedded", 50, 60, 140, 20, 1150), stage("reference", 50, 40, 100, 21, 1000)],
              "saturation": [stage("embedded", 10, 1, 2, 16.0, 1150, think=(0, 0)),
                             stage("reference", 10, 1, 2, 20.0, 1000, think=(0, 0))],
              "long_conversation": [long_run("embedded", 100.0, 130.0), long_run("reference", 30.0, 31.0)]}
    result = comparison(report)
    assert set(result) == {"users_stages", "users_summary", "saturation", "long_conversation", "goals", "goals_met"}
    assert [item["shape"] for item in result["long_conversation"]] == ["embedded", "reference"]
    assert result["long_conversation"][0]["rasa_server_rss_mb"] == 1400.0
    assert result["goals_met"] == {"p50_ratio": True, "p95_ratio": True, "errors": True, "saturation_ratio": True,
                                   "late_over_early": False, "rasa_server_rss_mb": True}


def test_goals_not_measured_are_none() -> None:
    empty = {"users_stages": [], "users_summary": [], "saturation": [], "long_conversation": []}
    assert set(goals_met(empty).values()) == {None}


def test_percentiles_need_two_turns() -> None:
    assert percentiles_ms([0.1])["p95"] is None
    assert percentiles_ms([0.1, 0.2])["p50"] == 150.0


def test_options_default_to_reference_saturation_and_200_turns() -> None:
    args = parse_args([])
    assert (args.reference, args.saturation, args.long_turns, args.saturation_users) == (True, True, 200, 10)
    assert args.rounds == 1
    args = parse_args(["--no-reference", "--no-saturation", "--long-turns", "0"])
    assert (args.reference, args.saturation, args.long_turns) == (False, False, 0)


def test_eval_answers_still_finds_the_embedded_stack_in_load_test() -> None:
    assert callable(embedded_stack) and Stack.__name__ == "Stack"


class SilentConversation:
    """A conversation whose bot never answers (as the reference bot, which understands no Korean)."""

    async def start(self) -> None: ...

    async def say(self, text: str) -> tuple[list[dict[str, Any]], float]:
        return [], time.perf_counter()

    async def close(self) -> None: ...


@pytest.mark.parametrize(("silence_ok", "error"), [(False, "no reply"), (True, None)])
async def test_a_turn_without_reply_is_an_error_except_for_the_reference(silence_ok: bool, error: str | None) -> None:
    stage = Stage(1, float("inf"), 1, (0.0, 0.0), silence_ok)
    await timed_turn(SilentConversation(), "안녕하세요", stage)
    assert [turn.error for turn in stage.turns] == [error]
    assert stage.turns[0].latency is not None
