"""The long-running jobs behind `mailbot run`, `poll`, `ingest` and `worker`: they wire the
inbound adapters to the app, run the periodic jobs and stop cleanly on SIGTERM/Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable

import typer

from mailbot.app import App
from mailbot.inbound.files import iter_sources
from mailbot.workflow.service import MailResult

log = logging.getLogger("mailbot.run")

DIRECT_MAILBOX = "direct"  # the built-in listener and `mailbot ingest` share one record of mails
PERIODIC_SECONDS = 60


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def _handler(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("signal %s received, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


def _direct(app: App) -> Callable[[bytes, str], MailResult]:
    return lambda raw, _mailbox: app.process(raw, DIRECT_MAILBOX)


def ingest_sources(app: App, sources: list[str]) -> int:
    """Process every message of the sources in order; returns how many failed."""
    if app.uses_stub_broker:
        app.start_worker()
    items = list(iter_sources(sources))
    failures = 0
    show_bar = len(items) > 20 and sys.stderr.isatty()
    with typer.progressbar(items, label="mails", file=sys.stderr) if show_bar else _plain(items) as bar:
        for name, raw in bar:
            result = app.process(raw, DIRECT_MAILBOX)
            if result.outcome == "failed":
                failures += 1
                log.error("%s: failed: %s", name, result.reason)
            elif not show_bar:
                log.info("%s: %s%s", name, result.outcome, f" #{result.ticket_id}" if result.ticket_id else "")
    app.wait_for_delivery()
    app.close()
    return failures


class _plain:
    def __init__(self, items):  # type: ignore[no-untyped-def]
        self.items = items

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self.items

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        return False


def run_periodic_jobs(app: App) -> None:
    """Jobs that run every minute under `mailbot run`: automatic closing (as a dramatiq
    message, so any worker may run it) and the relay of due notifications."""
    try:
        app.actors.autoclose.send()
        app.relay_due()
    except Exception:  # noqa: BLE001 - a periodic job must not stop the program
        log.exception("periodic jobs failed; trying again in a minute")


def run_forever(app: App) -> None:
    from mailbot.inbound.listener import Listener

    stop = _stop_event()
    if app.uses_stub_broker:
        app.start_worker()
    listener = None
    address = app.settings.listen_address
    if address:
        host, _, port = address.rpartition(":")
        listener = Listener(_direct(app), host, int(port))
        listener.start()
        log.info("listening for mail on %s (SMTP)", address)
    imap_thread = None
    if app.settings.imap_url:
        imap_thread = threading.Thread(target=poll_forever, args=(app, stop), name="imap", daemon=True)
        imap_thread.start()
    log.info("mailbot is running; Ctrl-C stops it")
    while not stop.is_set():
        run_periodic_jobs(app)
        stop.wait(PERIODIC_SECONDS)
    if listener is not None:
        listener.stop()
    if imap_thread is not None:
        imap_thread.join(timeout=10)
    app.wait_for_delivery(timeout_ms=10_000)
    app.close()


def _imap_handler(app: App) -> Callable[[bytes, str], MailResult]:
    return lambda raw, mailbox: app.process(raw, mailbox)


def poll_once(app: App):  # type: ignore[no-untyped-def]
    from mailbot.inbound.imap import poll_once as imap_poll_once

    if app.uses_stub_broker:
        app.start_worker()
    stats = imap_poll_once(app.settings.imap_url, _imap_handler(app))
    app.wait_for_delivery()
    app.close()
    return stats


def poll_forever(app: App, stop: threading.Event | None = None) -> None:
    from mailbot.inbound.imap import poll_once as imap_poll_once

    stop = stop or _stop_event()
    if app.uses_stub_broker:
        app.start_worker()
    while not stop.is_set():
        try:
            imap_poll_once(app.settings.imap_url, _imap_handler(app))
        except Exception:  # noqa: BLE001 - the server may come back; never stop polling
            log.exception("IMAP pass failed; trying again")
        stop.wait(5)


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
