"""Fixtures of the corpus tests: one migrated SQLite database, copied for each test."""

import pytest

from tests.corpus.glpi_desk import empty_database


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    return empty_database(tmp_path_factory.mktemp("schema"))
