"""The mailbox lease row (SQLite and any database without advisory locks): one holder at a time,
renewed by its holder, taken over once it ran out, freed on release."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from mailbot.workflow.leases import RowLease, UidState
from mailbot.workflow.models import Base

MAILBOX = "imap://helpdesk@127.0.0.1:10143/INBOX"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def sessions(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    Base.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def test_a_second_poller_waits_while_the_first_renews_and_takes_over_when_it_stops_renewing(sessions):
    clock = Clock()
    first = RowLease(sessions, MAILBOX, "host:1", ttl=30, clock=clock)
    second = RowLease(sessions, MAILBOX, "host:2", ttl=30, clock=clock)

    assert first.acquire() and not second.acquire()
    clock.now += timedelta(seconds=20)
    assert first.renew() and not second.acquire()
    clock.now += timedelta(seconds=31)  # the first one died without a word
    assert second.acquire() and not first.renew()


def test_a_released_lease_is_free_at_once(sessions):
    first = RowLease(sessions, MAILBOX, "host:1", ttl=30)
    second = RowLease(sessions, MAILBOX, "host:2", ttl=30)
    assert first.acquire()
    first.release()
    assert second.acquire()


def test_each_mailbox_has_its_own_lease(sessions):
    assert RowLease(sessions, MAILBOX, "host:1", ttl=30).acquire()
    assert RowLease(sessions, MAILBOX.replace("INBOX", "Support"), "host:2", ttl=30).acquire()


def test_uid_state_is_remembered_per_mailbox_next_to_the_lease(sessions):
    state = UidState(sessions)
    assert state.load(MAILBOX) == (None, 0)
    RowLease(sessions, MAILBOX, "host:1", ttl=30).acquire()
    state.save(MAILBOX, 1732780800, 42)
    assert state.load(MAILBOX) == (1732780800, 42)
