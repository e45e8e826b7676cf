"""`mailbot check`: connect to each configured server and say, in one line each, OK or what is wrong."""

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

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.server:<8} {self.where}: {self.detail}"


def _where(url: str) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def _run(server: str, where: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(server, where, True, probe())
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
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
        def probe(target=mailbox.target) -> str:  # type: ignore[no-untyped-def]
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


def run_checks(settings: Settings) -> list[Check]:
    imap = list(check_imap(settings)) or [Check("imap", "no mailbox", True,
                                                f"none configured; built-in listener on {settings.listen_address}")]
    return [check_database(settings), check_broker(settings), *imap, check_smtp(settings)]
