"""The pytest suite, one subfolder per component (nlu, knowledge_base, actions, channels, review, e2e).

Shared session fixtures (trained model, real servers on loopback) live in tests/conftest.py.
"""
