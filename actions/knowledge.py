"""The knowledge base, loaded once per action-server process (lazy singleton)."""

from __future__ import annotations

from knowledge_base import KnowledgeBase

_kb: KnowledgeBase | None = None


def get_kb() -> KnowledgeBase:
    """The process-wide KnowledgeBase (documents + index), loaded on first use."""
    global _kb
    if _kb is None:
        _kb = KnowledgeBase.load()
    return _kb


def use_kb(kb: KnowledgeBase | None) -> None:
    """Replace the process-wide KnowledgeBase (tests pass a small fake; None reloads on next use)."""
    global _kb
    _kb = kb
