"""The built-in SMTP/LMTP listener hands each mail to the app and answers by the outcome."""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass

import pytest
from services import LOOPBACK, free_port

from mailbot.inbound.listener import Listener

pytestmark = pytest.mark.integration

RAW = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: helpdesk@example.org\r\n"
    b"Subject: Imprimante en panne\r\n"
    b"Message-ID: <printer-1@example.org>\r\n"
    b"\r\n"
    b"L'imprimante du 2e \xc3\xa9tage ne r\xc3\xa9pond plus.\r\n"
)


@dataclass(frozen=True)
class Result:
    outcome: str


class Recorder:
    """A stand-in for the app: keeps what it was given, or raises when told to."""

    def __init__(self, error: Exception | None = None):
        self.calls: list[tuple[bytes, str]] = []
        self.attempts = 0
        self.error = error

    def __call__(self, raw: bytes, mailbox: str) -> Result:
        self.attempts += 1
        if self.error:
            raise self.error
        self.calls.append((raw, mailbox))
        return Result("ticket")


@pytest.fixture
def start_listener():
    started: list[Listener] = []

    def start(handle: Recorder, lmtp: bool = False) -> Listener:
        listener = Listener(handle, LOOPBACK, free_port(), lmtp=lmtp)
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


def test_smtp_delivery_hands_the_exact_bytes_to_the_app(start_listener):
    app = Recorder()
    listener = start_listener(app)

    with smtplib.SMTP(listener.host, listener.port) as client:
        refused = client.sendmail("alice@example.org", ["helpdesk@example.org"], RAW)

    assert refused == {}
    assert len(app.calls) == 1
    raw, mailbox = app.calls[0]
    assert raw.replace(b"\r\n", b"\n") == RAW.replace(b"\r\n", b"\n")
    assert mailbox == "listener"


def test_a_slow_app_does_not_stop_other_senders_from_connecting(start_listener):
    release = threading.Event()
    busy = threading.Event()

    def slow_app(raw: bytes, mailbox: str) -> Result:
        busy.set()
        release.wait(timeout=10)
        return Result("ticket")

    listener = start_listener(slow_app)
    first = threading.Thread(target=lambda: _send(listener))
    first.start()
    try:
        assert busy.wait(timeout=5)
        with smtplib.SMTP(listener.host, listener.port, timeout=5) as other:
            assert other.noop()[0] == 250
    finally:
        release.set()
        first.join(timeout=10)


def _send(listener: Listener) -> None:
    with smtplib.SMTP(listener.host, listener.port) as client:
        client.sendmail("alice@example.org", ["helpdesk@example.org"], RAW)


def lmtp_replies(listener: Listener, recipients: list[str]) -> list[tuple[int, bytes]]:
    """Deliver RAW by LMTP and read the reply lines after DATA (smtplib reads only the first)."""
    with smtplib.LMTP(listener.host, listener.port) as client:
        client.ehlo_or_helo_if_needed()
        client.mail("alice@example.org")
        for rcpt in recipients:
            assert client.rcpt(rcpt)[0] == 250
        replies = [client.data(RAW)]
        replies += [client.getreply() for _ in recipients[1:]]
        client.rset()
    return replies


def test_lmtp_delivery_answers_once_per_recipient(start_listener):
    app = Recorder()
    listener = start_listener(app, lmtp=True)

    replies = lmtp_replies(listener, ["helpdesk@example.org", "support@example.org"])

    assert replies == [
        (250, b"2.1.5 <helpdesk@example.org> delivered"),
        (250, b"2.1.5 <support@example.org> delivered"),
    ]
    assert len(app.calls) == 1


def test_app_failure_asks_the_sending_server_to_retry(start_listener):
    app = Recorder(error=RuntimeError("database is down"))
    listener = start_listener(app)

    with smtplib.SMTP(listener.host, listener.port) as client:
        with pytest.raises(smtplib.SMTPDataError) as raised:
            client.sendmail("alice@example.org", ["helpdesk@example.org"], RAW)

    assert raised.value.smtp_code == 451
    assert app.attempts == 1


def test_app_failure_over_lmtp_asks_a_retry_for_every_recipient(start_listener):
    app = Recorder(error=RuntimeError("database is down"))
    listener = start_listener(app, lmtp=True)

    replies = lmtp_replies(listener, ["helpdesk@example.org", "support@example.org"])

    assert [code for code, _ in replies] == [451, 451]
    assert b"<support@example.org>" in replies[1][1]


def test_a_mail_with_a_14_mib_attachment_is_accepted(start_listener):
    app = Recorder()
    listener = start_listener(app)
    attachment_line = b"QUJD" * 19 + b"\r\n"  # 78 bytes of base64 per line
    body = attachment_line * (20 * 1024 * 1024 // len(attachment_line))
    raw = RAW + body

    with smtplib.SMTP(listener.host, listener.port) as client:
        client.sendmail("alice@example.org", ["helpdesk@example.org"], raw)

    assert len(app.calls[0][0]) >= 20 * 1024 * 1024
