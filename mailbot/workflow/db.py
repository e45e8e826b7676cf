"""The database: engine and session factory built from a URL, and the schema upgrade
through Alembic. Built by the composition root, never at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The newest migration. Checked against Alembic by a test; lets a command that finds the schema
# up to date skip importing Alembic (a second of start-up).
HEAD_REVISION = "0008"


def make_engine(url: str) -> Engine:
    """An engine tuned for mailbot: SQLite in WAL mode with foreign keys on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    # No ping before each use (a round trip per transaction, 17% of sending a notification):
    # after a server restart the first use fails, SQLAlchemy then renews the whole pool, and
    # that mail or notification is tried again by the usual paths (IMAP backoff, SMTP 451,
    # the outbox relay).
    return create_engine(url)


@contextmanager
def savepoint(session: Session) -> Iterator[SessionTransaction]:
    """A SAVEPOINT in the session's transaction, released at the end unless the caller rolled
    back what it yields (a mail's commands, all or nothing: workflow/technician.py).

    On SQLite the transaction is opened first when it is not yet (`BEGIN IMMEDIATE`, as in
    `Database.batch_transaction`): the sqlite3 module opens one only before a write, and a
    SAVEPOINT said outside a transaction would open one that its RELEASE commits."""
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection()
        if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    with session.begin_nested() as nested:
        yield nested


class Database:
    """Sessions over one engine; `transaction()` commits on success, rolls back on error."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def batch_transaction(self) -> Iterator[Session]:
        """A transaction for a batch whose items each run in a savepoint (`begin_nested`).

        On SQLite it starts with `BEGIN IMMEDIATE`: the sqlite3 module opens a transaction only
        before its first INSERT/UPDATE/DELETE, so a SAVEPOINT said first would open it and its
        RELEASE commit it (a commit per item); IMMEDIATE also takes the write lock at once, so
        that the batch waits its turn (the 30 s busy timeout) instead of failing on a snapshot
        another process wrote after."""
        with self.sessions.begin() as session:
            if self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def current_revision(self) -> str | None:
        """The schema's Alembic revision in one query; None for a database without one."""
        with self.engine.connect() as connection:
            try:
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except ProgrammingError:  # PostgreSQL: no such table
                return None
            except OperationalError as exc:  # SQLite says the same as an OperationalError
                if "no such table" in str(exc.orig):
                    return None
                raise

    def upgrade(self) -> bool:
        """Create or migrate the schema to the newest revision (Alembic); False when it
        was already up to date."""
        if self.current_revision() == HEAD_REVISION:
            return False
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        head = ScriptDirectory.from_config(config).get_current_head()
        with self.engine.begin() as connection:
            if MigrationContext.configure(connection).get_current_revision() == head:
                return False
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return True

    def dispose(self) -> None:
        self.engine.dispose()
