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


def test_articles_saved_before_the_upgrade_stay_published_and_are_found(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from mailbot.workflow.db import MIGRATIONS_DIR
    from mailbot.workflow.kb_search import search

    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(text("INSERT INTO kb_articles (title, content, created_at) VALUES"
                                " ('Imprimante bloquée', 'Retirer la feuille.', '2026-11-01 10:00:00')"))
    assert database.upgrade() is True
    with database.transaction() as session:
        [hit] = search(session, "imprimantes", published_only=True)
    assert (hit.title, hit.status) == ("Imprimante bloquée", "published")
    database.dispose()
