"""Knowledge base: the agency's program documents (programs/*.md), their validator, embedders, hybrid index,
eligibility rules and the search/answer API plus CLI used by the actions. Imports nothing from rasa."""

from knowledge_base.api import Answer, Hit, KnowledgeBase
from knowledge_base.documents import Program

__all__ = ["Answer", "Hit", "KnowledgeBase", "Program"]
