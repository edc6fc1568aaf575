"""Staff pages (aiohttp sub-application mounted at /staff)."""

from __future__ import annotations

from aiohttp import web


def create_app() -> web.Application:
    """The staff sub-application."""
    app = web.Application()

    async def index(_: web.Request) -> web.Response:
        return web.Response(text="<h1>상담 검토</h1>", content_type="text/html")

    app.router.add_get("/", index)
    return app
