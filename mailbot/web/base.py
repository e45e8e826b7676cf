"""What every page of the web desk shares: the mailbot App, the templates, the signed-in
viewer read from the session cookie, rendering in the viewer's language, and 404 for
everything a viewer may not see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mailbot.app import App
from mailbot.web.auth import Viewer, session_viewer
from mailbot.web.limits import SignInLimits
from mailbot.web.render import environment
from mailbot.web.texts import texts

COOKIE = "mailbot_session"
# No script, no frame, nothing from elsewhere: the pages are HTML and one style sheet.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' mailto:; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # sign-in links and feed URLs carry secrets: never sent on to another site. Not `no-referrer`:
    # with it browsers post forms with `Origin: null`, and check_origin would refuse our own forms.
    "Referrer-Policy": "same-origin",
}


LANGUAGES = ("fr", "en")


def browser_language(header: str) -> str | None:
    """The first of LANGUAGES a browser's Accept-Language prefers (`en-GB,en;q=0.9,fr;q=0.8`)."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    return next((tag for _q, _p, tag in sorted(ranked) if tag in LANGUAGES), None)


class NotSignedIn(Exception):
    """Raised by a page that needs a signed-in viewer; answered by a redirect to the form."""


class Desk:
    """The web desk's shared state, built once per server from the App."""

    def __init__(self, app: App, *, strict_templates: bool = False, limits: SignInLimits | None = None):
        self.app = app
        self.settings = app.settings
        self.env = environment(strict=strict_templates)
        self.limits = limits or SignInLimits()

    def now(self) -> datetime:
        return self.app.clock()

    def viewer(self, request: Request) -> Viewer | None:
        with self.app.db.transaction() as session:
            return session_viewer(session, request.cookies.get(COOKIE), self.now())

    def require(self, request: Request, *, technician: bool = False) -> Viewer:
        """The signed-in viewer; not signed in: to the sign-in form; `technician` pages are a
        404 for anyone else (a requester learns nothing of what exists)."""
        viewer = self.viewer(request)
        if viewer is None:
            raise NotSignedIn()
        if technician and not viewer.is_technician:
            raise HTTPException(404)
        return viewer

    def language(self, viewer: Viewer | None, request: Request | None = None) -> str:
        """The viewer's language; before signing in, the browser's (Accept-Language); else
        MAILBOT_LANGUAGE."""
        if viewer is not None and viewer.language in LANGUAGES:
            return viewer.language
        if viewer is None and request is not None:
            asked = browser_language(request.headers.get("accept-language", ""))
            if asked:
                return asked
        return self.settings.language

    def page(self, request: Request, template: str, viewer: Viewer | None, status_code: int = 200,
             **context: Any) -> HTMLResponse:
        language = self.language(viewer, request)
        html = self.env.get_template(template).render(
            t=texts(language), language=language, timezone=self.settings.tz, viewer=viewer,
            helpdesk=self.settings.helpdesk_address, helpdesk_name=self.settings.helpdesk_name,
            path=request.url.path, **context)
        return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})

    def url(self, request: Request, path: str) -> str:
        """An absolute URL for mails and feeds: MAILBOT_WEB_URL when set, else this request's own."""
        base = self.settings.web_url or str(request.base_url).rstrip("/")
        return f"{base}{path}"

    def check_origin(self, request: Request) -> None:
        """A form posted from another site is refused (403): browsers name the page a POST comes
        from in `Origin`; the session cookie's SameSite=Lax covers browsers that do not."""
        origin = request.headers.get("origin")
        if origin is None:
            return
        allowed = {str(request.base_url).rstrip("/")}
        if self.settings.web_url:
            allowed.add(self.settings.web_url)
        if origin.rstrip("/") not in allowed:
            raise HTTPException(403)

    def secure(self, request: Request) -> bool:
        """Cookies are Secure when the desk is reached over HTTPS (directly or behind a proxy)."""
        return request.url.scheme == "https" or self.settings.web_base_url.startswith("https://")


def to_signin() -> Response:
    return RedirectResponse("/signin", status_code=303)
