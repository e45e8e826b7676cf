"""The knowledge-base search on the test corpus, on PostgreSQL: the floors of
tests/unit/test_kb_quality.py."""

import pytest

from mailbot.workflow import kb
from mailbot.workflow.db import Database
from tests import kb_corpus

pytestmark = pytest.mark.integration


def test_the_corpus_is_found_as_well_on_postgres(postgres_url):
    db = Database(postgres_url)
    db.upgrade()
    measured = kb_corpus.measure(db, kb_corpus.load(db))
    db.dispose()
    assert measured.at3 >= 0.9, measured.misses
    assert measured.top1 >= 0.8
    assert all(r < kb.MIN_RELEVANCE for r in measured.offtopic_relevance)
