"""Staff review of logged conversations: review queue, relabelling, staff answers to unanswered questions, export,
handoff inbox and analytics.

Owns the `python -m bot.staff` CLI and the aiohttp staff pages mounted at /staff by bot/deploy/website.py: routes in
web.py, login and the guard middleware in auth.py, the answer page in answers.py, rendering in pages.py with one
Jinja2 template per page in templates/; data in store.py (queue, decisions) and records.py (tables, audit log, model
registry).
"""
