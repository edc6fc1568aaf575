"""Training data (bot/data), end-to-end conversation tests (bot/tests) and the command-line verbs (`python -m bot`).

Its other roles live in subpackages: server/ (inside the Rasa server), staff/ (the staff application), deploy/
(running it as a service). Imports run verbs → deploy → staff → server; bot.paths and bot.training are leaves.
"""
