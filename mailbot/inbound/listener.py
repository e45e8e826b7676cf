"""The built-in SMTP/LMTP listener (MAILBOT_LISTEN): an MTA delivers mail to mailbot directly."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

from mailbot.inbound import MailHandler

log = logging.getLogger("mailbot.listener")

MAILBOX = "listener"
# A mail with a 14 MiB attachment is about 20 MB once base64-encoded; leave room for several.
DATA_SIZE_LIMIT = 40 * 1024 * 1024
ACCEPTED = "250 2.0.0 Message accepted"
# 451 makes the sending MTA keep the mail and retry later: nothing is lost.
RETRY_LATER = "451 4.3.0 Temporary failure, please try again later"
LMTP_DELIVERED = "250 2.1.5 <{}> delivered"
LMTP_RETRY_LATER = "451 4.3.0 <{}> temporary failure, please try again later"


class _Delivery:
    """aiosmtpd handler: one DATA = one call of the app's callback, in a worker thread."""

    def __init__(self, handle: MailHandler, lmtp: bool):
        self.handle = handle
        self.lmtp = lmtp

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, self.handle, raw, MAILBOX)
        except Exception:
            log.exception("mail from %s could not be recorded; asked the sender to retry",
                          envelope.mail_from)
            return self._reply(False, envelope.rcpt_tos)
        log.info("mail from %s: %s", envelope.mail_from, getattr(result, "outcome", result))
        return self._reply(True, envelope.rcpt_tos)

    def _reply(self, recorded: bool, recipients: list[str]) -> str:
        if not self.lmtp:
            return ACCEPTED if recorded else RETRY_LATER
        # LMTP (RFC 2033) wants one reply line per accepted recipient after DATA.
        line = LMTP_DELIVERED if recorded else LMTP_RETRY_LATER
        return "\r\n".join(line.format(rcpt) for rcpt in recipients)


class _LmtpController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


class Listener:
    """Receives mail on HOST:PORT by SMTP (or LMTP) and hands each one to `handle`."""

    def __init__(self, handle: MailHandler, host: str, port: int, lmtp: bool = False):
        self.host = host
        self.port = port
        self.lmtp = lmtp
        controller_class = _LmtpController if lmtp else Controller
        self._controller = controller_class(
            _Delivery(handle, lmtp),
            hostname=host,
            port=port,
            data_size_limit=DATA_SIZE_LIMIT,
        )

    def start(self) -> None:
        """Listen in a background thread; returns once the port accepts connections."""
        self._controller.start()
        log.info("listening for %s on %s:%d", "LMTP" if self.lmtp else "SMTP", self.host, self.port)

    def stop(self) -> None:
        """Stop accepting mail; deliveries already answered are committed."""
        self._controller.stop()
        log.info("listener on %s:%d stopped", self.host, self.port)
