"""Sign-in by mail: the address form, the one-time link (sent through the outbox as the
`sign_in_link` answer), its confirmation button, the session cookie and signing out.

A stranger's address gets the same page as a known one and no mail. Asking too often for
one address (any address, known or not) quietly sends nothing more; too often from one
client gets a "too many requests" page. The link only shows a button: the POST of that
button uses it up, so that a mail scanner opening links does not spend it. The link's address is
MAILBOT_WEB_URL (else MAILBOT_WEB_LISTEN), never the request's Host: a forged Host would
otherwise send a person's link to another server."""

from __future__ import annotations

import logging
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mailbot.web.auth import (
    LINK_MINUTES,
    create_link,
    end_session,
    known_person,
    links_sent_since,
    redeem_link,
    valid_link,
)
from mailbot.web.base import COOKIE, Desk
from mailbot.workflow.events import Answer

log = logging.getLogger("mailbot.web")

# links stored for one person in the last LINK_MINUTES: a second limit that survives restarts
MAX_LINKS_PER_PERSON = 5


def routes(desk: Desk) -> list[Route]:
    def form(request: Request) -> Response:
        if desk.viewer(request) is not None:
            return RedirectResponse("/", status_code=303)
        return desk.page(request, "signin.html", None)

    async def ask(request: Request) -> Response:
        desk.check_origin(request)
        address = str((await request.form()).get("email") or "").strip()[:320]
        client = request.client.host if request.client else "?"
        if not desk.limits.client_allowed(client):
            log.warning("sign-in: too many requests from %s", client)
            return desk.page(request, "message.html", None, 429, title="too_many_title", message="too_many")
        if address and desk.limits.address_allowed(address):
            await run_in_threadpool(send_link, request, address)
        else:
            log.warning("sign-in: too many links asked for %r; none sent", address)
        return desk.page(request, "message.html", None, title="signin_sent_title", message="signin_sent")

    def send_link(request: Request, address: str) -> None:
        now = desk.now()
        with desk.app.db.transaction() as session:
            user = known_person(session, address)
            if user is None:
                log.info("sign-in: unknown address %r; no mail", address)
                return
            if links_sent_since(session, user.id, now - timedelta(minutes=LINK_MINUTES)) >= MAX_LINKS_PER_PERSON:
                log.warning("sign-in: %d links for %s lately; none sent", MAX_LINKS_PER_PERSON, user.email)
                return
            secret = create_link(session, user, now)
            answer = Answer("sign_in_link", user.email, None, user.language,
                            {"link": f"{desk.settings.web_base_url}/signin/{secret}", "minutes": LINK_MINUTES})
            row = desk.app.outbox.record_answer(session, answer, now)
            session.flush()
            pending = [row.id] if row is not None and row.status == "pending" else []
        desk.app.enqueue(pending)
        log.info("sign-in: link sent to %s", user.email)

    def confirm(request: Request) -> Response:
        with desk.app.db.transaction() as session:
            link = valid_link(session, request.path_params["token"], desk.now())
        if link is None:
            return desk.page(request, "message.html", None, 410, title="signin_bad_title", message="signin_bad",
                             again=True)
        return desk.page(request, "signin_confirm.html", None)

    def redeem(request: Request) -> Response:
        desk.check_origin(request)
        with desk.app.db.transaction() as session:
            cookie = redeem_link(session, request.path_params["token"], desk.now(), desk.settings.web_session_days)
        if cookie is None:
            return desk.page(request, "message.html", None, 410, title="signin_bad_title", message="signin_bad",
                             again=True)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, cookie, max_age=int(desk.settings.web_session_days * 86400), httponly=True,
                            secure=desk.secure(request), samesite="lax", path="/")
        return response

    def signout(request: Request) -> Response:
        desk.check_origin(request)
        with desk.app.db.transaction() as session:
            end_session(session, request.cookies.get(COOKIE))
        response = desk.page(request, "message.html", None, title="signout", message="signed_out", again=True)
        response.delete_cookie(COOKIE, path="/", httponly=True, secure=desk.secure(request), samesite="lax")
        return response

    return [Route("/signin", form, methods=["GET"]), Route("/signin", ask, methods=["POST"]),
            Route("/signin/{token}", confirm, methods=["GET"]), Route("/signin/{token}", redeem, methods=["POST"]),
            Route("/signout", signout, methods=["POST"])]
