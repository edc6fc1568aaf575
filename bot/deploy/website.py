"""The demo website on :8080: the page with the chat widget (channels/web/static) and the staff pages at /staff."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot.paths import REPO_ROOT
from bot.server.rasa_api import default_rasa_url
from bot.staff.web import create_app as create_staff_app

STATIC_DIR = REPO_ROOT / "channels" / "web" / "static"
STAFF_PREFIX = "/staff"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STRICT_DIRECTIVES = ["object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"]
STAFF_POLICY = "; ".join([
    "default-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", *STRICT_DIRECTIVES,
])
"""The staff pages load nothing but their own server's (bot/staff/web.py may set its own policy first)."""


def content_security_policy(rasa_url: str) -> str:
    """Own scripts only; the widget may talk to the Rasa server (socket.io over HTTP polling or a websocket)."""
    rasa = urlsplit(rasa_url)
    websocket = "wss" if rasa.scheme == "https" else "ws"
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: https:",
        f"connect-src 'self' {rasa.scheme}://{rasa.netloc} {websocket}://{rasa.netloc}", *STRICT_DIRECTIVES,
    ])


def security_headers(rasa_url: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Middleware adding the security headers to every answer, errors and redirects included.

    The staff pages get a stricter policy and are never cached.
    """
    common = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
    site_policy = content_security_policy(rasa_url)

    def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        staff = request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/")
        for name, value in common.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", STAFF_POLICY if staff else site_policy)
        if staff:
            response.headers["Cache-Control"] = "no-store"

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            add_headers(request, error)
            raise
        add_headers(request, response)
        return response

    return middleware


def create_app(rasa_url: str, socket_url: str | None = None) -> web.Application:
    """Serve the widget page, its configuration and the staff sub-application, with security headers.

    The staff pages call the Rasa HTTP API at `rasa_url`; browsers open the widget's socket.io connection to
    `socket_url` (the same server by default; the public load balancer in the production shape).
    """
    socket_url = socket_url or rasa_url
    app = web.Application(client_max_size=64 * 1024, middlewares=[security_headers(socket_url)])

    async def widget_config(_: web.Request) -> web.Response:
        return web.json_response({"socketUrl": socket_url})

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def index(_: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    app.router.add_get("/healthz", health)
    app.router.add_get("/widget-config.json", widget_config)
    app.router.add_get("/", index)
    app.add_subapp(STAFF_PREFIX, create_staff_app(rasa_url=rasa_url))
    app.router.add_static("/", STATIC_DIR)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default=default_rasa_url(), help="Rasa HTTP API for the staff pages")
    parser.add_argument("--socket-url", help="where browsers reach the Rasa socket.io channel (default: --rasa-url)")
    args = parser.parse_args()
    web.run_app(create_app(args.rasa_url, args.socket_url), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
