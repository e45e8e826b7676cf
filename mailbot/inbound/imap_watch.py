"""Watching one IMAP mailbox for as long as mailbot runs: hold its lease, drain it, wait with
IDLE (or poll when the server has no IDLE or IDLE breaks), reconnect with backoff.

Mail delivered after the last look and before IDLE starts is not announced during that IDLE (Dovecot
tells only when IDLE ends), so the folder is looked at once more right before IDLE."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from mailbot.backoff import Backoff
from mailbot.inbound import BatchMailHandler, MailHandler
from mailbot.inbound.imap import ImapMailbox, ImapOptions, UidMemory, drain
from mailbot.inbound.imap_target import ImapTarget

log = logging.getLogger("mailbot.imap")

IDLE_SLICE = 1.0  # seconds between looks at the stop flag while idling


class Lease(Protocol):
    """The right to poll one mailbox (mailbot.workflow.leases builds them; inbound needs only this)."""

    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class WatchTiming:
    idle: bool = True
    poll_seconds: float = 30
    lease_seconds: float = 30
    reconnect_max_seconds: float = 60

    @property
    def renew_seconds(self) -> float:
        """The lease is renewed three times per lease period, and the idle restarted as often."""
        return self.lease_seconds / 3


class LeaseLost(Exception):
    """Another poller holds the mailbox now: stop work on it at once."""


class MailboxWatcher:
    """One mailbox, one thread. `run()` returns when `stop` is set.

    `before_idle`, when set, is called each time a pass found nothing and the watcher is about to
    wait, before its last look at the folder: the moment where new mail used to be overlooked."""

    def __init__(self, target: ImapTarget, options: ImapOptions, handle: MailHandler, *,
                 lease: Callable[[], Lease], memory: UidMemory | None, stop: threading.Event,
                 timing: WatchTiming = WatchTiming(), handle_many: BatchMailHandler | None = None):
        self.target = target
        self.options = options
        self.handle = handle
        self.handle_many = handle_many
        self.before_idle: Callable[[], object] | None = None
        self.lease_factory = lease
        self.memory = memory
        self.stop = stop
        self.timing = timing
        self.idle_broken = not timing.idle

    def run(self) -> None:
        name = self.target.mailbox
        backoff = Backoff(1.0, self.timing.reconnect_max_seconds)
        lease: Lease | None = None
        waiting_logged = False
        while not self.stop.is_set():
            try:
                if lease is None:
                    candidate = self.lease_factory()
                    if not candidate.acquire():
                        if not waiting_logged:
                            log.info("%s is held by another mailbot; waiting to take over", name)
                            waiting_logged = True
                        self.stop.wait(min(max(self.timing.renew_seconds / 2, 0.5), 5))
                        continue
                    lease, waiting_logged = candidate, False
                    log.info("%s: this process now holds the mailbox", name)
                self._serve(lease, backoff)
            except LeaseLost:
                log.warning("%s: lease lost; another mailbot may take the mailbox", name)
                lease = None
            except Exception as exc:  # noqa: BLE001 - IMAP, network or database: wait and retry
                delay = backoff.next_delay()
                log.warning("%s: %s: %s; reconnecting in %.1f s (attempt %d)", name, type(exc).__name__,
                            exc, delay, backoff.failures)
                if lease is not None and not _still_held(lease):
                    lease = None
                self.stop.wait(delay)
        if lease is not None:
            _quietly(lease.release)
        log.info("%s: stopped", name)

    def _serve(self, lease: Lease, backoff: Backoff) -> None:
        mailbox = ImapMailbox(self.target, self.options)
        mailbox.connect()
        if backoff.failures:
            log.info("%s: connected again after %d failed attempt(s)", self.target.mailbox, backoff.failures)
        backoff.reset()
        errors = Backoff(1.0, self.timing.reconnect_max_seconds)
        renewed = time.monotonic()
        try:
            while not self.stop.is_set():
                stats = drain(mailbox, self.handle, memory=self.memory, stop=self.stop, handle_many=self.handle_many)
                if time.monotonic() - renewed >= self.timing.renew_seconds:
                    self._renew(lease)
                    renewed = time.monotonic()
                if stats.errors:
                    # most likely the database is away: do not spin over the same mails
                    delay = errors.next_delay()
                    log.warning("%s: %d mail(s) left in place; next pass in %.1f s", self.target.mailbox,
                                stats.errors, delay)
                    self.stop.wait(delay)
                    continue
                errors.reset()
                if stats.fetched:
                    continue  # more may have come in meanwhile
                self._wait_for_mail(mailbox, lease)
                self._renew(lease)
                renewed = time.monotonic()
        finally:
            mailbox.close()

    def _renew(self, lease: Lease) -> None:
        if not lease.renew():
            raise LeaseLost

    def _wait_for_mail(self, mailbox: ImapMailbox, lease: Lease) -> None:
        """Return when new mail may be there, the lease needs renewing, or on stop."""
        if self.before_idle is not None:
            self.before_idle()
        if mailbox.pending_uids():
            return  # came in since the pass looked: take it now rather than after the wait
        if not self.idle_broken and not mailbox.can_idle:
            log.info("%s: the server has no IDLE; polling every %.0f s", self.target.mailbox,
                     self.timing.poll_seconds)
            self.idle_broken = True
        if self.idle_broken:
            self._poll_wait(lease)
            return
        client = mailbox.client
        assert client is not None
        try:
            client.idle()
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            log.warning("%s: IDLE refused (%s); polling every %.0f s instead", self.target.mailbox, exc,
                        self.timing.poll_seconds)
            self.idle_broken = True
            return
        deadline = time.monotonic() + self.timing.renew_seconds
        news: list[object] = []
        while not news and not self.stop.is_set() and time.monotonic() < deadline:
            news = client.idle_check(timeout=IDLE_SLICE)
        client.idle_done()
        if news:
            log.debug("%s: IDLE says %s", self.target.mailbox, news)

    def _poll_wait(self, lease: Lease) -> None:
        deadline = time.monotonic() + self.timing.poll_seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self.stop.wait(min(left, self.timing.renew_seconds))
            if time.monotonic() < deadline:
                self._renew(lease)


def _still_held(lease: Lease) -> bool:
    try:
        return lease.renew()
    except Exception:  # noqa: BLE001 - the database may be the thing that is gone
        return False


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:
        log.debug("could not release the mailbox lease", exc_info=True)
