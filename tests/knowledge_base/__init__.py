"""Tests of the knowledge base: documents, index, retrieval, eligibility, CLI and embedders."""
