"""Feeds and calendar at personal URLs: the RSS and Atom feeds of a technician's views
(personal, group, global) made with feedgen, and the `.ics` calendar of their planned tasks
made with icalendar (outbound/calendar.py). The URL holds a token (auth.FeedToken) its owner renews or deletes on
the feeds page; a wrong or old token is a 404. Every answer has an ETag and a Last-Modified,
and a conditional GET whose answer did not change gets 304 without the body being built."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from feedgen.feed import FeedGenerator
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mailbot.outbound.calendar import planning_calendar
from mailbot.web.auth import Viewer, feed_token_since, feed_viewer, renew_feed_token, revoke_feed_token
from mailbot.web.base import Desk
from mailbot.web.render import item_text
from mailbot.web.texts import texts
from mailbot.workflow.models import User
from mailbot.workflow.planning import PlannedTask, planned_tasks
from mailbot.workflow.states import LABELS
from mailbot.workflow.views import DeskTable, desk_tables

FEED_VIEWS = ("personal", "group", "global")
FORMATS = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
CALENDAR_PAST_DAYS, CALENDAR_FUTURE_DAYS = 30, 365
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def conditional(request: Request, key: str, modified: datetime, media_type: str, build: Any) -> Response:
    """The answer built by `build()`, or 304 when the client's copy is still `key`'s."""
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
               "Cache-Control": "private, no-cache"}
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    return Response(build(), media_type=media_type, headers=headers)


def _feed(desk: Desk, request: Request, viewer: Viewer, view: str, tables: list[DeskTable], fmt: str) -> bytes:
    language = desk.language(viewer)
    words = texts(language)
    view_name = words[f"tab_{view}"]
    feed = FeedGenerator()
    feed.id(desk.url(request, f"/?view={view}"))
    feed.title(words["feed_title"].format(view=view_name, name=desk.settings.helpdesk_name or words["desk"]))
    feed.link(href=desk.url(request, f"/?view={view}"), rel="alternate")
    feed.description(view_name)
    feed.language(language)
    rows = sorted({row.id: row for table in tables for row in table.rows}.values(),
                  key=lambda row: (row.updated_at, row.id))
    feed.updated(max((row.updated_at for row in rows), default=EPOCH))
    for row in rows:
        entry = feed.add_entry(order="prepend")  # newest first
        url = desk.url(request, f"/tickets/{row.id}")
        status = LABELS[language].get(row.status, row.status)
        entry.id(url)
        entry.title(f"#{row.id} {row.title} ({status})")
        entry.link(href=url)
        entry.updated(row.updated_at)
        entry.author(name=row.requester, email=row.requester_email)
        details = [f"{words['col_requester']} : {row.requester}" if language == "fr" else
                   f"{words['col_requester']}: {row.requester}",
                   words["followups_tasks"].format(followups=row.followups, tasks=row.tasks)]
        if row.items:
            details.append(", ".join(item_text(item, language) for item in row.items))
        entry.description(" — ".join(details))
    return feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)


def _calendar(desk: Desk, request: Request, viewer: Viewer, tasks: list[PlannedTask]) -> bytes:
    words = texts(desk.language(viewer))
    return planning_calendar(tasks, name=f"{words['planning']} – {viewer.name or viewer.email}",
                             domain=desk.settings.helpdesk_address.rpartition("@")[2] or "localhost",
                             ticket_url=lambda ticket_id: desk.url(request, f"/tickets/{ticket_id}"))


def routes(desk: Desk) -> list[Route]:
    def feeds_page(request: Request) -> Response:
        viewer = desk.require(request, technician=True)
        with desk.app.db.transaction() as session:
            since = feed_token_since(session, viewer.id)
        return desk.page(request, "feeds.html", viewer, since=since, token=None)

    def renew(request: Request) -> Response:
        desk.check_origin(request)
        viewer = desk.require(request, technician=True)
        with desk.app.db.transaction() as session:
            token = renew_feed_token(session, viewer.id, desk.now())
        links = {view: {fmt: desk.url(request, f"/feeds/{token}/{view}.{fmt}") for fmt in FORMATS}
                 for view in FEED_VIEWS}
        return desk.page(request, "feeds.html", viewer, since=desk.now(), token=token, links=links,
                         calendar=desk.url(request, f"/feeds/{token}/planning.ics"), views=FEED_VIEWS)

    def revoke(request: Request) -> Response:
        desk.check_origin(request)
        viewer = desk.require(request, technician=True)
        with desk.app.db.transaction() as session:
            revoke_feed_token(session, viewer.id)
        return RedirectResponse("/feeds", status_code=303)

    def _token_viewer(request: Request) -> Viewer:
        with desk.app.db.transaction() as session:
            viewer = feed_viewer(session, request.path_params["token"])
        if viewer is None or not viewer.is_technician:
            raise HTTPException(404)
        return viewer

    def view_feed(request: Request) -> Response:
        view, fmt = request.path_params["view"], request.path_params["fmt"]
        if view not in FEED_VIEWS or fmt not in FORMATS:
            raise HTTPException(404)
        viewer = _token_viewer(request)
        with desk.app.db.transaction() as session:
            me = session.get(User, viewer.id)
            assert me is not None  # the token's row goes with its user
            tables = desk_tables(session, view, me)
        rows = [(row.id, row.status, row.updated_at.isoformat(), row.followups, row.tasks)
                for table in tables for row in table.rows]
        modified = max((row.updated_at for table in tables for row in table.rows), default=EPOCH)
        key = f"{view}|{fmt}|{desk.language(viewer)}|{rows}"
        return conditional(request, key, modified, FORMATS[fmt],
                           lambda: _feed(desk, request, viewer, view, tables, fmt))

    def calendar(request: Request) -> Response:
        viewer = _token_viewer(request)
        now = desk.now()
        with desk.app.db.transaction() as session:
            tasks = planned_tasks(session, now - timedelta(days=CALENDAR_PAST_DAYS),
                                  now + timedelta(days=CALENDAR_FUTURE_DAYS), user_id=viewer.id)
        key = repr([(t.task_id, t.begin, t.end, t.state, t.content, t.ticket_title) for t in tasks])
        modified = max((t.created_at for t in tasks), default=EPOCH)
        return conditional(request, key, modified, "text/calendar; charset=utf-8",
                           lambda: _calendar(desk, request, viewer, tasks))

    return [Route("/feeds", feeds_page, methods=["GET"]), Route("/feeds/renew", renew, methods=["POST"]),
            Route("/feeds/revoke", revoke, methods=["POST"]),
            Route("/feeds/{token}/planning.ics", calendar),
            Route("/feeds/{token}/{view}.{fmt}", view_feed)]
