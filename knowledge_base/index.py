"""The on-disk chunk index: embeddings cached by content hash, a FAISS index and the BM25 tokens."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from knowledge_base.documents import Chunk, Program, chunk_program
from knowledge_base.embedders import Embedder
from knowledge_base.lexical import BM25, TOKENIZER_VERSION, tokenize

FORMAT_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX_DIR = REPO_ROOT / "var" / "index"
FLAT_MAX_ENV = "KB_FLAT_MAX"
DEFAULT_FLAT_MAX = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 96


def index_dir(path: str | Path | None = None) -> Path:
    """The index folder: the argument, else env KB_INDEX_DIR, else var/index in the repository."""
    return Path(path or os.environ.get("KB_INDEX_DIR") or DEFAULT_INDEX_DIR)


def flat_max() -> int:
    """Largest chunk count served by an exact flat index (env KB_FLAT_MAX); above it HNSW is used."""
    return int(os.environ.get(FLAT_MAX_ENV, DEFAULT_FLAT_MAX))


def build_faiss(vectors: np.ndarray, limit: int | None = None) -> faiss.Index:
    """IndexFlatIP up to `limit` vectors, IndexHNSWFlat (inner product) above it."""
    dim = vectors.shape[1]
    if len(vectors) <= (flat_max() if limit is None else limit):
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def corpus_key(chunks: Sequence[Chunk], embedder_name: str) -> str:
    """Hash of everything the index depends on: the chunk texts, the embedder, the tokenizer and the format."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}\n{embedder_name}\n{TOKENIZER_VERSION}\n".encode())
    for chunk in chunks:
        digest.update(chunk.key.encode())
    return digest.hexdigest()


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class BuildReport:
    """What a build did."""

    chunks: int
    programs: int
    guides: int
    embedded: int
    reused: int
    rebuilt: bool
    index_type: str
    seconds: float

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class ChunkIndex:
    """Chunks of all programs with their dense (FAISS) and lexical (BM25) indexes."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]],
                 dense: faiss.Index | None = None) -> None:
        self.chunks = chunks
        self.vectors = vectors
        self.tokens = tokens
        self.faiss = dense if dense is not None else build_faiss(vectors)
        if isinstance(self.faiss, faiss.IndexHNSWFlat):
            self.faiss.hnsw.efSearch = HNSW_EF_SEARCH
        self.bm25 = BM25(tokens)

    @property
    def index_type(self) -> str:
        return "hnsw" if isinstance(self.faiss, faiss.IndexHNSWFlat) else "flat"

    def dense_top(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk row, cosine) of the k nearest chunks."""
        scores, rows = self.faiss.search(query_vector.reshape(1, -1).astype(np.float32), min(k, len(self.chunks)))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def _read_cache(folder: Path, embedder_name: str) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Vectors and tokens of the previous build, keyed by chunk hash (vectors only if the embedder is the same)."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return {}, {}
    try:
        manifest = json.loads(manifest_path.read_text())
        keys = [c["key"] for c in manifest["chunks"]]
        tokens = json.loads((folder / "tokens.json").read_text())
        token_cache = dict(zip(keys, tokens, strict=True)) if manifest.get("tokenizer") == TOKENIZER_VERSION else {}
        if manifest.get("embedder") != embedder_name or manifest.get("version") != FORMAT_VERSION:
            return {}, token_cache
        vectors = np.load(folder / "vectors.npy")
        return dict(zip(keys, vectors, strict=True)), token_cache
    except (OSError, ValueError, KeyError):
        return {}, {}


def is_current(folder: Path, chunks: Sequence[Chunk], embedder_name: str) -> bool:
    """True when the saved index matches these chunks and this embedder."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("corpus_key") == corpus_key(chunks, embedder_name)


def build(programs: Sequence[Program], embedder: Embedder, folder: Path, progress: bool = True) -> BuildReport:
    """Embed only chunks whose content hash is new, then write vectors, tokens and the FAISS index to `folder`."""
    with _locked(folder):
        return _build(programs, embedder, folder, progress)


def _build(programs: Sequence[Program], embedder: Embedder, folder: Path, progress: bool) -> BuildReport:
    started = time.perf_counter()
    chunks = [chunk for program in programs for chunk in chunk_program(program)]
    vector_cache, token_cache = _read_cache(folder, embedder.name)
    missing = [c for c in chunks if c.key not in vector_cache]
    texts = list(dict.fromkeys(c.embedding_text for c in missing))  # a text shared by two chunks is embedded once
    fresh: dict[str, np.ndarray] = {}
    batch = 16
    bar = tqdm(total=len(texts), desc=f"embedding chunks ({embedder.name})", unit="chunk",
               disable=not progress or not texts)
    for start in range(0, len(texts), batch):
        part = texts[start:start + batch]
        fresh.update(zip(part, embedder.embed_documents(part), strict=True))
        bar.update(len(part))
    bar.close()
    vector_cache.update({c.key: fresh[c.embedding_text] for c in missing})
    vectors = np.stack([vector_cache[c.key] for c in chunks]).astype(np.float32)
    tokens = [token_cache.get(c.key) or tokenize(c.text) for c in chunks]
    index = build_faiss(vectors)
    tmp = folder / "tmp"
    tmp.mkdir(exist_ok=True)
    np.save(tmp / "vectors.npy", vectors)
    (tmp / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False))
    faiss.write_index(index, str(tmp / "faiss.index"))
    index_type = "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"
    manifest = {
        "version": FORMAT_VERSION,
        "embedder": embedder.name,
        "dim": int(vectors.shape[1]),
        "index_type": index_type,
        "tokenizer": TOKENIZER_VERSION,
        "corpus_key": corpus_key(chunks, embedder.name),
        "chunks": [{"program_id": c.program_id, "section": c.section, "key": c.key} for c in chunks],
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    for name in ("vectors.npy", "tokens.json", "faiss.index", "manifest.json"):  # manifest last: it marks completion
        os.replace(tmp / name, folder / name)
    return BuildReport(
        chunks=len(chunks), programs=sum(not p.is_guide for p in programs), guides=sum(p.is_guide for p in programs),
        embedded=len(texts), reused=len(chunks) - len(missing),
        rebuilt=bool(missing), index_type=index_type, seconds=round(time.perf_counter() - started, 3),
    )


def open_index(programs: Sequence[Program], embedder: Embedder, folder: Path, progress: bool = False) -> ChunkIndex:
    """Load the saved index, (re)building it first when it is missing, stale or made by another embedder."""
    chunks = [chunk for program in programs for chunk in chunk_program(program)]
    with _locked(folder):
        if not is_current(folder, chunks, embedder.name):
            _build(programs, embedder, folder, progress)
        vectors = np.load(folder / "vectors.npy")
        tokens = json.loads((folder / "tokens.json").read_text())
        dense = faiss.read_index(str(folder / "faiss.index"))
    return ChunkIndex(chunks, vectors, tokens, dense)
