"""Several intake processes behind one IMAP mailbox (`MAILBOT_INTAKE_WORKERS` > 1, PostgreSQL).

The process holding the mailbox keeps its one IMAP connection: it fetches a batch, splits it
by thread (parsers/partition.py: the mails whose order matters stay in one part, in their
order), hands each part to one intake process, and gets the results back only once every part
has committed; the IMAP adapter then files the mails, as with one process. The next batch is
handed out only after that, so a reply is never processed before its request in another
process's open transaction, whichever batch each came in.

A part is one transaction in its process (`App.process_many`: a savepoint per mail; a lost
deadlock retakes the part mail by mail). An intake process that dies with its part (kill -9,
out of memory) raises `IntakeProcessLost` for the batch: nothing of it is filed, the pass stops
there (later mail must not overtake it), and the next pass takes the batch again, with a new
process; what the other parts committed comes back as duplicates and is filed then.

The processes come from a fork server started before any thread of `mailbot run` (web desk,
listener, watchers): a process forked from a threaded one may inherit a lock some thread held.
On SIGTERM or Ctrl-C (systemd and a terminal signal the whole group) a process with a part
finishes it and hands it back before leaving; the parent files what committed."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from mailbot.errors import ConfigError, MailbotError
from mailbot.inbound import BatchInterrupted, ReadAheadBatchHandler
from mailbot.parsers.partition import ThreadKeys, partition, thread_keys
from mailbot.workflow.service import MailResult

if TYPE_CHECKING:
    from mailbot.app import App
    from mailbot.config import Settings

log = logging.getLogger("mailbot.intake")

# What a mail costs besides its bytes, in bytes of mail, to balance the parts (as `ingest --jobs`).
MAIL_COST_BYTES = 320_000
READY = "ready"
START_TIMEOUT = 120  # seconds an intake process may take to start (imports, first connection)


class IntakeProcessLost(BatchInterrupted):
    """An intake process died with its part: the batch is taken again at the next pass."""


class IntakePartFailed(BatchInterrupted):
    """A part could not be processed (the database unreachable, …): the batch stays in place."""


@dataclass
class _Worker:
    number: int
    process: BaseProcess
    connection: Connection


def check_workers(app: App) -> int:
    """MAILBOT_INTAKE_WORKERS, refused above 1 on a database with a single writer."""
    workers = app.settings.intake_workers
    if workers > 1 and not app.db.is_postgres:
        raise ConfigError(f"MAILBOT_INTAKE_WORKERS: {workers} needs PostgreSQL (SQLite has a single writer); "
                          "set it to 1 or use PostgreSQL")
    return workers


def start_intake_pool(app: App) -> IntakePool | None:
    """The pool of `mailbot run`/`poll` when MAILBOT_INTAKE_WORKERS > 1 and a mailbox is set
    (None otherwise: the watcher processes its batches itself, as always)."""
    if check_workers(app) < 2 or not app.settings.imap_mailboxes:
        return None
    pool = IntakePool(app, app.settings.intake_workers)
    pool.start()
    return pool


class IntakePool:
    """N intake processes; `handler()` gives the IMAP adapter its batch callback."""

    def __init__(self, app: App, size: int):
        self.app = app
        self.size = size
        self.workers: list[_Worker] = []
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["mailbot.intake_pool", "mailbot.app"])
        self._lock = threading.Lock()  # one batch at a time: several mailboxes take turns
        self._closed = False

    def start(self) -> None:
        self.workers = [self._spawn(n) for n in range(self.size)]
        for worker in self.workers:
            self._wait_ready(worker)
        log.info("%d intake processes ready (pids %s)", self.size,
                 ", ".join(str(w.process.pid) for w in self.workers))

    def handler(self, ticket_type: str, group: str = "") -> ReadAheadBatchHandler:
        """The batch callback of one mailbox, whose new tickets get this type and group."""
        return _MailboxHandler(self, ticket_type, group)

    def process_batch(self, raws: list[bytes], mailbox: str, ticket_type: str, group: str = "") -> list[MailResult]:
        """Split, hand out, wait for every part; the results in the order of `raws`."""
        return self.begin(raws, mailbox, ticket_type, group)()

    def begin(self, raws: list[bytes], mailbox: str, ticket_type: str,
              group: str = "") -> Callable[[], list[MailResult]]:
        """Split the batch and hand the parts out; returns the call that waits for every part
        (the caller fetches the next batch meanwhile). No other batch is handed out until then."""
        self._lock.acquire()
        try:
            if self._closed:
                raise IntakePartFailed("mailbot is stopping; the mails stay in place")
            self._replace_dead()
            busy: list[tuple[_Worker, list[int]]] = []
            for worker, part in zip(self.workers, self._split(raws), strict=False):
                try:
                    worker.connection.send(([raws[i] for i in part], mailbox, ticket_type, group))
                except OSError:
                    pass  # it died a moment ago: reported as lost when waited for
                busy.append((worker, part))
        except BaseException:
            self._lock.release()
            raise
        return lambda: self._wait(busy, len(raws))

    def _wait(self, busy: list[tuple[_Worker, list[int]]], count: int) -> list[MailResult]:
        results: list[MailResult | None] = [None] * count
        lost, failed, held = [], [], []
        try:
            for worker, part in busy:
                answer = self._receive(worker)
                if answer is None:
                    lost.append(worker)
                elif isinstance(answer, str):
                    failed.append(answer)
                else:
                    outcomes, ids = answer
                    held += ids
                    for index, result in zip(part, outcomes, strict=True):
                        results[index] = result
        finally:
            self._lock.release()
        if held:  # embedded mode: the processes leave sending to this one's in-process worker
            self.app.enqueue(held)
        if lost:
            raise IntakeProcessLost(
                f"intake process(es) {', '.join(str(w.number) for w in lost)} died "
                f"(exit code {', '.join(str(w.process.exitcode) for w in lost)}) with their part; "
                "the batch is taken again at the next pass")
        if failed:
            raise IntakePartFailed("; ".join(failed))
        return results  # type: ignore[return-value]  # every part answered: no None left

    def close(self, timeout: float = 30) -> None:
        """Tell every process to leave after its part; those still there after `timeout` are killed."""
        if self._closed:
            return
        got = self._lock.acquire(timeout=timeout)
        try:
            self._closed = True
            for worker in self.workers:
                try:
                    worker.connection.send(None)
                except OSError:
                    pass  # already gone
            for worker in self.workers:
                worker.process.join(timeout)
                if worker.process.is_alive():
                    log.warning("intake process %d did not stop; killed", worker.number)
                    worker.process.kill()
                    worker.process.join()
                worker.connection.close()
        finally:
            if got:
                self._lock.release()

    # -- inside -------------------------------------------------------------------------

    def _split(self, raws: Sequence[bytes]) -> list[list[int]]:
        from mailbot.workflow.directory import known_emails

        s = self.app.settings
        keys = [_keys(raw, s.helpdesk_address, s.subject_tag) for raw in raws]
        people = {person for mail in keys for person in mail.people}
        with self.app.db.transaction() as session:
            known = known_emails(session, people) if people else set()
        return partition(keys, self.size, known_people=known, weights=[len(raw) + MAIL_COST_BYTES for raw in raws])

    def _spawn(self, number: int) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=serve, args=(_portable(self.app.settings), theirs, number),
                                        name=f"intake-{number}", daemon=True)
        process.start()
        theirs.close()
        return _Worker(number, process, ours)

    def _wait_ready(self, worker: _Worker) -> None:
        if not worker.connection.poll(START_TIMEOUT) or _recv(worker.connection) != READY:
            worker.process.kill()
            raise MailbotError(f"intake process {worker.number} did not start (exit code {worker.process.exitcode}); "
                               "see the log above")

    def _replace_dead(self) -> None:
        for index, worker in enumerate(self.workers):
            if worker.process.is_alive():
                continue
            worker.process.join()
            worker.connection.close()
            log.warning("intake process %d had stopped (exit code %s); starting another", worker.number,
                        worker.process.exitcode)
            self.workers[index] = self._spawn(worker.number)
            self._wait_ready(self.workers[index])

    @staticmethod
    def _receive(worker: _Worker) -> Any:
        """The answer to the part the process has, or None when the process died without one.

        Only the process holds the other end of its pipe (the fork server closes its copy), so
        its death is the end of the pipe; the process's own sentinel is not asked: it goes
        through the fork server, which a SIGTERM to the whole group stops first."""
        return _recv(worker.connection)


@dataclass(frozen=True)
class _MailboxHandler:
    """What the IMAP adapter calls for one mailbox's batches."""

    pool: IntakePool
    ticket_type: str
    group: str

    def __call__(self, raws: list[bytes], mailbox: str, /) -> list[MailResult]:
        return self.begin(raws, mailbox)()

    def begin(self, raws: list[bytes], mailbox: str, /) -> Callable[[], list[MailResult]]:
        return self.pool.begin(raws, mailbox, self.ticket_type, self.group)


def _recv(connection: Connection) -> Any:
    try:
        return connection.recv()
    except (EOFError, OSError):
        return None


def _keys(raw: bytes, helpdesk_address: str, subject_tag: str) -> ThreadKeys:
    try:
        return thread_keys(raw, helpdesk_address=helpdesk_address, subject_tag=subject_tag)
    except Exception:  # the mail goes alone; it is parsed properly in its part
        log.debug("headers not read for the split", exc_info=True)
        return ThreadKeys()


def _portable(settings: Settings) -> Settings:
    """The settings as the base class, with the same values: what the fork server can unpickle."""
    from mailbot.config import Settings

    return Settings.model_construct(**dict(settings))


# -- the intake process ---------------------------------------------------------------------

class _Leave(Exception):
    """SIGTERM or SIGINT while no part is being processed."""


class _Signals:
    """SIGTERM/SIGINT (systemd and a terminal's Ctrl-C signal the whole group): an idle process
    leaves at once; one with a part finishes it, hands the results back, then leaves."""

    def __init__(self) -> None:
        self.busy = False
        self.leave = False
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self.leave = True
        if not self.busy:
            raise _Leave


def serve(settings: Settings, connection: Connection, number: int) -> None:
    """One intake process: parts in, results out, until told to leave or the parent is gone."""
    from mailbot.app import App
    from mailbot.logs import setup_logging

    signals = _Signals()
    threading.current_thread().name = f"intake-{number}"
    setup_logging(settings.log_format)
    app = App(settings)
    try:
        connection.send(READY)
        while not signals.leave and (message := _recv(connection)) is not None:
            signals.busy = True
            raws, mailbox, ticket_type, group = message
            app.hold_delivery()  # embedded mode: the ids go back to the parent, which sends
            try:
                results = app.process_many(raws, mailbox, service=app.service_for(ticket_type, group))
            except Exception as exc:  # noqa: BLE001 - the database away: the parent leaves the batch in place
                log.warning("part of %d mail(s) not processed: %s: %s", len(raws), type(exc).__name__, exc)
                app.take_held()
                connection.send(f"intake process {number}: {type(exc).__name__}: {exc}".splitlines()[0])
            else:
                connection.send(([_plain(r) for r in results], app.take_held()))
            signals.busy = False
    except (BrokenPipeError, EOFError, _Leave):
        pass  # the parent is gone, or a signal came between parts
    finally:
        app.close()


def _plain(result: MailResult) -> MailResult:
    """What the adapter needs of a result (the events and answers stay in the process)."""
    return MailResult(result.outcome, result.ticket_id, result.reason, mail_id=result.mail_id)
