"""The long-running jobs behind `mailbot run`, `poll`, `ingest` and `worker`: they wire the
inbound adapters to the app, run the periodic jobs and stop cleanly on SIGTERM/Ctrl-C."""

from __future__ import annotations

import itertools
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer

from mailbot.app import App
from mailbot.backoff import Backoff
from mailbot.errors import MailbotError
from mailbot.inbound.files import iter_sources
from mailbot.workflow.service import MailResult

log = logging.getLogger("mailbot.run")
T = TypeVar("T")

DIRECT_MAILBOX = "direct"  # the built-in listener and `mailbot ingest` share one record of mails
PERIODIC_SECONDS = 60


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def _handler(signum, _frame):
        log.info("signal %s received, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


def _direct(app: App) -> Callable[[bytes, str], MailResult]:
    return lambda raw, _mailbox: app.process(raw, DIRECT_MAILBOX)


INGEST_BATCH = 50


def ingest_sources(app: App, sources: list[str]) -> int:
    """Process every message of the sources in order, reading one file at a time; returns how
    many failed. Notifications are sent after the last mail (the in-process worker would
    otherwise compete with the intake for the one database and the CPU)."""
    try:
        items = iter_sources(sources)
    except FileNotFoundError as exc:
        raise MailbotError(str(exc)) from None
    failures = 0
    app.hold_delivery()  # embedded mode: sent after the last mail, in this thread
    show_bar = sys.stderr.isatty()
    with typer.progressbar(items, label="mails", file=sys.stderr) if show_bar else _plain(items) as bar:
        for batch in itertools.batched(bar, INGEST_BATCH) if hasattr(itertools, "batched") \
                else _batched(bar, INGEST_BATCH):
            results = app.process_many([raw for _name, raw in batch], DIRECT_MAILBOX)
            for (name, _raw), result in zip(batch, results, strict=True):
                if result.outcome == "failed":
                    failures += 1
                    log.error("%s: failed: %s", name, result.reason)
                elif not show_bar:
                    log.info("%s: %s%s", name, result.outcome,
                             f" #{result.ticket_id}" if result.ticket_id else "")
    app.deliver_held()
    app.close()
    return failures


def _batched(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


class _plain:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


class Periodic:
    """Jobs that run under `mailbot run`: the relay of due notifications every
    MAILBOT_RELAY_SECONDS, automatic closing every minute (as a dramatiq message, so any
    worker may run it). A failure is logged and retried at the next round, with backoff."""

    def __init__(self, app: App):
        self.app = app
        self.backoff = Backoff(1.0, app.settings.reconnect_max_seconds)
        self.next_relay = 0.0
        self.next_autoclose = 0.0

    def run_due(self, now: float) -> float:
        """Run what is due at monotonic time `now`; returns how long to sleep."""
        failed = False
        if now >= self.next_autoclose:
            failed |= not self._try("automatic closing", lambda: self.app.actors.autoclose.send())
            self.next_autoclose = now + PERIODIC_SECONDS
        if now >= self.next_relay:
            failed |= not self._try("outbox relay", self.app.relay_due)
            self.next_relay = now + self.app.settings.relay_seconds
        if failed:
            delay = self.backoff.next_delay()
            self.next_relay = min(self.next_relay, now + delay)
        else:
            self.backoff.reset()
        return max(0.05, min(self.next_relay, self.next_autoclose) - now)

    def _try(self, what: str, job: Callable[[], object]) -> bool:
        try:
            job()
            return True
        except Exception as exc:  # noqa: BLE001 - a periodic job must not stop the program
            log.warning("%s failed (%s: %s); trying again later", what, type(exc).__name__, exc)
            return False


ADD_TECHNICIAN = "mailbot users add EMAIL --name NAME --technician"


def without_password(url: str) -> str:
    """A server URL as it may be shown: the same, without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}" if parts.username else host))


def banner(app: App) -> list[tuple[int, str]]:
    """What `mailbot run` says first, as (log level, line): where mail comes from and goes, and
    whether anyone will hear of new tickets."""
    from mailbot.workflow.directory import count_technicians

    settings = app.settings
    sources = [f"IMAP {without_password(m.url)}" for m in settings.imap_mailboxes]
    if settings.listen_target is not None:
        sources.append(f"listener {settings.listen_target}" + (" (STARTTLS)" if settings.listen_tls_cert else ""))
    sending = (f"SMTP {without_password(settings.smtp_url)}" if settings.smtp_url
               else f"outbox folder {settings.outbox_dir.resolve()}")
    queue = (f"broker {without_password(settings.broker_url)} (`mailbot worker` sends)" if settings.broker_url
             else "in-process (this process sends)")
    with app.db.transaction() as session:
        technicians = count_technicians(session)
    from importlib.metadata import version

    lines = [(logging.INFO, f"mailbot {version('mailbot')} starting"),
             (logging.INFO, f"helpdesk address: {settings.helpdesk_address}"),
             (logging.INFO, f"database: {without_password(settings.database_url)}"),
             (logging.INFO, f"mail comes in by: {'; '.join(sources) or 'nothing'}"),
             (logging.INFO, f"notifications go to: {sending}; queue: {queue}"),
             (logging.INFO, f"technicians: {technicians}")]
    if not technicians:
        lines.append((logging.WARNING, "no technician: nobody is told of new tickets; "
                                       f"add one with `{ADD_TECHNICIAN}`"))
    return lines


def run_forever(app: App) -> None:
    from mailbot.inbound.listener import Listener
    from mailbot.mailboxes import start_watchers

    for level, line in banner(app):
        log.log(level, "%s", line)
    stop = _stop_event()
    if app.uses_stub_broker:
        app.start_worker()
    listener = None
    target = app.settings.listen_target
    if target is not None:
        listener = Listener(_direct(app), target, tls=app.settings.listen_tls_context)
        listener.start()
    watchers = start_watchers(app, stop)
    log.info("mailbot is running (%d IMAP mailbox(es)); Ctrl-C stops it", len(watchers))
    periodic = Periodic(app)
    while not stop.is_set():
        stop.wait(periodic.run_due(time.monotonic()))
    if listener is not None:
        listener.stop()
    for thread in watchers:
        thread.join(timeout=10)
    app.wait_for_delivery(timeout_ms=10_000)
    app.close()


def poll_once(app: App):
    from mailbot.mailboxes import poll_all_once

    if app.uses_stub_broker:
        app.start_worker()
    stats = poll_all_once(app)
    app.wait_for_delivery()
    app.close()
    return stats


def poll_forever(app: App, stop: threading.Event | None = None) -> None:
    """The IMAP mailboxes only, without the listener and the periodic jobs."""
    from mailbot.mailboxes import start_watchers

    stop = stop or _stop_event()
    if app.uses_stub_broker:
        app.start_worker()
    for thread in start_watchers(app, stop):
        thread.join()
    app.wait_for_delivery(timeout_ms=10_000)
    app.close()


def run_workers(app: App, threads: int) -> None:
    import dramatiq

    stop = _stop_event()
    app.actors  # noqa: B018 - declare the actors on the broker before the workers start
    worker = dramatiq.Worker(app.broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    log.info("dramatiq worker running with %d threads on %s", threads, app.settings.broker_url)
    stop.wait()
    worker.stop()
    app.close()
