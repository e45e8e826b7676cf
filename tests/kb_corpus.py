"""The knowledge-base test corpus (tests/data/kb_corpus.txt, kb_queries.txt): articles a
school helpdesk writes, and queries with the article expected first. Used by the quality
test (tests/unit/test_kb_quality.py) and the benchmark (bench/kb.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailbot.workflow import kb
from mailbot.workflow.db import Database
from mailbot.workflow.kb_search import search

DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Article:
    key: str
    category: str
    language: str
    title: str
    content: str


@dataclass(frozen=True)
class Query:
    expected: str | None  # the key of the article expected first; None: off-topic
    text: str


def articles() -> list[Article]:
    found: list[Article] = []
    blocks = (DATA / "kb_corpus.txt").read_text(encoding="utf-8").split("\n@ ")[1:]
    for block in blocks:
        header, title, *text = block.strip().splitlines()
        key, category, language = header.split()
        found.append(Article(key, category, language, title.strip(), " ".join(t.strip() for t in text).strip()))
    return found


def queries() -> list[Query]:
    found: list[Query] = []
    for line in (DATA / "kb_queries.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, text = line.partition("|")
        found.append(Query(None if key.strip() == "-" else key.strip(), text.strip()))
    return found


def load(db: Database) -> dict[int, str]:
    """Every article, published, into a migrated database; article id -> corpus key."""
    keys: dict[int, str] = {}
    with db.transaction() as session:
        for article in articles():
            saved = kb.save_article(session, title=article.title, content=article.content, ticket_id=None,
                                    author_id=None, now=NOW, category=article.category, status=kb.PUBLISHED)
            keys[saved.id] = article.key
    return keys


@dataclass(frozen=True)
class Quality:
    top1: float  # share of the queries whose expected article comes first
    at3: float  # … is among the first three (precision@3 as reported in docs/KB.md)
    mrr: float  # mean reciprocal rank of the expected article (0 when not in the first ten)
    expected_relevance: list[float]  # relevance of the expected article, for each query that found it
    offtopic_relevance: list[float]  # best relevance of any article, for each off-topic query
    misses: list[str]  # the queries whose expected article is not among the first three


def measure(db: Database, keys: dict[int, str]) -> Quality:
    ranks: list[int | None] = []
    expected_relevance: list[float] = []
    offtopic_relevance: list[float] = []
    misses: list[str] = []
    with db.transaction() as session:
        for query in queries():
            hits = search(session, query.text, published_only=True, limit=10)
            if query.expected is None:
                offtopic_relevance.append(max((h.relevance for h in hits), default=0.0))
                continue
            found = [keys[h.id] for h in hits]
            rank = found.index(query.expected) + 1 if query.expected in found else None
            ranks.append(rank)
            if rank is not None:
                expected_relevance.append(hits[rank - 1].relevance)
            if rank is None or rank > 3:
                misses.append(f"{query.expected} (rank {rank}): {query.text[:60]} -> {found[:3]}")
    n = len(ranks)
    return Quality(top1=sum(r == 1 for r in ranks) / n, at3=sum(r is not None and r <= 3 for r in ranks) / n,
                   mrr=sum(1 / r for r in ranks if r) / n, expected_relevance=expected_relevance,
                   offtopic_relevance=offtopic_relevance, misses=misses)
