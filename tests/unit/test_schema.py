"""The schema: migrations build exactly the models, and the up-to-date check knows the newest one."""

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from mailbot.web import models as _web_models  # noqa: F401 - the web desk's tables are checked too
from mailbot.workflow.db import HEAD_REVISION, MIGRATIONS_DIR, Database
from mailbot.workflow.models import Base


def test_the_head_revision_constant_is_alembics_newest_migration():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_migrations_create_every_table_index_and_column_of_the_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    assert db.upgrade() is True
    assert db.upgrade() is False  # the second time there is nothing to do
    schema = inspect(db.engine)
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in schema.get_columns(table.name)} == {c.name for c in table.columns}
        assert {i["name"] for i in schema.get_indexes(table.name)} >= {i.name for i in table.indexes}
    db.dispose()
