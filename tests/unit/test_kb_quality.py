"""The knowledge-base search on the test corpus (216 articles, 52 queries, 20 off-topic mails,
tests/data): floors under the numbers bench/kb.py prints and docs/KB.md reports, on SQLite."""

import pytest

from mailbot.workflow import kb
from mailbot.workflow.db import Database
from tests import kb_corpus


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}")
    db.upgrade()
    quality = kb_corpus.measure(db, kb_corpus.load(db))
    db.dispose()
    return quality


def test_the_corpus_is_as_large_as_documented():
    assert len(kb_corpus.articles()) >= 200
    assert {a.language for a in kb_corpus.articles()} == {"fr", "en"}
    assert sum(q.expected is not None for q in kb_corpus.queries()) >= 50


def test_the_expected_article_is_among_the_first_three_for_nine_queries_in_ten(measured):
    assert measured.at3 >= 0.9, measured.misses
    assert measured.top1 >= 0.8


def test_off_topic_mails_get_no_suggestion_and_found_articles_nearly_always_do(measured):
    assert all(r < kb.MIN_RELEVANCE for r in measured.offtopic_relevance)
    kept = sum(r >= kb.MIN_RELEVANCE for r in measured.expected_relevance)
    assert kept / len(measured.expected_relevance) >= 0.9
