"""Rasa-sdk custom actions: thin adapters from the conversation tracker to the knowledge base and handoff store.
Owns the intake form validation, recommendations, program answers, fast track, fallback, handoff and sessions."""
