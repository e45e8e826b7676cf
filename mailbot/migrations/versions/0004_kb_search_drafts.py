"""knowledge base: drafts, categories and revisions; the full-text index (FTS5 on SQLite,
a generated tsvector on PostgreSQL, French and English, accents ignored)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Articles saved before drafts existed were already shown to requesters: they stay published.
SQLITE_INDEX = [
    """CREATE VIRTUAL TABLE kb_search USING fts5(title, content, category, content='kb_articles',
       content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='3 4 5 6')""",
    """CREATE TRIGGER kb_search_insert AFTER INSERT ON kb_articles BEGIN
         INSERT INTO kb_search(rowid, title, content, category) VALUES (new.id, new.title, new.content, new.category);
       END""",
    """CREATE TRIGGER kb_search_delete AFTER DELETE ON kb_articles BEGIN
         INSERT INTO kb_search(kb_search, rowid, title, content, category)
         VALUES ('delete', old.id, old.title, old.content, old.category);
       END""",
    """CREATE TRIGGER kb_search_update AFTER UPDATE OF title, content, category ON kb_articles BEGIN
         INSERT INTO kb_search(kb_search, rowid, title, content, category)
         VALUES ('delete', old.id, old.title, old.content, old.category);
         INSERT INTO kb_search(rowid, title, content, category) VALUES (new.id, new.title, new.content, new.category);
       END""",
    "INSERT INTO kb_search(kb_search) VALUES ('rebuild')",
]


def _document(config: str) -> str:
    return (f"setweight(to_tsvector('{config}', title || ' ' || coalesce(category, '')), 'A')"
            f" || setweight(to_tsvector('{config}', content), 'B')")


def _unaccent_schema() -> str | None:
    """Where the unaccent extension lives, installing it in `public` when it can be."""
    bind = op.get_bind()
    find = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                   " WHERE e.extname = 'unaccent'")
    schema = bind.execute(find).scalar()
    if schema is None:
        try:
            with bind.begin_nested():
                # in `public`, shared by every schema of the database: dropping one schema never drops it
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
        except sa.exc.DBAPIError as exc:
            log.warning("unaccent extension not installed (%s): knowledge-base search on PostgreSQL will"
                        " tell accented words from plain ones; see docs/OPERATIONS.md",
                        str(exc.orig).splitlines()[0])
        schema = bind.execute(find).scalar()
    return schema


def _postgres_upgrade() -> None:
    schema = _unaccent_schema()
    for language in ("french", "english"):
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION mailbot_{language} (COPY = pg_catalog.{language})")
        if schema is not None:
            op.execute(f'ALTER TEXT SEARCH CONFIGURATION mailbot_{language} ALTER MAPPING FOR hword, hword_part,'
                       f' word WITH "{schema}".unaccent, {language}_stem')
    op.execute("ALTER TABLE kb_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
               f"{_document('mailbot_french')} || {_document('mailbot_english')}) STORED")
    # Articles are written a few times a day and searched at every new ticket: no pending list
    # (fastupdate) for searches to read through until the next vacuum (measured: three times
    # slower searches on 10,000 articles written at once).
    op.execute("CREATE INDEX ix_kb_articles_search ON kb_articles USING gin (search_vector) WITH (fastupdate = off)")


def upgrade() -> None:
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='published'))
        batch_op.add_column(sa.Column('category', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
    op.create_table('kb_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kb_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_revisions_article_id'), ['article_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    elif op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEX:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_kb_articles_search")
        op.execute("ALTER TABLE kb_articles DROP COLUMN search_vector")
        for language in ("french", "english"):
            op.execute(f"DROP TEXT SEARCH CONFIGURATION mailbot_{language}")
    elif op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER kb_search_{trigger}")
        op.execute("DROP TABLE kb_search")
    with op.batch_alter_table('kb_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_revisions_article_id'))
    op.drop_table('kb_revisions')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('category')
        batch_op.drop_column('status')
