"""The web desk as an ASGI application (Starlette) and its server (uvicorn): built from the
App by `build_app`, served on MAILBOT_WEB_LISTEN by `WebThread`, a thread of `mailbot run`
or of `mailbot web` (whose main thread waits for SIGTERM/Ctrl-C, as `mailbot run` does)."""

from __future__ import annotations

import errno
import logging
import socket
import threading

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.web import feeds, kb, pages, signin
from mailbot.web.base import SECURITY_HEADERS, Desk, NotSignedIn, to_signin

log = logging.getLogger("mailbot.web")


def build_app(app: App, *, desk: Desk | None = None) -> Starlette:
    desk = desk or Desk(app)

    def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status in (403, 405):
            return Response(status_code=status)
        viewer = desk.viewer(request)
        return desk.page(request, "message.html", viewer, 404, title="not_found_title", message="not_found",
                         home=viewer is not None)

    def signed_out(_request: Request, _exc: Exception) -> Response:
        return to_signin()

    return Starlette(
        routes=[*signin.routes(desk), *pages.routes(desk), *kb.routes(desk), *feeds.routes(desk),
                Mount("/static", StaticFiles(packages=[("mailbot.web", "static")]), name="static")],
        exception_handlers={HTTPException: not_found, NotSignedIn: signed_out},
        middleware=[Middleware(SecurityHeaders)],
    )


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every answer that does not set them itself."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def bind(settings_listen: str, address: tuple[str, int]) -> socket.socket:
    """The listening socket, or one line naming MAILBOT_WEB_LISTEN when the port is taken."""
    host, port = address
    try:
        family, kind, proto, _name, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
    except OSError as exc:
        reason = "already in use by another program" if getattr(exc, "errno", None) == errno.EADDRINUSE else exc.strerror or exc
        raise MailbotError(f"MAILBOT_WEB_LISTEN: cannot listen on {settings_listen}: {reason} "
                          "(choose another HOST:PORT, or set it empty to turn the web desk off)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(app: App) -> tuple[uvicorn.Server, socket.socket]:
    address = app.settings.web_address
    assert address is not None, "the web desk is off (MAILBOT_WEB_LISTEN is empty)"
    sock = bind(app.settings.web_listen, address)
    config = uvicorn.Config(build_app(app), log_level="warning", access_log=False, proxy_headers=True,
                            server_header=False, lifespan="off")
    return uvicorn.Server(config), sock


class WebThread:
    """The web desk in a thread of `mailbot run`; the port is bound (or refused) in `start`."""

    def __init__(self, app: App):
        self.app = app
        self.server, self.sock = _server(app)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="web-desk", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        for _ in range(int(timeout * 20)):
            if self.server.started or not self.thread.is_alive():
                break
            threading.Event().wait(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
