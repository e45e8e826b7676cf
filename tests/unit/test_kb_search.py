"""Knowledge-base search on SQLite (FTS5): the behaviour of tests/kb_cases.py, and the words
a query is made of."""

import pytest

from mailbot.workflow.db import Database
from mailbot.workflow.kb_words import fold, terms
from tests.kb_cases import CASES


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'kb.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__.removeprefix("check_"))
def test_search_on_sqlite(db, case):
    case(db)


def test_a_query_keeps_the_meaningful_words_folded_and_stemmed():
    query = terms("Bonjour, l'imprimante de la salle 203 n'imprime plus. Merci, Wi-Fi !")
    assert query.words == ("imprimante", "wifi")  # `salle`: every school mail says it; one word per stem
    assert query.stems == ("imprim", "wif")
    assert query.phrases == (("wi", "fi"),)  # how the articles' `Wi-Fi` is indexed


def test_accents_and_case_are_folded():
    assert fold("Clé USB Élève") == "cle usb eleve"


def test_a_long_text_gives_at_most_the_first_terms():
    query = terms(" ".join(f"mot{n}x" for n in range(100)), limit=5)
    assert query.words == tuple(f"mot{n}x" for n in range(5))
