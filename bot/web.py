"""The demo website on :8080: the page with the chat widget (channels/web/static) and the staff pages at /staff."""

from __future__ import annotations

import argparse

from aiohttp import web

from bot.paths import REPO_ROOT
from bot.rasa_api import default_rasa_url
from bot.review.web import create_app as create_staff_app

STATIC_DIR = REPO_ROOT / "channels" / "web" / "static"


def create_app(rasa_url: str) -> web.Application:
    """Serve the widget page, its configuration and the staff sub-application."""
    app = web.Application(client_max_size=64 * 1024)

    async def widget_config(_: web.Request) -> web.Response:
        return web.json_response({"socketUrl": rasa_url})

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def index(_: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    app.router.add_get("/healthz", health)
    app.router.add_get("/widget-config.json", widget_config)
    app.router.add_get("/", index)
    app.add_subapp("/staff", create_staff_app(rasa_url=rasa_url))
    app.router.add_static("/", STATIC_DIR)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default=default_rasa_url())
    args = parser.parse_args()
    web.run_app(create_app(args.rasa_url), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
