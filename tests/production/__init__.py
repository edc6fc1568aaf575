"""Tests of the production shape: several Rasa servers and action servers behind nginx, sharing PostgreSQL
and Redis (bot/deploy/production.py), all started on loopback by the tests."""
