"""The knowledge base on the web desk: the search (`/kb?q=…`, workflow/kb_search.py) and an
article's page (`/kb/N`). Pages only read; technicians change articles by mail (`mailto:`
links of `#kb publish/unpublish/edit N`, actions.py).

Access is checked here, on the server: technicians see every article, drafts included; anyone
else only published ones. A draft's page is a 404 for them, exactly like an article that does
not exist, so guessing numbers tells nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.web.actions import article_actions
from mailbot.web.base import Desk
from mailbot.workflow.kb import PUBLISHED
from mailbot.workflow.kb_search import START, STOP, search
from mailbot.workflow.models import KbArticle

RESULTS = 20
QUERY_MAX = 200  # characters of a query kept (the search reads its first words only anyway)
_MARKED = re.compile(f"{START}([^{START}{STOP}]*){STOP}")


def highlighted(extract: str) -> Markup:
    """The extract as HTML: everything escaped, then the search's marks (and only they) become
    `<mark>`; a stray mark character of the article's own text is dropped."""
    safe = str(escape(extract))
    safe = _MARKED.sub(r"<mark>\1</mark>", safe)
    return Markup(safe.replace(START, "").replace(STOP, ""))


@dataclass(frozen=True)
class Result:
    id: int
    title: str
    category: str | None
    status: str
    extract: Markup


def routes(desk: Desk) -> list[Route]:
    def results(request: Request) -> Response:
        viewer = desk.require(request)
        query = " ".join(request.query_params.get("q", "").split())[:QUERY_MAX]
        found: list[Result] = []
        if query:
            with desk.app.db.transaction() as session:
                hits = search(session, query, published_only=not viewer.is_technician, limit=RESULTS)
            found = [Result(h.id, h.title, h.category, h.status, highlighted(h.extract)) for h in hits]
        return desk.page(request, "kb_results.html", viewer, query=query, results=found)

    def article(request: Request) -> Response:
        viewer = desk.require(request)
        with desk.app.db.transaction() as session:
            found = session.get(KbArticle, request.path_params["article_id"])
            if found is None or (found.status != PUBLISHED and not viewer.is_technician):
                raise HTTPException(404)
            revisions = [(r.at, r.action, (r.by.name or r.by.email) if r.by else None)
                         for r in found.revisions] if viewer.is_technician else []
            actions = (article_actions(desk.settings.helpdesk_address, found.id, found.title, found.content,
                                       found.status, desk.language(viewer)) if viewer.is_technician else [])
            return desk.page(request, "kb_article.html", viewer, article=found, revisions=revisions,
                             actions=actions)

    return [Route("/kb", results), Route("/kb/{article_id:int}", article)]
