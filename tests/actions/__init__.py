"""Unit tests of the rasa-sdk actions against tracker fixtures and a small fake knowledge base."""
