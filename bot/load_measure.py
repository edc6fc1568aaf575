"""Numbers of the load benchmark: server memory and CPU, latency percentiles, and the comparisons the report makes
(one shape against the `rasa init` reference, late turns of a long conversation against early ones)."""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import psutil

MEMORY_SAMPLE_SECONDS = 1.0
COMPARED = ("p50", "p95", "p99", "messages_per_s", "errors", "rasa_server_rss_mb")
"""What a comparison puts side by side; every one but errors also as a ratio (shape / reference)."""


class MemorySampler:
    """Resident memory (process and its children) and CPU time of each server process during a stage."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.peak: dict[str, float] = dict.fromkeys(processes, 0.0)
        self.last: dict[str, float] = dict.fromkeys(processes, 0.0)
        self.cpu_start = {name: self.cpu_seconds(process) for name, process in self.processes.items()}

    @staticmethod
    def tree(process: psutil.Process) -> list[psutil.Process]:
        return [process, *process.children(recursive=True)]

    def cpu_seconds(self, process: psutil.Process) -> float:
        total = 0.0
        for member in self.tree(process):
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def sample(self) -> None:
        for name, process in self.processes.items():
            rss = 0
            for member in self.tree(process):
                try:
                    rss += member.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.last[name] = rss / 2**20
            self.peak[name] = max(self.peak[name], self.last[name])

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(MEMORY_SAMPLE_SECONDS)

    def summary(self) -> dict[str, Any]:
        self.sample()
        return {name: {"rss_max_mb": round(self.peak[name]), "rss_end_mb": round(self.last[name]),
                       "cpu_s": round(self.cpu_seconds(process) - self.cpu_start[name], 1)}
                for name, process in self.processes.items()}


def percentiles_ms(latencies: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max/mean in milliseconds (None without enough turns)."""
    if len(latencies) < 2:
        return {key: None for key in ("p50", "p95", "p99", "max", "mean")}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    values = {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(latencies),
              "mean": statistics.fmean(latencies)}
    return {key: round(value * 1000, 1) for key, value in values.items()}


def ratio(value: float | None, reference: float | None) -> float | None:
    """value / reference, rounded to 2 places; None when either is missing or the reference is not positive."""
    if value is None or reference is None or reference <= 0:
        return None
    return round(value / reference, 2)


def rasa_rss_mb(stage: dict[str, Any]) -> float | None:
    """Resident memory of the stage's Rasa server(s) at its end, in MB: the sum over replicas named rasa*."""
    sizes = [process["rss_end_mb"] for name, process in stage.get("processes", {}).items() if name.startswith("rasa")]
    return sum(sizes) if sizes else None


def key_metrics(stage: dict[str, Any]) -> dict[str, float | None]:
    """The numbers of a stage summary that a comparison puts side by side."""
    latency = stage.get("latency_ms", {})
    return {"p50": latency.get("p50"), "p95": latency.get("p95"), "p99": latency.get("p99"),
            "messages_per_s": stage.get("messages_per_s"), "errors": stage.get("errors"),
            "rasa_server_rss_mb": rasa_rss_mb(stage)}


def compare(shape: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """Two stage summaries side by side (measured, reference) and their ratio for each compared number but errors."""
    mine, theirs = key_metrics(shape), key_metrics(reference)
    return {"measured": mine, "reference": theirs,
            "ratio": {key: ratio(mine[key], theirs[key]) for key in COMPARED if key != "errors"}}


def turn_window(turns: int, turn: int, window: int) -> range:
    """The 1-based turn numbers of a `window` of turns around `turn`, shifted to lie within 1..turns."""
    window = max(1, min(window, turns))
    start = max(1, turn - window // 2)
    start = min(start, turns - window + 1)
    return range(start, start + window)


def window_median_ms(latencies: list[float | None], turn: int, window: int) -> float | None:
    """Median latency (ms) of the successful turns in the window around `turn`; latencies[i] is turn i + 1."""
    if not latencies:
        return None
    values = [latencies[number - 1] for number in turn_window(len(latencies), turn, window)]
    values = [value for value in values if value is not None]
    return round(statistics.median(values) * 1000, 1) if values else None


def long_conversation_summary(latencies: list[float | None], early: int, late: int, window: int) -> dict[str, Any]:
    """Latency around an early turn against a late one of one conversation (None marks a failed turn)."""
    early_ms, late_ms = window_median_ms(latencies, early, window), window_median_ms(latencies, late, window)
    return {"turns": len(latencies), "window": window, "errors": sum(value is None for value in latencies),
            "early_turn": early, "late_turn": late, "early_ms": early_ms, "late_ms": late_ms,
            "late_over_early": ratio(late_ms, early_ms),
            "latencies_ms": [None if value is None else round(value * 1000, 1) for value in latencies]}
