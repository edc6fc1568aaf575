"""Scale benchmark: build time, memory and hybrid query latency at 1k/10k/100k chunks (synthetic scale-up)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from knowledge_base.api import KnowledgeBase
from knowledge_base.documents import Chunk
from knowledge_base.embedders import Embedder
from knowledge_base.evaluate import load_queries
from knowledge_base.index import REPO_ROOT, ChunkIndex, flat_max

REPORT_PATH = REPO_ROOT / "reports" / "retrieval_bench.json"
SIZES = (1_000, 10_000, 100_000)
NOISE = 0.03


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class _Precomputed(Embedder):
    """Serves query vectors computed beforehand, so latency can be measured without the embedding model."""

    def __init__(self, vectors: dict[str, np.ndarray], dim: int) -> None:
        self.name, self.dim, self._vectors = "precomputed", dim, vectors

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors[text]


def synthetic(base: ChunkIndex, tokens: list[list[str]], size: int, rng: np.random.Generator
              ) -> tuple[list[Chunk], np.ndarray, list[list[str]]]:
    """`size` chunks made from the real ones: copies with noisy vectors, a random 80% of their tokens, new ids."""
    picks = rng.integers(0, len(base.chunks), size)
    vectors = base.vectors[picks] + rng.normal(0, NOISE, (size, base.vectors.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks, token_lists = [], []
    for n, row in enumerate(picks):
        chunk = base.chunks[row]
        chunks.append(Chunk(f"{chunk.program_id}#{n // len(base.chunks)}", chunk.section, chunk.text))
        kept = [t for t in tokens[row] if rng.random() < 0.8]
        token_lists.append(kept or tokens[row])
    return chunks, vectors, token_lists


def bm25_bytes(index: ChunkIndex) -> int:
    """Bytes held by the BM25 sparse matrix."""
    matrix = index.bm25.matrix
    return int(matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes)


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 3), "p95_ms": round(float(np.percentile(values, 95)), 3)}


def bench(sizes: tuple[int, ...] = SIZES, report_path: Path = REPORT_PATH, rounds: int = 2) -> dict[str, Any]:
    """Measure every size and write the report JSON; returns the report."""
    kb = KnowledgeBase.load()
    real = kb.index
    queries = [q for q, _ in load_queries()]
    started = time.perf_counter()
    query_vectors = {q: kb.embedder.embed_query(q) for q in queries}
    query_embed_ms = 1000 * (time.perf_counter() - started) / len(queries)
    sample = [c.text for c in real.chunks[:64]]
    started = time.perf_counter()
    kb.embedder.embed_documents(sample)
    chunk_embed_ms = 1000 * (time.perf_counter() - started) / len(sample)
    rng = np.random.default_rng(0)
    results = []
    for size in sizes:
        chunks, vectors, token_lists = synthetic(real, real.tokens, size, rng)
        before = rss_mb()
        started = time.perf_counter()
        index = ChunkIndex(chunks, vectors, token_lists)
        build_s = time.perf_counter() - started
        memory = rss_mb() - before
        scaled = KnowledgeBase([], index, _Precomputed(query_vectors, real.vectors.shape[1]))
        excluded, included = [], []
        for _ in range(rounds):
            for query in queries:
                t0 = time.perf_counter()
                scaled.rank(query)
                excluded.append(time.perf_counter() - t0)
        live = KnowledgeBase([], index, kb.embedder)
        for query in queries:
            t0 = time.perf_counter()
            live.rank(query)
            included.append(time.perf_counter() - t0)
        results.append({
            "chunks": size,
            "index_type": index.index_type,
            "index_build_s": round(build_s, 3),
            "embedding_build_s_estimated": round(size * chunk_embed_ms / 1000, 1),
            "rss_growth_mb": round(memory, 1),
            "index_mb": round((faiss.serialize_index(index.faiss).nbytes + bm25_bytes(index)) / 2**20, 1),
            "query_excluding_embedding": _percentiles(excluded),
            "query_including_embedding": _percentiles(included),
        })
        del chunks, vectors, token_lists, index, scaled, live
    report = {
        "embedder": kb.embedder.name,
        "dim": int(real.vectors.shape[1]),
        "real_chunks": len(real.chunks),
        "flat_max": flat_max(),
        "queries_per_size": len(queries),
        "query_embedding_ms_mean": round(query_embed_ms, 2),
        "chunk_embedding_ms_mean": round(chunk_embed_ms, 2),
        "cpu_count": os.cpu_count(),
        "results": results,
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return report
