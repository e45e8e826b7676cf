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
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer

from mailbot.app import App
from mailbot.backoff import Backoff
from mailbot.config import Settings
from mailbot.errors import MailbotError
from mailbot.inbound.files import iter_sources
from mailbot.workflow.service import MailResult

if TYPE_CHECKING:
    from pathlib import Path

    from mailbot.intake_pool import IntakePool
    from mailbot.web.server import WebThread

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
# What a mail costs to process besides its size, counted in bytes of mail, to balance the parts
# of `ingest --jobs`: on the bench corpus a text-only mail took ~11 ms and every MB ~34 ms more.
MAIL_COST_BYTES = 320_000


def ingest_sources(app: App, sources: list[str], *, jobs: int = 1) -> int:
    """Process every message of the sources in order, reading one file at a time; returns how
    many failed. Notifications are sent after the last mail (the in-process worker would
    otherwise compete with the intake for the one database and the CPU). With `jobs` > 1
    (PostgreSQL only), the mails are split by thread and processed by that many processes."""
    if jobs > 1:
        return _ingest_parallel(app, sources, jobs)
    try:
        items = iter_sources(sources)
    except FileNotFoundError as exc:
        raise MailbotError(str(exc)) from None
    show_bar = sys.stderr.isatty()
    with typer.progressbar(items, label="mails", file=sys.stderr) if show_bar else _plain(items) as bar:
        return _ingest_items(app, bar, quiet=show_bar)


def _ingest_items(app: App, items: Iterable[tuple[str, bytes]], *, quiet: bool = False) -> int:
    """The mails in batches of INGEST_BATCH, then their notifications; how many failed."""
    failures = 0
    app.hold_delivery()  # embedded mode: sent after the last mail, in this thread
    for batch in itertools.batched(items, INGEST_BATCH) if hasattr(itertools, "batched") \
            else _batched(items, INGEST_BATCH):
        results = app.process_many([raw for _name, raw in batch], DIRECT_MAILBOX)
        for (name, _raw), result in zip(batch, results, strict=True):
            if result.outcome == "failed":
                failures += 1
                log.error("%s: failed: %s", name, result.reason)
            elif not quiet:
                log.info("%s: %s%s", name, result.outcome, f" #{result.ticket_id}" if result.ticket_id else "")
    app.deliver_held()
    app.close()
    return failures


def _ingest_parallel(app: App, sources: list[str], jobs: int) -> int:
    """`mailbot ingest --jobs N`: the files split by thread (parsers/partition.py), one forked
    process per part, each part in file order through the batch path. The mail's unique key
    still guards exactly-once; a reply is never processed before its request since both are
    in the same part."""
    import multiprocessing

    from mailbot.inbound.files import mail_files, read_head
    from mailbot.parsers.partition import partition, thread_keys
    from mailbot.workflow.directory import known_emails

    if not app.db.is_postgres:
        raise MailbotError("--jobs: more than 1 needs PostgreSQL (SQLite has a single writer); "
                           "leave it out or use --jobs 1")
    if "-" in sources:
        raise MailbotError("--jobs: reads files and folders only, not stdin (-)")
    try:
        files = mail_files(sources)
    except FileNotFoundError as exc:
        raise MailbotError(str(exc)) from None
    s = app.settings
    keys = [thread_keys(read_head(file), helpdesk_address=s.helpdesk_address, subject_tag=s.subject_tag)
            for file in files]
    with app.db.transaction() as session:
        known = known_emails(session, {person for mail in keys for person in mail.people})
    parts = partition(keys, jobs, known_people=known, weights=[file.stat().st_size + MAIL_COST_BYTES for file in files])
    log.info("%d mail(s) in %d part(s) for %d process(es): %s", len(files), len(parts), jobs,
             ", ".join(str(len(part)) for part in parts))
    app.close()  # the children open connections of their own
    context = multiprocessing.get_context("fork")
    failures = context.Array("i", len(parts))
    children = [context.Process(target=_ingest_part, name=f"ingest-{n}",
                                args=(s, [files[i] for i in part], failures, n))
                for n, part in enumerate(parts)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    crashed = [child.name for child in children if child.exitcode != 0]
    if crashed:
        raise MailbotError(f"intake process(es) {', '.join(crashed)} stopped with an error (see above); "
                           "running the same command again takes the mails not yet recorded")
    return sum(int(count) for count in failures[:])


def _ingest_part(settings: Settings, files: list[Path], failures: Any, n: int) -> None:
    """One intake process of `--jobs`: its part of the files, in order."""
    from mailbot.inbound.files import read_mail

    app = App(settings)
    failures[n] = _ingest_items(app, ((str(file), read_mail(file)) for file in files))


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
    worker may run it) and the morning digest's check every minute (here: it is written once
    whichever process gets there first). A failure is logged and retried at the next round, with backoff."""

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
            # the morning digest: written at most once a day per technician (workflow/digest.py)
            failed |= not self._try("morning digest", self.app.digest)
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
             (logging.INFO, f"web desk: {web_desk_line(settings)}"),
             (logging.INFO, "morning digest: " + ("off (MAILBOT_DIGEST_HOUR is empty)" if settings.digest_hour is None
                                                  else f"from {settings.digest_hour}:00 {settings.timezone}")),
             (logging.INFO, f"technicians: {technicians}")]
    if settings.web_listen and not settings.web_url and settings.web_address and \
            settings.web_address[0] in ("0.0.0.0", "::", ""):
        lines.append((logging.WARNING, "web desk: MAILBOT_WEB_URL is not set; sign-in links in mails will point to "
                                       f"http://{settings.web_listen}, set it to the desk's public address"))
    if not technicians:
        lines.append((logging.WARNING, "no technician: nobody is told of new tickets; "
                                       f"add one with `{ADD_TECHNICIAN}`"))
    return lines


WEB_EXTRA = "pip install 'mailbot[web]'"


def web_available() -> bool:
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("starlette", "uvicorn", "feedgen", "limits"))


def web_desk_line(settings: Settings) -> str:
    """Where the web desk is, or why there is none."""
    if not settings.web_listen:
        return "off (MAILBOT_WEB_LISTEN is empty)"
    if not web_available():
        return f"off (its libraries are not installed: {WEB_EXTRA})"
    return f"http://{settings.web_listen} (links in mails: {settings.web_base_url})"


def _start_web(app: App) -> WebThread | None:
    """The web desk's thread when it is on and installed; binding its port fails here, at start."""
    if not app.settings.web_listen or not web_available():
        return None
    from mailbot.web.server import WebThread

    thread = WebThread(app)
    thread.start()
    return thread


def serve_web(app: App) -> None:
    """`mailbot web`: the web desk alone, until SIGTERM/Ctrl-C; sign-in mails are sent by this
    process when no broker is set."""
    from mailbot.errors import ConfigError

    if not app.settings.web_listen:
        raise ConfigError("MAILBOT_WEB_LISTEN: empty (the web desk is off); set HOST:PORT to serve it")
    if not web_available():
        raise MailbotError(f"the web desk's libraries are not installed: {WEB_EXTRA}")
    stop = _stop_event()  # before the port answers: a SIGTERM from then on stops it cleanly
    web = _start_web(app)
    assert web is not None
    if app.uses_stub_broker:
        app.start_worker()
    log.info("web desk: %s; Ctrl-C stops it", web_desk_line(app.settings))
    stop.wait()
    web.stop()
    app.wait_for_delivery(timeout_ms=10_000)
    app.close()


def run_forever(app: App) -> None:
    from mailbot.intake_pool import start_intake_pool

    # the intake processes first: before any thread of this process (web desk, listener, watchers)
    pool = start_intake_pool(app)
    try:
        _run(app, pool)
    finally:
        if pool is not None:
            pool.close()  # each process finishes the part it has; nothing more is handed out


def _run(app: App, pool: IntakePool | None) -> None:
    from mailbot.inbound.listener import Listener
    from mailbot.mailboxes import start_watchers

    for level, line in banner(app):
        log.log(level, "%s", line)
    stop = _stop_event()
    web = _start_web(app)
    if app.uses_stub_broker:
        app.start_worker()
    listener = None
    target = app.settings.listen_target
    if target is not None:
        listener = Listener(_direct(app), target, tls=app.settings.listen_tls_context)
        listener.start()
    watchers = start_watchers(app, stop, pool)
    log.info("mailbot is running (%d IMAP mailbox(es)%s); Ctrl-C stops it", len(watchers),
             f", {pool.size} intake processes" if pool else "")
    periodic = Periodic(app)
    while not stop.is_set():
        stop.wait(periodic.run_due(time.monotonic()))
    if listener is not None:
        listener.stop()
    if web is not None:
        web.stop()
    for thread in watchers:
        thread.join(timeout=10)
    if pool is not None:
        pool.close()  # waits for a batch still in the intake processes, then stops them
        for thread in watchers:
            thread.join(timeout=10)  # that batch filed
    app.wait_for_delivery(timeout_ms=10_000)
    app.close()


def poll_once(app: App):
    from mailbot.intake_pool import start_intake_pool
    from mailbot.mailboxes import poll_all_once

    pool = start_intake_pool(app)
    if app.uses_stub_broker:
        app.start_worker()
    try:
        stats = poll_all_once(app, pool)
    finally:
        if pool is not None:
            pool.close()
    app.wait_for_delivery()
    app.close()
    return stats


def poll_forever(app: App, stop: threading.Event | None = None) -> None:
    """The IMAP mailboxes only, without the listener and the periodic jobs."""
    from mailbot.intake_pool import start_intake_pool
    from mailbot.mailboxes import start_watchers

    pool = start_intake_pool(app)  # before any thread
    try:
        stop = stop or _stop_event()
        if app.uses_stub_broker:
            app.start_worker()
        for thread in start_watchers(app, stop, pool):
            thread.join()
    finally:
        if pool is not None:
            pool.close()
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
