"""The labelled query set and retrieval quality of the default (hybrid) configuration."""

from __future__ import annotations

from knowledge_base import KnowledgeBase
from knowledge_base.evaluate import load_queries, score


def test_query_set_is_large_and_labels_real_programs(kb: KnowledgeBase) -> None:
    queries = load_queries()
    assert len(queries) >= 150
    labelled = {pid for _, relevant in queries for pid in relevant}
    assert labelled <= set(kb.programs)
    assert len(labelled) >= 40
    assert len({q for q, _ in queries}) == len(queries)


def test_hybrid_meets_the_target_and_beats_each_single_method(kb: KnowledgeBase) -> None:
    queries = load_queries()
    hybrid, lexical, dense = (score(kb, queries, mode) for mode in ("hybrid", "lexical", "dense"))
    assert hybrid["hit@3"] >= 0.95
    for single in (lexical, dense):
        assert hybrid["mrr"] > single["mrr"]
        assert hybrid["hit@3"] >= single["hit@3"]
