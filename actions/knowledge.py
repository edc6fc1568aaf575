"""The knowledge base of the action server: KnowledgeBase.load() per call, which is cached per process until a
document (a program, a guide or a staff answer) changes, so a staff answer is used from the next message on."""

from __future__ import annotations

from knowledge_base import KnowledgeBase

_fake: KnowledgeBase | None = None


def get_kb() -> KnowledgeBase:
    """The current KnowledgeBase (documents + index); reloaded only when a document changed."""
    return _fake if _fake is not None else KnowledgeBase.load()


def use_kb(kb: KnowledgeBase | None) -> None:
    """Use `kb` instead of the real knowledge base (tests pass a small fake; None goes back to the real one)."""
    global _fake
    _fake = kb
