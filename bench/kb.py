"""Knowledge-base search, measured on SQLite and PostgreSQL:

- quality on the test corpus (tests/data/kb_corpus.txt, 216 articles; kb_queries.txt, 52 queries
  with the article expected first and 20 off-topic mails): first-place share, precision@3 (the
  share of queries whose expected article is among the first three), mean reciprocal rank, and
  the suggestion threshold sweep (kb.MIN_RELEVANCE): expected articles still suggested against
  off-topic mails given a suggestion;
- latency at 100,000 articles (the corpus varied and repeated): `kb_search.search` for every
  query, in one open session, median / p95 / max.

`bench/run --only kb` puts the summary in the benchmark table; `.venv/bin/python -m bench.kb
[--articles N]` prints the details."""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bench import machine
from bench.common import Context
from mailbot.workflow import kb
from mailbot.workflow.db import Database
from mailbot.workflow.kb_search import search
from mailbot.workflow.models import KbArticle
from tests import kb_corpus

ARTICLES = 100_000
TARGET_MS = 20.0
THRESHOLDS = (0.25, 0.375, 0.5, 0.625, 0.75)
BATCH = 5_000


def _databases(workdir: Path):  # type: ignore[no-untyped-def]
    """(label, URL context manager) for each engine."""
    from contextlib import nullcontext

    from bench import pg

    yield "SQLite", nullcontext(f"sqlite:///{workdir / 'kb.db'}")
    yield "PostgreSQL", pg.database("kb")


def quality(db: Database) -> tuple[kb_corpus.Quality, list[tuple[float, float, float]]]:
    """The corpus's quality, and for each threshold: (threshold, expected kept, off-topic suggested)."""
    keys = kb_corpus.load(db)
    found = kb_corpus.measure(db, keys)
    sweep = []
    with db.transaction() as session:
        outcomes = []
        for query in kb_corpus.queries():
            hits = search(session, query.text, published_only=True, limit=kb.SUGGESTIONS * 3)
            outcomes.append((query.expected, [(keys[h.id], h.relevance) for h in hits]))
    positives = sum(expected is not None for expected, _ in outcomes)
    negatives = len(outcomes) - positives
    for threshold in THRESHOLDS:
        kept = offtopic = 0
        for expected, hits in outcomes:
            suggested = [key for key, relevance in hits if relevance >= threshold][:kb.SUGGESTIONS]
            if expected is None:
                offtopic += bool(suggested)
            else:
                kept += expected in suggested
        sweep.append((threshold, kept / positives, offtopic / negatives))
    return found, sweep


def _fill(db: Database, count: int) -> float:
    """`count` articles made from the corpus (each varied by a few words of another); seconds taken."""
    rng = random.Random(12)
    corpus = kb_corpus.articles()
    words = [w for a in corpus for w in a.content.split() if len(w) > 3]
    started = time.perf_counter()
    with db.engine.begin() as connection:
        rows = []
        for n in range(count):
            article = corpus[n % len(corpus)]
            extra = " ".join(rng.choices(words, k=12))
            rows.append({"title": f"{article.title} ({n})", "content": f"{article.content} {extra}",
                         "category": article.category, "status": "published" if n % 4 else "draft",
                         "created_at": kb_corpus.NOW, "updated_at": kb_corpus.NOW})
            if len(rows) == BATCH:
                connection.execute(insert(KbArticle), rows)
                rows = []
        if rows:
            connection.execute(insert(KbArticle), rows)
    return time.perf_counter() - started


def latency(db: Database, count: int) -> tuple[float, dict[str, list[float]]]:
    """Fill to `count` articles, then time every query three times: a search as a technician
    makes it (drafts included, five articles) and as a requester's suggestions are made
    (published only); by kind of query: `search` (a few words), `mail` (a new ticket's title and
    text, the off-topic ones included)."""
    filled = _fill(db, count)
    if db.is_postgres:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE kb_articles")
    timings: dict[str, list[float]] = {"search": [], "mail": []}
    with db.transaction() as session:
        for query in kb_corpus.queries() * 3:
            search(session, query.text, limit=5)  # warm the cache for this query's pages
            for published_only in (False, True):
                started = time.perf_counter()
                search(session, query.text, published_only=published_only, limit=5 if not published_only else 9)
                timings["mail" if ". " in query.text else "search"].append((time.perf_counter() - started) * 1000)
    return filled, timings


def _spread(timings: list[float]) -> tuple[float, float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)], ordered[-1]


def measure(count: int, report) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, url_context in _databases(Path(tmp)):
            with url_context as url:
                db = Database(url)
                db.upgrade()
                found, sweep = quality(db)
                report(f"{label}: first {found.top1:.0%}, precision@3 {found.at3:.0%}, MRR {found.mrr:.2f}")
                for miss in found.misses:
                    report(f"  not in the first three: {miss}")
                report(f"  relevance of the expected article: min {min(found.expected_relevance):.2f},"
                       f" median {statistics.median(found.expected_relevance):.2f};"
                       f" best relevance of off-topic mails: max {max(found.offtopic_relevance):.2f},"
                       f" median {statistics.median(found.offtopic_relevance):.2f}")
                for threshold, kept, offtopic in sweep:
                    chosen = " <- kb.MIN_RELEVANCE" if threshold == kb.MIN_RELEVANCE else ""
                    report(f"  threshold {threshold:.3f}: expected article suggested {kept:.0%},"
                           f" off-topic mails given a suggestion {offtopic:.0%}{chosen}")
                filled, timings = latency(db, count)
                report(f"  {count:,} more articles written in {filled:.1f} s")
                results[label] = {"top1": found.top1, "at3": found.at3, "mrr": found.mrr}
                for kind, values in timings.items():
                    p50, p95, top = _spread(values)
                    report(f"  {kind}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms over {len(values)} searches")
                    results[label].update({f"{kind}_p50": p50, f"{kind}_p95": p95})
                db.dispose()
    return results


def run(ctx: Context) -> None:
    count = ARTICLES // 10 if ctx.quick else ARTICLES
    results = measure(count, lambda line: print(f"   {line}", flush=True))
    for label, r in results.items():
        ctx.add(f"kb precision@3 / first, {label}", f"{r['at3']:.0%} / {r['top1']:.0%}",
                note=f"52 queries on 216 articles (tests/data), MRR {r['mrr']:.2f}")
        for kind in ("search", "mail"):
            ctx.add(f"kb {kind} at {count:,} articles, {label}, p50 / p95",
                    f"{r[f'{kind}_p50']:.1f} / {r[f'{kind}_p95']:.1f} ms", f"p95 < {TARGET_MS:.0f} ms",
                    r[f"{kind}_p95"] < TARGET_MS)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kb", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=ARTICLES, help="articles for the latency measure")
    args = parser.parse_args()
    print("  " + " · ".join(f"{k}: {v}" for k, v in machine.describe().items()), flush=True)
    measure(args.articles, lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
