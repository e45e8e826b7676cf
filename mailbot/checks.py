"""`mailbot check`: connect to each configured server and say, in one line each, OK or what is wrong;
then how many notifications were given up."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from mailbot.config import Settings

TIMEOUT = 10.0


@dataclass(frozen=True)
class Check:
    server: str  # database, broker, imap, smtp
    where: str  # the server, never a password
    ok: bool
    detail: str
    warning: bool = False  # works, but something needs a person's look; the exit status stays 0

    def line(self) -> str:
        state = "FAIL" if not self.ok else "WARN" if self.warning else "OK  "
        return f"{state} {self.server:<8} {self.where}: {self.detail}"


def _where(url: str) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def _run(server: str, where: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(server, where, True, probe())
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return _failure(server, where, exc)


def _failure(server: str, where: str, exc: Exception) -> Check:
    first = (str(exc).strip().splitlines() or [""])[0]
    return Check(server, where, False, f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


def check_database(settings: Settings) -> Check:
    def probe() -> str:
        from mailbot.workflow.db import HEAD_REVISION, Database

        db = Database(settings.database_url)
        try:
            current = db.current_revision()
        finally:
            db.dispose()
        if current != HEAD_REVISION:
            raise RuntimeError(f"schema at {current or 'nothing (empty database)'}, expected {HEAD_REVISION}: "
                               "run `mailbot db upgrade` (`mailbot run` does it on an empty database)")
        return f"connected, schema {current}"

    return _run("database", _where(settings.database_url), probe)


def check_broker(settings: Settings) -> Check:
    if not settings.broker_url:
        return Check("broker", "in-process queue", True, "no broker configured; `mailbot run` sends itself")

    def probe() -> str:
        scheme = urlsplit(settings.broker_url).scheme
        if scheme.startswith("redis"):
            import redis

            client = redis.Redis.from_url(settings.broker_url, socket_connect_timeout=TIMEOUT,
                                          socket_timeout=TIMEOUT)
            try:
                client.ping()
            finally:
                client.close()
            return "PING answered"
        import pika

        try:
            connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
        except pika.exceptions.AMQPConnectionError as exc:
            if str(exc):
                raise
            # pika keeps the cause (refused, timed out) in args, whose str() is empty
            raise ConnectionError("; ".join(map(repr, exc.args))) from exc
        connection.close()
        return "connected"

    return _run("broker", _where(settings.broker_url), probe)


def check_imap(settings: Settings) -> Iterator[Check]:
    from mailbot.inbound.imap import ImapMailbox
    from mailbot.mailboxes import configured_mailboxes, imap_options

    for mailbox in configured_mailboxes(settings):
        def probe(target=mailbox.target) -> str:
            box = ImapMailbox(target, imap_options(settings), timeout=TIMEOUT)
            box.connect()
            try:
                waiting = len(box.pending_uids())
                idle = "IDLE" if box.can_idle else "no IDLE: polling"
            finally:
                box.close()
            return f"logged in, folder {target.folder} selected, {waiting} mail(s) waiting, {idle}"

        yield _run("imap", mailbox.target.mailbox, probe)


def check_smtp(settings: Settings) -> Check:
    if not settings.smtp_url:
        def folder() -> str:
            settings.outbox_dir.mkdir(parents=True, exist_ok=True)
            probe_file = settings.outbox_dir / ".mailbot-check"
            probe_file.write_bytes(b"")
            probe_file.unlink()
            return "no SMTP server configured; notifications are written to this folder"

        return _run("smtp", str(settings.outbox_dir), folder)

    def probe() -> str:
        from mailbot.outbound.senders import SmtpSender

        sender = SmtpSender(settings.smtp_url, timeout=TIMEOUT)
        smtp = sender._connect()
        try:
            code, _ = smtp.noop()
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException, ssl.SSLError):
                smtp.close()
        return f"connected{' and logged in' if sender.username else ''}, NOOP answered {code}"

    return _run("smtp", _where(settings.smtp_url), probe)


def check_outbox(settings: Settings) -> Check:
    """How many notifications were given up (refused for good or out of attempts): a warning, as
    the rest still works; they stay failed until a person looked (`mailbot failed list`)."""
    where = _where(settings.database_url)
    try:
        failed = _failed_notifications(settings)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return _failure("outbox", where, exc)
    if not failed:
        return Check("outbox", where, True, "no notification given up")
    return Check("outbox", where, True, f"{failed} notification(s) failed for good (mailbot failed list)",
                 warning=True)


def _failed_notifications(settings: Settings) -> int:
    from sqlalchemy import func, select

    from mailbot.workflow.db import Database
    from mailbot.workflow.models import Notification

    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.status == "failed")) or 0
    finally:
        db.dispose()


def run_checks(settings: Settings) -> list[Check]:
    imap = list(check_imap(settings)) or [Check("imap", "no mailbox", True,
                                                f"none configured; built-in listener on {settings.listen_address}")]
    database = check_database(settings)
    # the outbox is read from the database: not looked at when the database itself is wrong
    outbox = [check_outbox(settings)] if database.ok else []
    return [database, check_broker(settings), *imap, check_smtp(settings), *outbox]
