"""The knowledge base (SPEC §10): articles saved from solutions as drafts, edited, published
and unpublished by technicians, each change kept as a revision; and the articles suggested
for a new ticket. Searching is workflow/kb_search.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import NotFound
from mailbot.workflow.kb_search import Hit, search
from mailbot.workflow.models import KbArticle, KbRevision, User

DRAFT, PUBLISHED = "draft", "published"
SUGGESTIONS = 3
SUGGESTION_TEXT_WORDS = 24  # a ticket's title and the start of its text: kb_words.MAX_TERMS

# The least relevance (kb_search.relevance, 0 … 1) of a suggested article. Measured by
# `bench/kb_quality.py` on tests/data/kb_corpus.json: the relevance of the expected article for
# the corpus's queries against the best relevance reached by its off-topic ones (docs/KB.md).
MIN_RELEVANCE = 0.5


def save_article(session: Session, *, title: str, content: str, ticket_id: int | None,
                 author_id: int | None, now: datetime, category: str | None = None,
                 status: str = DRAFT) -> KbArticle:
    """A new article (a draft unless said otherwise), with its first revision."""
    article = KbArticle(title=title, content=content, ticket_id=ticket_id, author_id=author_id, created_at=now,
                        status=status, category=category, updated_at=now)
    session.add(article)
    session.info[_EMPTY] = False
    _revise(article, "created", author_id, now)
    session.flush()
    return article


def edit(article: KbArticle, *, title: str, content: str, by: User | None, now: datetime,
         category: str | None = None) -> None:
    """Replace the title and text (and the category when one is given)."""
    article.title, article.content = title, content
    if category:
        article.category = category
    article.updated_at = now
    _revise(article, "edited", by.id if by else None, now)


def set_status(article: KbArticle, status: str, *, by: User | None, now: datetime) -> bool:
    """Publish or unpublish; False when the article already had that status (nothing kept)."""
    if article.status == status:
        return False
    article.status = status
    article.updated_at = now
    _revise(article, "published" if status == PUBLISHED else "unpublished", by.id if by else None, now)
    return True


def _revise(article: KbArticle, action: str, by_id: int | None, now: datetime) -> None:
    article.revisions.append(KbRevision(at=now, by_id=by_id, action=action, title=article.title,
                                        content=article.content, status=article.status, category=article.category))


def all_articles(session: Session) -> list[KbArticle]:
    return list(session.scalars(select(KbArticle).order_by(KbArticle.id)))


def get_article(session: Session, article_id: int) -> KbArticle:
    article = session.get(KbArticle, article_id)
    if article is None:
        raise NotFound(f"no knowledge-base article {article_id}")
    return article


def suggestions(session: Session, title: str, text: str = "", *, published_only: bool,
                limit: int = SUGGESTIONS) -> list[dict[str, Any]]:
    """Up to `limit` articles relevant to a new ticket, as plain values for the notification."""
    if _no_articles(session):
        return []
    query = " ".join([title, *text.split()[:SUGGESTION_TEXT_WORDS]])
    hits = search(session, query, published_only=published_only, limit=limit * 3)
    return [hit_json(hit) for hit in hits if hit.relevance >= MIN_RELEVANCE][:limit]


_EMPTY = "mailbot.kb_empty"


def _no_articles(session: Session) -> bool:
    """Whether the base has no article at all, so that a new ticket's suggestions need no search
    (four on SQLite): read once per session, which is one transaction (workflow/db.py), a batch
    of mails; an article saved in it (`save_article`) says otherwise at once."""
    if _EMPTY not in session.info:
        session.info[_EMPTY] = session.scalar(select(KbArticle.id).limit(1)) is None
    return bool(session.info[_EMPTY])


def hit_json(hit: Hit) -> dict[str, Any]:
    """A search result as plain values: `extract` keeps the kb_search START/STOP marks."""
    return {"id": hit.id, "title": hit.title, "status": hit.status, "category": hit.category,
            "extract": hit.extract, "score": round(hit.score, 4), "relevance": round(hit.relevance, 3)}


def article_json(article: KbArticle) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "content": article.content, "ticket": article.ticket_id,
            "status": article.status, "category": article.category,
            "created_at": article.created_at.isoformat(),
            "updated_at": article.updated_at.isoformat() if article.updated_at else None,
            "revisions": [{"at": r.at.isoformat(), "by": r.by.email if r.by else None, "action": r.action,
                           "title": r.title, "status": r.status, "category": r.category}
                          for r in article.revisions]}
