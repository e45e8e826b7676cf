"""The built-in SMTP/LMTP listener hands each mail to the app and answers by the outcome."""

from __future__ import annotations

import smtplib
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from services import LOOPBACK, free_port

from mailbot.errors import MailbotError
from mailbot.inbound.listen_target import ListenTarget, server_tls_context
from mailbot.inbound.listener import Listener
from tests.certs import self_signed

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

    def start(handle: Recorder, lmtp: bool = False, target: ListenTarget | None = None,
              tls: ssl.SSLContext | None = None) -> Listener:
        target = target or ListenTarget("lmtp" if lmtp else "smtp", host=LOOPBACK, port=free_port())
        listener = Listener(handle, target, tls=tls)
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


def _connect(listener: Listener, client_class: type[smtplib.SMTP] = smtplib.SMTP) -> smtplib.SMTP:
    target = listener.target
    return client_class(target.socket_path or target.host, target.port, timeout=30)


def test_smtp_delivery_hands_the_exact_bytes_to_the_app_under_the_envelope_sender(start_listener):
    app = Recorder()
    listener = start_listener(app)

    with _connect(listener) as client:
        refused = client.sendmail("bounces@example.org", ["helpdesk@example.org"], RAW)

    assert refused == {}
    assert len(app.calls) == 1
    raw, mailbox = app.calls[0]
    expected = b"Return-Path: <bounces@example.org>\r\n" + RAW
    assert raw.replace(b"\r\n", b"\n") == expected.replace(b"\r\n", b"\n")
    assert mailbox == "listener"


@pytest.mark.parametrize("mail_from, raw, top", [
    ("", RAW, b"Return-Path: <>"),  # a bounce: the guard knows it by its empty Return-Path
    ("x@example.org", b"Return-Path: <alice@example.org>\r\n" + RAW, b"Return-Path: <alice@example.org>"),
    ("x@example.org", RAW.replace(b"Subject:", b"return-path : <alice@example.org>\r\nSubject:"), b"From: Alice"),
])
def test_the_envelope_sender_becomes_the_return_path_only_when_the_mail_has_none(start_listener, mail_from, raw, top):
    app = Recorder()
    listener = start_listener(app)

    with _connect(listener) as client:
        client.sendmail(mail_from, ["helpdesk@example.org"], raw)

    received = app.calls[0][0]
    assert received.startswith(top)
    assert received.count(b"eturn-path") + received.count(b"eturn-Path") == 1


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
        with _connect(listener) as other:
            assert other.noop()[0] == 250
    finally:
        release.set()
        first.join(timeout=10)


def _send(listener: Listener) -> None:
    with _connect(listener) as client:
        client.sendmail("alice@example.org", ["helpdesk@example.org"], RAW)


def lmtp_replies(listener: Listener, recipients: list[str]) -> list[tuple[int, bytes]]:
    """Deliver RAW by LMTP and read the reply lines after DATA (smtplib reads only the first)."""
    with _connect(listener, smtplib.LMTP) as client:
        assert client.ehlo()[0] == 250  # LHLO answered: the server speaks LMTP
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
        (250, b"2.1.5 <helpdesk@example.org> delivered: ticket"),
        (250, b"2.1.5 <support@example.org> delivered: ticket"),
    ]
    assert len(app.calls) == 1


def test_app_failure_asks_the_sending_server_to_retry(start_listener):
    app = Recorder(error=RuntimeError("database is down"))
    listener = start_listener(app)

    with _connect(listener) as client, pytest.raises(smtplib.SMTPDataError) as raised:
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

    with _connect(listener) as client:
        client.sendmail("alice@example.org", ["helpdesk@example.org"], raw)

    assert len(app.calls[0][0]) >= 20 * 1024 * 1024


@pytest.fixture
def socket_dir():
    """A short folder for unix sockets (their path is limited to 107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="mailbot-") as folder:
        yield Path(folder)


def test_lmtp_on_a_unix_socket_answers_once_per_recipient(start_listener, socket_dir):
    app = Recorder()
    path = socket_dir / "lmtp.sock"
    listener = start_listener(app, target=ListenTarget("lmtp", socket_path=str(path)))

    replies = lmtp_replies(listener, ["helpdesk@example.org", "support@example.org"])

    assert replies == [
        (250, b"2.1.5 <helpdesk@example.org> delivered: ticket"),
        (250, b"2.1.5 <support@example.org> delivered: ticket"),
    ]
    assert len(app.calls) == 1
    assert path.stat().st_mode & 0o777 == 0o666  # who may deliver is up to the folder's mode


def test_a_stale_socket_file_is_replaced_and_the_socket_removed_on_stop(socket_dir):
    path = socket_dir / "lmtp.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # left behind by a mailbot that was killed
    stale.close()
    listener = Listener(Recorder(), ListenTarget("lmtp", socket_path=str(path)))

    listener.start()
    try:
        assert lmtp_replies(listener, ["helpdesk@example.org"])[0][0] == 250
    finally:
        listener.stop()

    assert not path.exists()


@pytest.fixture
def certificate(tmp_path):
    return self_signed(tmp_path)


def _trusting(certificate) -> ssl.SSLContext:
    """A client context that checks the listener's certificate against the test's own."""
    return ssl.create_default_context(cafile=str(certificate.cert))


def test_with_a_certificate_starttls_is_offered_and_the_mail_goes_through_it(start_listener, certificate):
    app = Recorder()
    listener = start_listener(app, tls=server_tls_context(certificate.cert, certificate.key))

    with _connect(listener) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.starttls(context=_trusting(certificate))[0] == 220
        assert isinstance(client.sock, ssl.SSLSocket) and client.sock.version() in ("TLSv1.2", "TLSv1.3")
        refused = client.sendmail("alice@example.org", ["helpdesk@example.org"], RAW)

    assert refused == {}
    expected = b"Return-Path: <alice@example.org>\r\n" + RAW
    assert [raw.replace(b"\r\n", b"\n") for raw, _ in app.calls] == [expected.replace(b"\r\n", b"\n")]


def test_with_a_certificate_a_client_may_still_deliver_in_clear(start_listener, certificate):
    app = Recorder()
    listener = start_listener(app, tls=server_tls_context(certificate.cert, certificate.key))

    with _connect(listener) as client:
        assert client.sendmail("alice@example.org", ["helpdesk@example.org"], RAW) == {}

    assert len(app.calls) == 1


def test_lmtp_offers_starttls_too(start_listener, certificate):
    listener = start_listener(Recorder(), lmtp=True, tls=server_tls_context(certificate.cert, certificate.key))

    with _connect(listener, smtplib.LMTP) as client:
        client.ehlo_or_helo_if_needed()
        assert client.starttls(context=_trusting(certificate))[0] == 220


def test_without_a_certificate_starttls_is_not_offered(start_listener):
    listener = start_listener(Recorder())

    with _connect(listener) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.starttls()


def test_a_port_already_taken_is_one_error_naming_mailbot_listen():
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        listener = Listener(Recorder(), ListenTarget("lmtp", host=LOOPBACK, port=port))

        with pytest.raises(MailbotError) as caught:
            listener.start()

    assert str(caught.value).startswith(f"MAILBOT_LISTEN: cannot listen on lmtp://127.0.0.1:{port}: ")
