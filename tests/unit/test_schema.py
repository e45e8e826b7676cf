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


DESK_INDEXES = {"ix_tickets_new", "ix_tickets_in_progress_id"}  # 0008


def _ticket_indexes(connection) -> set[str]:
    return {i["name"] for i in inspect(connection).get_indexes("tickets")}


def test_the_migrations_are_one_chain_that_goes_down_and_up_again(tmp_path):
    """0001 → … → 0004 (knowledge base) → 0005 (inventory) → 0006 (web desk) → …: one head, the
    one the application checks for, every file a step of the chain, and every step reversible."""
    from alembic import command

    from mailbot.workflow.db import HEAD_REVISION

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    chain = [s.revision for s in script.walk_revisions("base", "heads")]
    files = sorted(path.name[:4] for path in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert chain == sorted(files, reverse=True)  # every file, newest first
    assert [script.get_revision(r).down_revision for r in chain[:-1]] == chain[1:]  # one line, no branch
    assert chain[0] == HEAD_REVISION and chain[-1] == "0001"
    db = Database(f"sqlite:///{tmp_path / 'chain.db'}")
    db.upgrade()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        assert DESK_INDEXES & _ticket_indexes(connection) == set()
        command.downgrade(config, "0003")
        assert {"machines", "kb_revisions"} & set(inspect(connection).get_table_names()) == set()
        command.upgrade(config, "head")
        assert {"machines", "kb_revisions"} <= set(inspect(connection).get_table_names())
        assert DESK_INDEXES <= _ticket_indexes(connection)
    db.dispose()
