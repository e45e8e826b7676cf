"""The pages of the web desk: the technician's home page (tabs and tables of SPEC §9 and the
coming days' planning), "Mes demandes", a ticket's page, its documents, and the week's
planning. Pages only read; every action is a `mailto:` link (actions.py).

Access is checked here for every page and file, on the server: a ticket, or a document of a
ticket, that the viewer may not read (views.may_read) is a 404, exactly like one that does
not exist, so guessing numbers tells nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from mailbot.web.actions import approval_links, technician_actions
from mailbot.web.auth import Viewer
from mailbot.web.base import Desk
from mailbot.web.timeline import time_spent, timeline
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.machines import item_label
from mailbot.workflow.models import Document, Ticket, User
from mailbot.workflow.planning import planned_tasks
from mailbot.workflow.views import DESK_VIEWS, desk_tables, may_read, requested_table

HOME_PLANNING_DAYS = 7
HOME_PLANNING_TASKS = 20
WEEK_TASKS = 500  # a week view with more is cut (the calendar feed has them all)


def _user(session: Session, viewer: Viewer) -> User:
    user = session.get(User, viewer.id)
    if user is None:  # removed while signed in
        raise HTTPException(404)
    return user


def _readable_ticket(session: Session, ticket_id: int, viewer: Viewer) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not may_read(ticket, _user(session, viewer)):
        raise HTTPException(404)
    return ticket


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def routes(desk: Desk) -> list[Route]:
    tz = desk.settings.tz

    def home(request: Request) -> Response:
        viewer = desk.require(request)
        if not viewer.is_technician:
            return RedirectResponse("/requests", status_code=303)
        view = request.query_params.get("view", "personal")
        if view not in DESK_VIEWS:
            raise HTTPException(404)
        now = desk.now()
        with desk.app.db.transaction() as session:
            tables = desk_tables(session, view, _user(session, viewer))
            planning = planned_tasks(session, now, now + timedelta(days=HOME_PLANNING_DAYS), user_id=viewer.id,
                                     limit=HOME_PLANNING_TASKS)
        return desk.page(request, "home.html", viewer, view=view, views=DESK_VIEWS, tables=tables, planning=planning)

    def requests_page(request: Request) -> Response:
        viewer = desk.require(request)
        with desk.app.db.transaction() as session:
            table = requested_table(session, _user(session, viewer))
        s = desk.settings
        approvals = {row.id: approval_links(s.helpdesk_address, s.subject_tag, row.id)
                     for row in table.rows if row.status == "solved"}
        return desk.page(request, "requests.html", viewer, table=table, approvals=approvals)

    def ticket_page(request: Request) -> Response:
        viewer = desk.require(request)
        technician = viewer.is_technician
        with desk.app.db.transaction() as session:
            ticket = _readable_ticket(session, request.path_params["ticket_id"], viewer)
            entries = timeline(ticket, technician=technician)
            context: dict[str, Any] = {
                "ticket": ticket, "entries": entries, "spent": time_spent(ticket, technician=technician),
                "observers": [u.name or u.email for u in ticket.observers],
                "assignees": [u.name or u.email for u in ticket.assignees],
                "items": [item_label(i, desk.language(viewer)) for i in ticket.items],
                "actions": technician_actions(desk.settings.helpdesk_address, desk.settings.subject_tag, ticket.id,
                                              ticket.title, ticket.status, desk.language(viewer)) if technician else [],
                "approval": (approval_links(desk.settings.helpdesk_address, desk.settings.subject_tag, ticket.id)
                             if ticket.status == "solved" and ticket.requester_id == viewer.id else None),
            }
            return desk.page(request, "ticket.html", viewer, **context)

    def document(request: Request) -> Response:
        viewer = desk.require(request)
        with desk.app.db.transaction() as session:
            doc = session.get(Document, request.path_params["document_id"])
            if doc is None:
                raise HTTPException(404)
            _readable_ticket(session, doc.ticket_id, viewer)
            filename, content_type, sha256 = doc.filename, doc.content_type, doc.sha256
        path = DocumentStore(desk.settings.documents_dir).path_for(sha256)
        if not path.is_file():
            raise HTTPException(404)
        # always a download: a stored HTML or SVG file never runs as a page of the desk
        return FileResponse(path, media_type=content_type or "application/octet-stream", filename=filename,
                            content_disposition_type="attachment",
                            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})

    def planning(request: Request) -> Response:
        viewer = desk.require(request, technician=True)
        try:
            asked = date.fromisoformat(request.query_params["week"]) if "week" in request.query_params else None
        except ValueError:
            raise HTTPException(404) from None
        monday = week_start(asked or desk.now().astimezone(tz).date())
        start = datetime.combine(monday, time(), tz)
        stop = datetime.combine(monday + timedelta(days=7), time(), tz)
        with desk.app.db.transaction() as session:
            tasks = planned_tasks(session, start, stop, user_id=viewer.id, group_id=viewer.group_id, limit=WEEK_TASKS)
        days = []
        for offset in range(7):
            day_start = datetime.combine(monday + timedelta(days=offset), time(), tz)
            day_stop = day_start + timedelta(days=1)
            days.append((day_start, [t for t in tasks if t.begin < day_stop and t.end > day_start]))
        return desk.page(request, "planning.html", viewer, days=days, monday=start,
                         previous=(monday - timedelta(days=7)).isoformat(), next=(monday + timedelta(days=7)).isoformat())

    return [Route("/", home), Route("/requests", requests_page), Route("/tickets/{ticket_id:int}", ticket_page),
            Route("/documents/{document_id:int}/{filename:path}", document), Route("/planning", planning)]
