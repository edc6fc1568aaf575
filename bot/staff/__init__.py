"""Staff review of logged conversations: review queue, relabelling, staff answers to unanswered questions, export,
handoff inbox and analytics.

Owns the `python -m bot.staff` CLI and the aiohttp staff pages mounted at /staff by bot/deploy/website.py.
"""
