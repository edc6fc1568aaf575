"""Retrieval evaluation: hit@1, hit@3 and MRR of lexical, dense (each embedder) and hybrid over the labelled queries."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.api import KnowledgeBase
from knowledge_base.embedders import available_embedders, embedder_spec
from knowledge_base.index import REPO_ROOT

QUERIES_PATH = REPO_ROOT / "tests" / "knowledge_base" / "retrieval_queries.yml"
REPORT_PATH = REPO_ROOT / "reports" / "retrieval.json"
EVAL_INDEX_ROOT = REPO_ROOT / "var" / "eval-index"


def load_queries(path: Path = QUERIES_PATH) -> list[tuple[str, set[str]]]:
    """(query, relevant program ids) pairs of the labelled set."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    pairs = []
    for item in items:
        relevant = item["program"]
        pairs.append((item["q"], set(relevant if isinstance(relevant, list) else [relevant])))
    return pairs


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {"hit@1": round(sum(r == 1 for r in ranks) / n, 4),
            "hit@3": round(sum(r is not None and r <= 3 for r in ranks) / n, 4),
            "mrr": round(sum(1.0 / r for r in ranks if r) / n, 4)}


def score(kb: KnowledgeBase, queries: list[tuple[str, set[str]]], mode: str) -> dict[str, Any]:
    """hit@1, hit@3, MRR (first 10 programs) on all queries and on the held-out odd half, latency, misses at 3."""
    ranks: list[int | None] = []
    misses, started = [], time.perf_counter()
    for query, relevant in queries:
        ranking = [pid for pid, _ in kb.rank(query, mode)][:10]
        rank = next((i + 1 for i, pid in enumerate(ranking) if pid in relevant), None)
        ranks.append(rank)
        if not rank or rank > 3:
            misses.append({"query": query, "expected": sorted(relevant), "got": ranking[:3]})
    elapsed = time.perf_counter() - started
    return {**_metrics(ranks), "held_out": _metrics(ranks[1::2]),
            "ms_per_query": round(1000 * elapsed / len(queries), 2), "misses": misses}


def evaluate(embedders: list[str] | None = None, report_path: Path = REPORT_PATH) -> dict[str, Any]:
    """Score every method on the labelled set and write the report JSON; returns the report."""
    queries = load_queries()
    specs = embedders or available_embedders()
    rows: dict[str, dict[str, Any]] = {}
    for spec in specs:
        kb = KnowledgeBase.load(index_path=EVAL_INDEX_ROOT / spec.replace(":", "_").replace("/", "_"),
                                embedder=spec, progress=True)
        if "lexical" not in rows:
            rows["lexical"] = score(kb, queries, "lexical")
        rows[f"dense:{spec}"] = score(kb, queries, "dense")
        rows[f"hybrid:{spec}"] = score(kb, queries, "hybrid")
    report = {
        "queries": len(queries),
        "programs_labelled": len({pid for _, rel in queries for pid in rel}),
        "default_embedder": embedder_spec(),
        "methods": rows,
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return report


def table(report: dict[str, Any]) -> str:
    """The report as a plain text table."""
    lines = [f"{'method':<16}{'hit@1':>7}{'hit@3':>7}{'MRR':>7}  held-out hit@1/hit@3/MRR  {'ms/q':>6}"]
    for name, row in report["methods"].items():
        held = row["held_out"]
        lines.append(f"{name:<16}{row['hit@1']:>7.3f}{row['hit@3']:>7.3f}{row['mrr']:>7.3f}  "
                     f"{held['hit@1']:.3f} / {held['hit@3']:.3f} / {held['mrr']:.3f}     {row['ms_per_query']:>6.1f}")
    return "\n".join(lines)
