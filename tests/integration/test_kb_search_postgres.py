"""Knowledge-base search on PostgreSQL (french and english configurations, unaccent): the same
behaviour as on SQLite (tests/kb_cases.py)."""

import pytest
from sqlalchemy import inspect

from mailbot.workflow.db import Database
from tests.kb_cases import CASES

pytestmark = pytest.mark.integration


@pytest.fixture
def db(postgres_url):
    database = Database(postgres_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__.removeprefix("check_"))
def test_search_on_postgres(db, case):
    case(db)


def test_the_migration_goes_down_and_up_again(db):
    from alembic import command
    from alembic.config import Config

    from mailbot.workflow.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        assert "kb_revisions" not in inspect(connection).get_table_names()
        assert "search_vector" not in {c["name"] for c in inspect(connection).get_columns("kb_articles")}
        command.upgrade(config, "head")
        assert "kb_revisions" in inspect(connection).get_table_names()
        assert "search_vector" in {c["name"] for c in inspect(connection).get_columns("kb_articles")}
