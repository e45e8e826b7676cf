"""A long outage (IMAP, database, broker) does not end the loops that wait it out: 5,000 failures
in a row through the IMAP watcher and the periodic jobs of `mailbot run`, with the waits recorded
instead of slept and every one of them within MAILBOT_RECONNECT_MAX_SECONDS."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from mailbot.inbound import imap_watch
from mailbot.inbound.imap import ImapOptions, PollStats
from mailbot.inbound.imap_target import ImapTarget
from mailbot.inbound.imap_watch import MailboxWatcher, WatchTiming
from mailbot.runner import Periodic

FAILURES = 5000
CAP = 60.0


class RecordedWaits:
    """A stop flag whose waits return at once: it keeps each wait and stops after `limit` of them."""

    def __init__(self, limit: int):
        self.limit = limit
        self.waits: list[float] = []
        self._stopped = False

    def is_set(self) -> bool:
        return self._stopped

    def set(self) -> None:
        self._stopped = True

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        if len(self.waits) >= self.limit:
            self._stopped = True
        return self._stopped


@pytest.fixture(autouse=True)
def _fresh_counters():  # type: ignore[no-untyped-def]
    ServerAway.connects = ServerUp.connects = 0


class HeldLease:
    def acquire(self) -> bool:
        return True

    def renew(self) -> bool:
        return True

    def release(self) -> None:
        pass


def database_away() -> HeldLease:
    raise OperationalError("SELECT mailbox_state", {}, ConnectionRefusedError("connection refused"))


def watcher(stop: RecordedWaits, lease: Any) -> MailboxWatcher:
    return MailboxWatcher(ImapTarget("mail.lycee.example", 993, "helpdesk", "pw", "INBOX", ssl=True), ImapOptions(),
                          lambda raw, mailbox: None, lease=lease, memory=None, stop=stop,  # type: ignore[arg-type]
                          timing=WatchTiming(reconnect_max_seconds=CAP))


class ServerAway:
    """An IMAP server that refuses every connection."""

    connects = 0

    def __init__(self, *_args: object, **_kwargs: object):
        pass

    def connect(self) -> None:
        ServerAway.connects += 1
        raise ConnectionRefusedError(111, "Connection refused")

    def close(self) -> None:
        pass


class ServerUp(ServerAway):
    def connect(self) -> None:
        ServerUp.connects += 1


def test_the_watcher_outlives_5000_failed_connections_to_the_imap_server(monkeypatch, caplog):
    monkeypatch.setattr(imap_watch, "ImapMailbox", ServerAway)
    stop = RecordedWaits(FAILURES)

    with caplog.at_level(logging.WARNING, logger="mailbot.imap"):
        watcher(stop, HeldLease).run()  # returns (rather than raising) once stopped

    assert ServerAway.connects == FAILURES and len(stop.waits) == FAILURES
    assert all(0 <= wait <= CAP for wait in stop.waits) and max(stop.waits) > CAP / 2
    assert f"reconnecting in {stop.waits[-1]:.1f} s (attempt {FAILURES})" in caplog.records[-1].getMessage()


def test_the_watcher_outlives_5000_failures_to_reach_the_database(caplog):
    stop = RecordedWaits(FAILURES)

    with caplog.at_level(logging.WARNING, logger="mailbot.imap"):
        watcher(stop, database_away).run()

    assert len(stop.waits) == FAILURES and all(0 <= wait <= CAP for wait in stop.waits)
    assert "OperationalError" in caplog.records[-1].getMessage()
    assert f"(attempt {FAILURES})" in caplog.records[-1].getMessage()


def test_5000_passes_that_cannot_store_mail_keep_the_imap_connection_and_wait_capped(monkeypatch):
    ServerUp.connects = 0
    monkeypatch.setattr(imap_watch, "ImapMailbox", ServerUp)
    monkeypatch.setattr(imap_watch, "drain", lambda *args, **kwargs: PollStats(fetched=1, errors=1))
    stop = RecordedWaits(FAILURES)

    watcher(stop, HeldLease).run()

    assert ServerUp.connects == 1  # the database is away, not the IMAP server: no reconnection
    assert len(stop.waits) == FAILURES and all(0 <= wait <= CAP for wait in stop.waits)


class FailingApp:
    """`mailbot run`'s view of the app while the database and the broker are away."""

    def __init__(self) -> None:
        self.settings = SimpleNamespace(reconnect_max_seconds=CAP, relay_seconds=600.0)
        self.relays = 0
        self.actors = SimpleNamespace(autoclose=SimpleNamespace(send=self._broker_away))

    def relay_due(self) -> int:
        self.relays += 1
        raise OperationalError("SELECT outbox", {}, ConnectionRefusedError("connection refused"))

    @staticmethod
    def digest() -> list[str]:
        raise OperationalError("SELECT users", {}, ConnectionRefusedError("connection refused"))

    @staticmethod
    def _broker_away() -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_mailbot_run_outlives_5000_failed_rounds_of_its_periodic_jobs():
    app = FailingApp()
    periodic = Periodic(app)  # type: ignore[arg-type]
    now, sleeps, relay_waits = 0.0, [], []

    for _ in range(FAILURES):
        now = max(now, periodic.next_relay)  # the clock moves to the next due relay, nobody sleeps
        sleeps.append(periodic.run_due(now))
        relay_waits.append(periodic.next_relay - now)

    assert app.relays == FAILURES and periodic.backoff.failures == FAILURES
    assert all(0 < sleep <= CAP for sleep in sleeps)
    # the relay comes back after the backoff (at most the cap), not after its usual 600 s
    assert all(0 <= wait <= CAP for wait in relay_waits) and max(relay_waits) > CAP / 2
