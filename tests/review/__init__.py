"""Tests of the conversation log, PII masking, staff review pages and CLI, and the retrain/gate/promote loop.

Uses a real SQLite file and a real PostgreSQL server started on loopback (bot/deploy/local_services.py).
"""
