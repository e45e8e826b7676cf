"""Full-text search of the knowledge base, one interface over the database's own engine:
SQLite FTS5 on the embedded default, PostgreSQL full-text search in production.

`search(session, text)` gives the best articles first, each with an extract of its text where
the words found are marked (`START` … `STOP`; `marked()` swaps the marks for the reader's own).
The index is kept in step with the articles by the database itself (migration 0004): FTS5
triggers on SQLite, a generated `tsvector` column on PostgreSQL, so that no writer of an
article can forget it.

Both engines answer the same query, made of the same terms (workflow/kb_words.py), in the same
steps (`search`): articles holding every term, then the first three, then any; each step ranked
by the engine, title and category weighing more than the text. SQLite ranks with BM25 and looks
the Snowball stems up as prefixes; PostgreSQL stems with its `french` and `english`
configurations (accents removed by `unaccent`) and ranks with `ts_rank`. Whether an article is
relevant enough to suggest is mailbot's own measure, the same on both (`relevance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from mailbot.workflow.kb_words import COMPOUND_STEMS, COMPOUNDS, MIN_PREFIX, Terms, terms

START, STOP = "\x02", "\x03"  # around each word found, in `Hit.extract`
EXTRACT_WORDS = 16


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    status: str  # draft, published
    category: str | None
    extract: str  # a few words of the text around what was found, with START/STOP marks
    score: float  # the engine's rank, higher is better, on the engine's own scale
    relevance: float = 0.0  # 0 … 1, the same on every engine: see `relevance`


def marked(extract: str, start: str = "*", stop: str = "*") -> str:
    """The extract with its marks written as `start` and `stop`."""
    return extract.replace(START, start).replace(STOP, stop)


# The most articles ranked for one query. A query matching more (a common word on a very large
# knowledge base) is ranked among WINDOW of its matches, which keeps every search fast
# (bench/kb.py): the newest on SQLite, the first in the table's order on PostgreSQL (mostly the
# oldest). Below that, every match is ranked.
WINDOW = 1000
FIRST_WORDS = 3  # the narrower "all of these words" step of `search`
PREFIX_MAX = 6  # the longest prefix the SQLite index keeps (migration 0004: prefix='3 4 5 6')


class Engine(Protocol):
    def search(self, session: Session, query: Terms, *, published_only: bool, limit: int,
               every: bool = False, scoring: Terms | None = None) -> list[Hit]:
        """The best `limit` articles matching any of the query's terms (`every`: all of them), best
        first; their relevance to `scoring` (default: the query)."""


class SqliteEngine:
    # Ranking first, over the index alone; the extract and text only for the articles kept
    # (SQLite would otherwise build them for every article found before sorting).
    RANKED = """
        SELECT id, rank FROM (
            SELECT kb_search.rowid AS id, bm25(kb_search, 8.0, 1.0, 4.0) AS rank FROM kb_search {join}
            WHERE kb_search MATCH :match {published} ORDER BY kb_search.rowid DESC LIMIT :window)
        ORDER BY rank, id DESC LIMIT :limit"""
    DETAILS = """
        SELECT a.id, a.title, a.content, a.status, a.category,
               snippet(kb_search, 1, :start, :stop, '…', :words) AS extract
        FROM kb_search JOIN kb_articles a ON a.id = kb_search.rowid
        WHERE kb_search MATCH :match AND kb_search.rowid IN ({ids})"""

    def search(self, session: Session, query: Terms, *, published_only: bool, limit: int,
               every: bool = False, scoring: Terms | None = None) -> list[Hit]:
        match = (" AND " if every else " OR ").join(self._item(s) for s in query.stems)
        ranked = session.execute(text(self.RANKED.format(
            join="JOIN kb_articles a ON a.id = kb_search.rowid" if published_only else "",
            published="AND a.status = 'published'" if published_only else "")),
            {"match": match, "limit": limit, "window": WINDOW}).all()
        if not ranked:
            return []
        ids = ",".join(str(int(r.id)) for r in ranked)
        rows = {r.id: r for r in session.execute(text(self.DETAILS.format(ids=ids)), {
            "match": match, "start": START, "stop": STOP, "words": EXTRACT_WORDS})}
        return [Hit(r.id, r.title, r.status, r.category, r.extract, -rank.rank,
                    relevance(scoring or query, r.title, r.content, r.category))
                for rank in ranked if (r := rows.get(rank.id)) is not None]

    @staticmethod
    def _item(stem: str) -> str:
        item = f'"{stem[:PREFIX_MAX]}"*' if len(stem) >= MIN_PREFIX else f'"{stem}"'
        pieces = COMPOUND_STEMS.get(stem)
        return f'({item} OR "{" ".join(pieces)}")' if pieces else item


class PostgresEngine:
    # The matches first, through the index of the words (a fence: else the planner may walk
    # back through every article, whose cost depends on how well it guesses the number of
    # matches; measured up to 2 s on 100,000 articles), the first WINDOW of them in the order the
    # table keeps them (stopping there saves reading the others: sorting them by age first cost
    # twice as much on 100,000 articles), ranked; then the extract for the articles kept.
    SQL = """
        WITH q AS (SELECT to_tsquery('mailbot_french', :words) || to_tsquery('mailbot_english', :words) AS query),
        found AS MATERIALIZED (SELECT a.id FROM kb_articles a, q WHERE a.search_vector @@ q.query {published}
                               LIMIT :window),
        top AS (
            SELECT a.id, ts_rank(a.search_vector, q.query) AS score FROM found JOIN kb_articles a ON a.id = found.id, q
            ORDER BY score DESC, a.id DESC LIMIT :limit)
        SELECT a.id, a.title, a.content, a.status, a.category, top.score,
               ts_headline('mailbot_french', a.content, q.query, :options) AS extract
        FROM top JOIN kb_articles a ON a.id = top.id, q
        ORDER BY top.score DESC, a.id DESC"""
    OPTIONS = (f"StartSel={START}, StopSel={STOP}, MaxWords={EXTRACT_WORDS}, MinWords={EXTRACT_WORDS // 2},"
               " MaxFragments=1, ShortWord=2")

    def search(self, session: Session, query: Terms, *, published_only: bool, limit: int,
               every: bool = False, scoring: Terms | None = None) -> list[Hit]:
        words = (" & " if every else " | ").join(
            f"({w} | {' <-> '.join(COMPOUNDS[w])})" if w in COMPOUNDS else w for w in query.words)
        sql = self.SQL.format(published="AND a.status = 'published'" if published_only else "")
        rows = session.execute(text(sql), {"words": words, "options": self.OPTIONS, "limit": limit,
                                           "window": WINDOW})
        return [Hit(r.id, r.title, r.status, r.category, r.extract, float(r.score),
                    relevance(scoring or query, r.title, r.content, r.category)) for r in rows]


TEXT_WEIGHT = 0.5  # a query word found in the text only counts half of one found in the title
FULL_MATCH_TERMS = 4  # this many query words found in the title: fully relevant


def relevance(query: Terms, title: str, content: str, category: str | None) -> float:
    """How well an article answers a query, from 0 to 1, computed by mailbot from the words
    themselves so that it means the same on every engine (the engines' ranks do not: BM25
    depends on the number of articles, ts_rank does not).

    Each query stem found in the article's title or category counts 1, in its text only
    TEXT_WEIGHT, divided by the number of query stems up to FULL_MATCH_TERMS: a one-word
    search found in a title is fully relevant; a long ticket text needs a few words in common.
    A stem is found when an article word's stem starts with it, as the SQLite index finds it."""
    if not query.stems:
        return 0.0
    heading = set(terms(f"{title} {category or ''}", limit=10_000).stems)
    body = set(terms(content, limit=10_000).stems) - heading
    found = 0.0
    for wanted in query.stems:
        if _found(wanted, heading):
            found += 1.0
        elif _found(wanted, body):
            found += TEXT_WEIGHT
    return min(1.0, found / min(len(query.stems), FULL_MATCH_TERMS))


def _found(wanted: str, stems: set[str]) -> bool:
    if wanted in stems:
        return True
    return len(wanted) >= MIN_PREFIX and any(s.startswith(wanted) for s in stems)


ENGINES: dict[str, Engine] = {"sqlite": SqliteEngine(), "postgresql": PostgresEngine()}


def engine_for(session: Session) -> Engine:
    dialect = session.get_bind().dialect.name
    try:
        return ENGINES[dialect]
    except KeyError:
        raise NotImplementedError(f"no knowledge-base search for {dialect} databases") from None


def search(session: Session, query: str, *, published_only: bool = False, limit: int = 5) -> list[Hit]:
    """The best articles for the words of `query` (drafts too, unless `published_only`).

    Articles holding every word come first, then those holding the first three (a new
    ticket's title comes first in its query), then those holding any. Each step is asked only
    when the ones before found fewer than `limit`: the narrow ones are cheap on a large base,
    where one common word alone matches thousands of articles."""
    wanted = terms(query)
    if not wanted:
        return []
    engine = engine_for(session)
    steps = [Terms(wanted.words[:n], wanted.stems[:n]) for n in (len(wanted.stems), FIRST_WORDS)
             if 1 < n <= len(wanted.stems)]
    hits: list[Hit] = []
    for step in dict.fromkeys(steps):
        found = engine.search(session, step, published_only=published_only, limit=limit, every=True,
                              scoring=wanted)
        hits += [hit for hit in found if hit.id not in {h.id for h in hits}]
        if len(hits) >= limit:
            return hits[:limit]
    found = engine.search(session, wanted, published_only=published_only, limit=limit)
    return (hits + [hit for hit in found if hit.id not in {h.id for h in hits}])[:limit]
