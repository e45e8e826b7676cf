"""`db.savepoint`, which makes a mail's commands all or nothing: rolled back alone when asked,
released into the mail's transaction otherwise — and never committing on its own, even on
SQLite when it is the transaction's first statement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from mailbot.workflow.db import Database, savepoint
from mailbot.workflow.models import Base, User

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'mailbot.db'}")
    Base.metadata.create_all(db.engine)
    yield db
    db.dispose()


def _users(database: Database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(User.email).order_by(User.email)))


def test_a_savepoint_first_in_its_transaction_goes_with_the_transaction(database):
    """The mail fails after its commands: nothing of them is left (no RELEASE that committed)."""
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.scalar(select(func.count()).select_from(User))  # reads only, as before the commands
        with savepoint(session):
            session.add(User(email="tech@lycee.example", created_at=NOW))
        raise RuntimeError("the mail fails after its commands")
    assert _users(database) == []


def test_a_savepoint_rolled_back_leaves_the_rest_of_the_transaction(database):
    with database.transaction() as session:
        session.add(User(email="before@lycee.example", created_at=NOW))
        with savepoint(session) as commands:
            session.add(User(email="refused@lycee.example", created_at=NOW))
            session.flush()
            commands.rollback()
        session.add(User(email="after@lycee.example", created_at=NOW))
    assert _users(database) == ["after@lycee.example", "before@lycee.example"]


def test_a_savepoint_inside_a_batchs_savepoint(database):
    with database.batch_transaction() as session, session.begin_nested():
        with savepoint(session) as commands:
            session.add(User(email="refused@lycee.example", created_at=NOW))
            commands.rollback()
        with savepoint(session):
            session.add(User(email="kept@lycee.example", created_at=NOW))
    assert _users(database) == ["kept@lycee.example"]


def test_a_digest_claimed_then_lost_is_claimed_again(database):
    """The morning digest's claim is written in the caller's transaction: when the process fails
    before the digest's notification is recorded, the technician's digest is still due."""
    from datetime import date

    from mailbot.workflow.digest import claim, waiting_technicians
    from mailbot.workflow.models import Digest

    with database.transaction() as session:
        session.add(User(email="tech@lycee.example", created_at=NOW, is_technician=True))
    day = date(2026, 11, 30)
    with pytest.raises(RuntimeError), database.transaction() as session:
        user_id = waiting_technicians(session, day)[0]
        assert claim(session, user_id, day, NOW) is not None
        raise RuntimeError("the process fails before the notification is recorded")
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 0
        assert waiting_technicians(session, day) == [user_id]
