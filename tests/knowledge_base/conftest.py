"""Fixtures for the knowledge base tests: a built index in a temporary folder, and small document folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from knowledge_base import KnowledgeBase
from knowledge_base.documents import DEFAULT_PROGRAMS_DIR

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SMALL_SET = ("emergency-management-stabilization.md", "youth-startup-fund.md", "export-incubator.md")


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index folder shared by the session (the real documents, default embedder)."""
    return tmp_path_factory.mktemp("kb-index")


@pytest.fixture(scope="session")
def kb(index_path: Path) -> KnowledgeBase:
    """The knowledge base over the real documents, built once per session."""
    return KnowledgeBase.load(index_path=index_path)


@pytest.fixture
def small_programs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable folder with three real documents (and no guides, so the index holds just these)."""
    monkeypatch.setenv("KB_GUIDES_DIR", str(tmp_path / "no-guides"))
    folder = tmp_path / "programs"
    folder.mkdir()
    for name in SMALL_SET:
        shutil.copy(DEFAULT_PROGRAMS_DIR / name, folder / name)
    return folder
