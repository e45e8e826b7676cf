"""The knowledge base: articles saved from solutions, and suggestions for a new ticket."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.workflow.models import KbArticle

_WORD = re.compile(r"\w{4,}")


def suggestions(session: Session, title: str, limit: int = 3) -> list[dict[str, Any]]:
    """Up to `limit` articles whose title shares a word of four letters or more with `title`."""
    words = sorted({w.lower() for w in _WORD.findall(title)}, key=len, reverse=True)[:5]
    if not words:
        return []
    rows = session.scalars(select(KbArticle).where(
        or_(*[KbArticle.title.ilike(f"%{w}%") for w in words])).order_by(KbArticle.id.desc()).limit(limit))
    return [{"id": a.id, "title": a.title} for a in rows]


def save_article(session: Session, *, title: str, content: str, ticket_id: int | None,
                 author_id: int | None, now: datetime) -> KbArticle:
    article = KbArticle(title=title, content=content, ticket_id=ticket_id, author_id=author_id, created_at=now)
    session.add(article)
    return article


def all_articles(session: Session) -> list[KbArticle]:
    return list(session.scalars(select(KbArticle).order_by(KbArticle.id)))


def get_article(session: Session, article_id: int) -> KbArticle:
    from mailbot.errors import NotFound

    article = session.get(KbArticle, article_id)
    if article is None:
        raise NotFound(f"no knowledge-base article {article_id}")
    return article


def article_json(article: KbArticle) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "content": article.content, "ticket": article.ticket_id,
            "created_at": article.created_at.isoformat()}
