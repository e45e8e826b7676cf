"""Where rendered mails go: an SMTP server, or `.eml` files in an outbox folder when none is configured."""

from __future__ import annotations

import copy
import io
import os
import re
import smtplib
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import Message
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from mailbot.errors import ConfigError, DeliveryError
from mailbot.outbound.shared_parts import SharedPart

DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}


class Sender(Protocol):
    def send(self, message: Message, recipient: str) -> None:
        """Hand `message` over for `recipient`.

        Raises DeliveryError(permanent=False) when trying again later may work (server
        unreachable, 4xx), DeliveryError(permanent=True) when it never will (5xx); the
        error's message carries the server's answer.
        """


# A sender may also offer `batch()`: a context manager giving a `send(message, recipient)` for
# several mails at once, whose hand-over is complete only when the batch is left without error
# (FolderSender, SmtpSender). Delivery uses it when there (outbound/delivery.py).


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Generator(BytesGenerator):
    """The stdlib's BytesGenerator, writing a body without a carriage return in one piece
    instead of line by line: the same bytes, for a fraction of the time on an attached
    document's base64 (tens of thousands of lines a megabyte)."""

    def flatten(self, msg: Message, unixfrom: bool = False, linesep: str | None = None) -> None:
        """A shared part (outbound/shared_parts.py) is written once for each way of writing it,
        and its bytes reused by the next mails that carry it."""
        if not isinstance(msg, SharedPart) or unixfrom:
            super().flatten(msg, unixfrom, linesep)
            return
        wire = msg.wire
        policy = msg.policy if self.policy is None else self.policy
        # a policy is cloned for every mail written: keyed by what it says, not by the object
        key = (type(policy), tuple(sorted(vars(policy).items())), linesep, self._mangle_from_)  # type: ignore[attr-defined]
        data = wire.get(key)
        if data is None:
            buffer = io.BytesIO()
            BytesGenerator.flatten(_Generator(buffer, self._mangle_from_, policy=self.policy), msg, False, linesep)  # type: ignore[attr-defined]
            data = wire[key] = buffer.getvalue()
        self._fp.write(data)  # type: ignore[attr-defined]

    def _write_lines(self, lines: str) -> None:
        if "\r" in lines:
            super()._write_lines(lines)  # type: ignore[misc]  # the stdlib's own, for mixed line ends
            return
        self.write(lines if self._NL == "\n" else lines.replace("\n", self._NL))  # type: ignore[attr-defined]


def as_wire_bytes(message: Message, *, linesep: str = "\r\n", utf8: bool = False) -> bytes:
    """The mail as written to a file or over SMTP, in the message's own policy; `utf8` writes
    non-ASCII headers raw (SMTPUTF8) where that policy can."""
    changes: dict[str, Any] = {"linesep": linesep}
    if utf8 and hasattr(message.policy, "utf8"):
        changes["utf8"] = True
    buffer = io.BytesIO()
    # mangle_from_=False: body lines starting with "From " are sent as written (not an mbox)
    _Generator(buffer, mangle_from_=False, policy=message.policy.clone(**changes)).flatten(message)
    return buffer.getvalue()


def _envelope_sender(message: Message) -> str:
    found = getaddresses([str(message["Sender"] or message["From"] or "")])
    return found[0][1] if found else ""


def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2) through the C library (Python has no binding), or None elsewhere."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs() if sys.platform.startswith("linux") else None


def _flush_to_disk(folder: Path, names: list[str]) -> None:
    """Make the files' contents durable: one syncfs(2) of the folder's file system for the
    whole batch where there is one (half the time of an fsync per file for a batch of 20 on
    ext4), else an fsync of each file. Raises OSError when the system reports a failure."""
    if _SYNCFS is not None and len(names) > 1:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            os.close(fd)
    for name in names:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FolderSender:
    """Writes each mail to `<outbox_dir>/<timestamp>-<message-id>.eml`, atomically."""

    def __init__(self, outbox_dir: Path | str, *, clock: Callable[[], datetime] = _utc_now):
        self.outbox_dir = Path(outbox_dir)
        self._clock = clock
        self._lock = threading.Lock()
        self._written: dict[str, Path] | None = None

    def path_for(self, message: Message) -> Path:
        safe_id = re.sub(r"[^A-Za-z0-9._@+-]", "_", str(message["Message-ID"] or "").strip().strip("<>"))
        with self._lock:
            if self._written is None:  # the folder is read once, not at every mail
                self._written = {path.name.split("-", 1)[-1][:-4]: path
                                 for path in self.outbox_dir.glob("*-*.eml")}
            # A retry of the same mail replaces its earlier file instead of adding a second one.
            path = self._written.get(safe_id)
            if path is None:
                path = self.outbox_dir / f"{self._clock().strftime('%Y%m%dT%H%M%S%fZ')}-{safe_id}.eml"
                self._written[safe_id] = path
            return path

    def send(self, message: Message, recipient: str) -> None:
        with self.batch() as send:
            send(message, recipient)

    @contextmanager
    def batch(self) -> Iterator[Callable[[Message, str], None]]:
        """Write several mails, then make them durable together: each file is written to a
        temporary name, and on leaving the batch all are flushed to disk at once (`_flush_to_disk`),
        renamed into place and the folder fsynced once. Raises DeliveryError (temporary) when that fails: none of the batch
        counts as written. A mail already in the folder (a retry) is replaced, never doubled."""
        written: list[tuple[str, Path]] = []
        made: list[bool] = []

        def send(message: Message, recipient: str) -> None:
            try:
                if not made:  # once a batch, not at every mail
                    self.outbox_dir.mkdir(parents=True, exist_ok=True)
                    made.append(True)
                path = self.path_for(message)
                handle, tmp_name = tempfile.mkstemp(dir=self.outbox_dir, prefix=".tmp-", suffix=".eml")
                written.append((tmp_name, path))
                with os.fdopen(handle, "wb") as tmp:
                    tmp.write(as_wire_bytes(message, linesep="\n"))
            except OSError as exc:
                raise self._error(exc) from exc

        try:
            yield send
            if written:
                _flush_to_disk(self.outbox_dir, [tmp_name for tmp_name, _path in written])
                for tmp_name, path in written:
                    os.replace(tmp_name, path)
                folder = os.open(self.outbox_dir, os.O_RDONLY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
        except OSError as exc:
            raise self._error(exc) from exc
        finally:
            for tmp_name, _path in written:
                Path(tmp_name).unlink(missing_ok=True)

    def _error(self, exc: OSError) -> DeliveryError:
        return DeliveryError(f"cannot write to {self.outbox_dir}: {exc}", permanent=False)


def _smtp_error(code: int, answer: bytes | str) -> DeliveryError:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return DeliveryError(f"{code} {text}".strip(), permanent=500 <= code < 600)


class SmtpSender:
    """Sends over `smtp://`, `smtps://` or `smtp+starttls://`, with optional `user:pass@`."""

    def __init__(self, url: str, *, timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ConfigError(f"MAILBOT_SMTP_URL: expected smtp://, smtps:// or smtp+starttls://HOST[:PORT], got '{url}'")
        try:
            self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ConfigError(f"MAILBOT_SMTP_URL: bad port in '{url}'") from None
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.username = unquote(parts.username) if parts.username else ""
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: Message, recipient: str) -> None:
        with self.batch() as send:
            send(message, recipient)

    @contextmanager
    def batch(self) -> Iterator[Callable[[Message, str], None]]:
        """Send several mails over one connection, opened at the first and closed (QUIT) at the
        end. After a failed mail the connection is dropped and the next mail opens a new one."""
        connection: list[smtplib.SMTP] = []

        def send(message: Message, recipient: str) -> None:
            if not connection:
                connection.append(self._open())
            try:
                self._send_on(connection[0], message, recipient)
            except DeliveryError:
                _quit(connection.pop())
                raise

        try:
            yield send
        finally:
            if connection:
                _quit(connection.pop())

    def _open(self) -> smtplib.SMTP:
        try:
            return self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            # Refused logins and missing STARTTLS are set-up problems, not the mail's:
            # they stay temporary so that fixing the configuration sends the waiting mails.
            raise DeliveryError(f"cannot use SMTP server {self.host}:{self.port}: {exc}", permanent=False) from exc

    def _send_on(self, smtp: smtplib.SMTP, message: Message, recipient: str) -> None:
        mail_from = _envelope_sender(message)
        international = not (mail_from + recipient).isascii()
        if "Bcc" in message or "Resent-Bcc" in message:  # as smtplib's send_message does
            message = copy.copy(message)
            del message["Bcc"], message["Resent-Bcc"]
        data = as_wire_bytes(message, utf8=international)
        try:
            options = []
            if international:
                if not smtp.has_extn("smtputf8"):
                    raise DeliveryError(f"SMTP server {self.host}:{self.port} cannot take the non-ASCII address "
                                        f"'{recipient}' (no SMTPUTF8)", permanent=True)
                options = ["SMTPUTF8", "BODY=8BITMIME"]
            elif not data.isascii() and smtp.has_extn("8bitmime"):
                options = ["BODY=8BITMIME"]
            smtp.sendmail(mail_from, [recipient], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients.get(recipient) or next(iter(exc.recipients.values()))
            raise _smtp_error(code, answer) from exc
        except smtplib.SMTPResponseException as exc:
            raise _smtp_error(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port}: {exc}", permanent=False) from exc


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def sender_from_url(smtp_url: str, outbox_dir: Path | str) -> Sender:
    """The SMTP sender when a URL is configured, else the outbox folder (embedded default)."""
    return SmtpSender(smtp_url) if smtp_url else FolderSender(outbox_dir)
