"""Full-text search of the knowledge base, one interface over the database's own engine:
SQLite FTS5 on the embedded default, PostgreSQL full-text search in production.

`search(session, text)` gives the best articles first, each with an extract of its text where
the words found are marked (`START` … `STOP`; `marked()` swaps the marks for the reader's own).
The index is kept in step with the articles by the database itself (migration 0004): FTS5
triggers on SQLite, a generated `tsvector` column on PostgreSQL, so that no writer of an
article can forget it.

Both engines answer the same query, made of the same terms (workflow/kb_words.py): any of the
terms (OR), ranked by relevance, title and category weighing more than the text. SQLite ranks
with BM25 and looks the Snowball stems up as prefixes; PostgreSQL stems with its `french` and
`english` configurations (accents removed by `unaccent`) and ranks with `ts_rank`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from mailbot.workflow.kb_words import MIN_PREFIX, Terms, terms

START, STOP = "\x02", "\x03"  # around each word found, in `Hit.extract`
EXTRACT_WORDS = 16


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    status: str  # draft, published
    category: str | None
    extract: str  # a few words of the text around what was found, with START/STOP marks
    score: float  # higher is better; the scale is the engine's own (see kb.relevance)


def marked(extract: str, start: str = "*", stop: str = "*") -> str:
    """The extract with its marks written as `start` and `stop`."""
    return extract.replace(START, start).replace(STOP, stop)


class Engine(Protocol):
    def search(self, session: Session, query: Terms, *, published_only: bool, limit: int) -> list[Hit]:
        """The best `limit` articles matching any of the query's terms, best first."""


class SqliteEngine:
    SQL = """
        SELECT a.id, a.title, a.status, a.category,
               snippet(kb_search, 1, :start, :stop, '…', :words) AS extract,
               bm25(kb_search, 8.0, 1.0, 4.0) AS rank
        FROM kb_search JOIN kb_articles a ON a.id = kb_search.rowid
        WHERE kb_search MATCH :match {published}
        ORDER BY rank LIMIT :limit"""

    def search(self, session: Session, query: Terms, *, published_only: bool, limit: int) -> list[Hit]:
        match = " OR ".join(f'"{s}"*' if len(s) >= MIN_PREFIX else f'"{s}"' for s in query.stems)
        sql = self.SQL.format(published="AND a.status = 'published'" if published_only else "")
        rows = session.execute(text(sql), {"match": match, "start": START, "stop": STOP, "words": EXTRACT_WORDS,
                                           "limit": limit})
        return [Hit(r.id, r.title, r.status, r.category, r.extract, -r.rank) for r in rows]


class PostgresEngine:
    SQL = """
        WITH q AS (SELECT to_tsquery('mailbot_french', :words) || to_tsquery('mailbot_english', :words) AS query),
        top AS (
            SELECT a.id, ts_rank(a.search_vector, q.query) AS score
            FROM kb_articles a, q
            WHERE a.search_vector @@ q.query {published}
            ORDER BY score DESC, a.id LIMIT :limit)
        SELECT a.id, a.title, a.status, a.category, top.score,
               ts_headline('mailbot_french', a.content, q.query, :options) AS extract
        FROM top JOIN kb_articles a ON a.id = top.id, q
        ORDER BY top.score DESC, a.id"""
    OPTIONS = (f"StartSel={START}, StopSel={STOP}, MaxWords={EXTRACT_WORDS}, MinWords={EXTRACT_WORDS // 2},"
               " MaxFragments=1, ShortWord=2")

    def search(self, session: Session, query: Terms, *, published_only: bool, limit: int) -> list[Hit]:
        sql = self.SQL.format(published="AND a.status = 'published'" if published_only else "")
        rows = session.execute(text(sql), {"words": " | ".join(query.words), "options": self.OPTIONS,
                                           "limit": limit})
        return [Hit(r.id, r.title, r.status, r.category, r.extract, float(r.score)) for r in rows]


ENGINES: dict[str, Engine] = {"sqlite": SqliteEngine(), "postgresql": PostgresEngine()}


def engine_for(session: Session) -> Engine:
    dialect = session.get_bind().dialect.name
    try:
        return ENGINES[dialect]
    except KeyError:
        raise NotImplementedError(f"no knowledge-base search for {dialect} databases") from None


def search(session: Session, query: str, *, published_only: bool = False, limit: int = 5) -> list[Hit]:
    """The best articles for the words of `query` (drafts too, unless `published_only`)."""
    wanted = terms(query)
    if not wanted:
        return []
    return engine_for(session).search(session, wanted, published_only=published_only, limit=limit)
