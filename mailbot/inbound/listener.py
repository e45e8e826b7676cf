"""The built-in SMTP/LMTP listener (MAILBOT_LISTEN): an MTA or a mail client delivers mail to
mailbot directly, over TCP or a unix socket, with STARTTLS when a certificate is configured.

What the sender is told after DATA (LMTP: the same line once per recipient, RFC 2033):

| the app's callback                                | reply | the sender then         |
|---------------------------------------------------|-------|-------------------------|
| returned any outcome, `failed` included: recorded | 250   | forgets the mail        |
| raised (database unreachable): nothing recorded   | 451   | keeps it, retries later |
| (the mail is larger than DATA_SIZE_LIMIT)         | 552   | returns it to its author |

A 250 says what came of the mail after a colon (`250 2.0.0 Message accepted: ticket #12`,
`: failed: <the error's first line>`): MTAs log it, and `mailbot ingest -` turns it into the exit
status the in-process command gives (mailbot/handoff.py). The greeting ends with
LISTENER_IDENT, by which `mailbot ingest -` knows it talks to mailbot; a mail to LF_RECIPIENT
alone has its CRLF made LF again (`mailbot ingest -` sends a mail with LF line ends so).

As the final delivery server, the listener writes the envelope sender (`MAIL FROM`) on top of
the mail as `Return-Path:` when the mail has none (RFC 5321 §4.4), as a mailbox server would:
the sender of a mail without a usable `From:` is then still known, and a bounce (`MAIL FROM:<>`)
carries its empty `Return-Path`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import ssl
from typing import Any

from aiosmtpd.controller import Controller, UnixSocketController
from aiosmtpd.lmtp import LMTP

from mailbot.errors import MailbotError
from mailbot.inbound import MailHandler
from mailbot.inbound.listen_target import LF_RECIPIENT, LISTENER_IDENT, ListenTarget

log = logging.getLogger("mailbot.listener")

MAILBOX = "listener"
# A mail with a 14 MiB attachment is about 20 MB once base64-encoded; leave room for several.
DATA_SIZE_LIMIT = 40 * 1024 * 1024
ACCEPTED = "250 2.0.0 Message accepted"
# 451 makes the sending MTA keep the mail and retry later: nothing is lost.
RETRY_LATER = "451 4.3.0 Temporary failure, please try again later"
LMTP_DELIVERED = "250 2.1.5 <{}> delivered"
LMTP_RETRY_LATER = "451 4.3.0 <{}> temporary failure, please try again later"
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_RETURN_PATH = re.compile(rb"(?im)^return-path[ \t]*:")
_LOOK_FOR_HEADERS = 256 * 1024
_MAX_SAID = 200  # characters of a failed mail's error in the answer


def outcome_said(result: Any) -> str:
    """What a 250 says came of the mail: `ticket #12`, `duplicate`, `failed: <error>` (ASCII,
    one line)."""
    outcome = str(getattr(result, "outcome", result))
    ticket = getattr(result, "ticket_id", None)
    said = outcome + (f" #{ticket}" if ticket else "")
    if outcome == "failed":
        reason = " ".join(str(getattr(result, "reason", "") or "").split())[:_MAX_SAID]
        said += f": {reason}" if reason else ""
    return said.encode("ascii", "replace").decode("ascii")


def with_return_path(raw: bytes, mail_from: str | None) -> bytes:
    """`raw` with `Return-Path: <mail_from>` on top, unless its header block has one."""
    head = raw[:_LOOK_FOR_HEADERS]
    end = _HEADER_BLOCK_END.search(head)
    if _RETURN_PATH.search(head[:end.start()] if end else head):
        return raw
    newline = b"\r\n" if raw.find(b"\r\n", 0, 1000) >= 0 else b"\n"
    sender = (mail_from or "").strip().strip("<>").encode("utf-8", "replace")
    return b"Return-Path: <" + sender + b">" + newline + raw


class _Delivery:
    """aiosmtpd handler: one DATA = one call of the app's callback, in a worker thread."""

    def __init__(self, handle: MailHandler, lmtp: bool):
        self.handle = handle
        self.lmtp = lmtp

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if envelope.rcpt_tos == [LF_RECIPIENT]:  # from `mailbot ingest -`: its lines ended in LF
            raw = raw.replace(b"\r\n", b"\n")
        raw = with_return_path(raw, envelope.mail_from)
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, self.handle, raw, MAILBOX)
        except Exception:
            log.exception("mail from %s could not be recorded; asked the sender to retry",
                          envelope.mail_from)
            return self._reply(False, envelope.rcpt_tos)
        log.info("mail from %s%s: %s", envelope.mail_from, " (TLS)" if session.ssl else "",
                 getattr(result, "outcome", result))
        return self._reply(True, envelope.rcpt_tos, outcome_said(result))

    def _reply(self, recorded: bool, recipients: list[str], said: str = "") -> str:
        said = f": {said}" if said else ""
        if not self.lmtp:
            return ACCEPTED + said if recorded else RETRY_LATER
        # LMTP (RFC 2033) wants one reply line per accepted recipient after DATA.
        if not recorded:
            return "\r\n".join(LMTP_RETRY_LATER.format(rcpt) for rcpt in recipients)
        return "\r\n".join(LMTP_DELIVERED.format(rcpt) + said for rcpt in recipients)


class _LmtpFactory:
    handler: Any
    SMTP_kwargs: dict[str, Any]

    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


class _LmtpController(_LmtpFactory, Controller):
    pass


class _LmtpUnixController(_LmtpFactory, UnixSocketController):
    pass


# (protocol, on a unix socket) -> aiosmtpd controller
CONTROLLERS: dict[tuple[str, bool], type[Controller | UnixSocketController]] = {
    ("smtp", False): Controller,
    ("lmtp", False): _LmtpController,
    ("smtp", True): UnixSocketController,
    ("lmtp", True): _LmtpUnixController,
}
# Who may deliver through a unix socket is decided by the permissions of its folder.
SOCKET_MODE = 0o666


class Listener:
    """Receives mail at `target` by SMTP or LMTP and hands each one to `handle`; offers
    STARTTLS when given a `tls` context (offered, not required: a client may deliver in clear)."""

    def __init__(self, handle: MailHandler, target: ListenTarget, tls: ssl.SSLContext | None = None):
        self.target = target
        self.tls = tls is not None
        where: dict[str, Any] = ({"unix_socket": target.socket_path} if target.socket_path
                                 else {"hostname": target.host, "port": target.port})
        controller_class = CONTROLLERS[(target.protocol, bool(target.socket_path))]
        self._controller = controller_class(
            _Delivery(handle, target.lmtp),
            **where,
            tls_context=tls,
            data_size_limit=DATA_SIZE_LIMIT,
            ident=LISTENER_IDENT,
            # the greeting's host name, looked up once here rather than at every connection
            server_hostname=socket.getfqdn(),
        )

    def start(self) -> None:
        """Listen in a background thread; returns once the address accepts connections.
        Raises MailbotError naming MAILBOT_LISTEN when it cannot listen there."""
        try:
            self._controller.start()
        except OSError as exc:
            self._controller.stop(no_assert=True)
            raise MailbotError(f"MAILBOT_LISTEN: cannot listen on {self.target}: {exc}") from None
        if self.target.socket_path:
            os.chmod(self.target.socket_path, SOCKET_MODE)
        log.info("listening for %s on %s%s", self.target.protocol.upper(), self.target,
                 " (STARTTLS offered)" if self.tls else "")

    def stop(self) -> None:
        """Stop accepting mail; deliveries already answered are committed."""
        self._controller.stop()
        if self.target.socket_path:
            try:
                os.unlink(self.target.socket_path)
            except FileNotFoundError:
                pass
        log.info("listener on %s stopped", self.target)
