"""Senders: `.eml` files in the outbox folder, and SMTP against a real aiosmtpd server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mailbot.errors import ConfigError, DeliveryError
from mailbot.outbound.senders import FolderSender, SmtpSender, sender_from_url


def a_mail(message_id: str = "mailbot.59.3f2a@lycee.example") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Helpdesk <helpdesk@lycee.example>"
    message["To"] = "loic.medori@lycee.example"
    message["Subject"] = "[Ticket #59] Ordinateur très lent"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Votre demande est résolue.\n")
    return message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """Accepts everything and keeps it, or answers `rcpt_reply` / `data_reply` instead."""

    def __init__(self, *, rcpt_reply: str = "", data_reply: str = ""):
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.received: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == ("bot@lycee", "p@ss:1"), handled=False)


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """`smtp_server(handler, **controller_options)` starts a real SMTP server on loopback."""
    started: list[Controller] = []

    def start(handler: Recorder, **options: Any) -> str:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return f"127.0.0.1:{port}"

    yield start
    for controller in started:
        controller.stop()


def test_folder_sender_writes_a_parseable_eml(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    FolderSender(outbox).send(a_mail(), "loic.medori@lycee.example")

    [path] = outbox.iterdir()
    assert path.name.endswith("-mailbot.59.3f2a@lycee.example.eml")
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["Subject"] == "[Ticket #59] Ordinateur très lent"
    assert parsed.get_content() == "Votre demande est résolue.\n"


def test_folder_sender_names_files_in_sending_order(tmp_path: Path) -> None:
    clock = iter([datetime(2026, 11, 28, 10, 0, tzinfo=UTC), datetime(2026, 11, 28, 10, 5, tzinfo=UTC)])
    sender = FolderSender(tmp_path, clock=lambda: next(clock))
    sender.send(a_mail("zzz@lycee.example"), "a@lycee.example")
    sender.send(a_mail("aaa@lycee.example"), "a@lycee.example")
    assert [p.name for p in sorted(tmp_path.iterdir())] == [
        "20261128T100000000000Z-zzz@lycee.example.eml", "20261128T100500000000Z-aaa@lycee.example.eml"]


def test_folder_sender_sending_the_same_mail_again_leaves_one_file(tmp_path: Path) -> None:
    sender = FolderSender(tmp_path)
    sender.send(a_mail(), "loic.medori@lycee.example")
    sender.send(a_mail(), "loic.medori@lycee.example")
    assert len(list(tmp_path.iterdir())) == 1


def test_folder_sender_keeps_odd_message_ids_inside_the_folder(tmp_path: Path) -> None:
    FolderSender(tmp_path / "outbox").send(a_mail("../../etc/x y@evil"), "a@lycee.example")
    [path] = (tmp_path / "outbox").iterdir()
    assert "/" not in path.name.split("-", 1)[1] and " " not in path.name


def test_folder_sender_unwritable_folder_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file, not a folder")
    with pytest.raises(DeliveryError) as caught:
        FolderSender(blocker).send(a_mail(), "a@lycee.example")
    assert not caught.value.permanent


def test_smtp_sender_delivers_to_the_recipient(smtp_server: Any) -> None:
    handler = Recorder()
    address = smtp_server(handler)
    SmtpSender(f"smtp://{address}").send(a_mail(), "loic.medori@lycee.example")

    [(mail_from, rcpt_tos, content)] = handler.received
    assert mail_from == "helpdesk@lycee.example"
    assert rcpt_tos == ["loic.medori@lycee.example"]
    assert message_from_bytes(content, policy=default)["Message-ID"] == "<mailbot.59.3f2a@lycee.example>"


def test_smtp_sender_logs_in_with_percent_decoded_credentials(smtp_server: Any) -> None:
    handler = Recorder()
    address = smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False)
    SmtpSender(f"smtp://bot%40lycee:p%40ss%3A1@{address}").send(a_mail(), "a@lycee.example")
    assert handler.logins == [("bot@lycee", "p@ss:1")]
    assert len(handler.received) == 1


def test_smtp_sender_refused_login_is_temporary(smtp_server: Any) -> None:
    handler = Recorder()
    address = smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False)
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(f"smtp://bot%40lycee:wrong@{address}").send(a_mail(), "a@lycee.example")
    assert not caught.value.permanent
    assert "535" in str(caught.value)
    assert handler.received == []


def test_smtp_4xx_answer_is_a_temporary_failure_with_the_server_answer(smtp_server: Any) -> None:
    address = smtp_server(Recorder(rcpt_reply="451 4.3.0 Mailbox busy, try later"))
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(f"smtp://{address}").send(a_mail(), "a@lycee.example")
    assert not caught.value.permanent
    assert "451" in str(caught.value) and "Mailbox busy" in str(caught.value)


def test_smtp_5xx_answer_is_a_permanent_failure_with_the_server_answer(smtp_server: Any) -> None:
    address = smtp_server(Recorder(data_reply="550 5.7.1 Message refused by policy"))
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(f"smtp://{address}").send(a_mail(), "a@lycee.example")
    assert caught.value.permanent
    assert "550" in str(caught.value) and "refused by policy" in str(caught.value)


def test_smtp_unknown_recipient_is_permanent(smtp_server: Any) -> None:
    address = smtp_server(Recorder(rcpt_reply="550 5.1.1 No such user"))
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(f"smtp://{address}").send(a_mail(), "nobody@lycee.example")
    assert caught.value.permanent and "No such user" in str(caught.value)


def test_smtp_server_not_listening_is_temporary() -> None:
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(f"smtp://127.0.0.1:{free_port()}", timeout=5).send(a_mail(), "a@lycee.example")
    assert not caught.value.permanent


@pytest.mark.parametrize(("url", "port"), [("smtp://127.0.0.1", 25), ("smtps://127.0.0.1", 465),
                                          ("smtp+starttls://127.0.0.1", 587), ("smtp://127.0.0.1:2525", 2525)])
def test_smtp_url_default_ports(url: str, port: int) -> None:
    assert SmtpSender(url).port == port


def test_sender_from_url_uses_the_folder_without_smtp(tmp_path: Path) -> None:
    assert isinstance(sender_from_url("", tmp_path), FolderSender)
    assert isinstance(sender_from_url("smtp+starttls://u:p@127.0.0.1:587", tmp_path), SmtpSender)


@pytest.mark.parametrize("url", ["http://127.0.0.1", "smtp://", "smtp://127.0.0.1:notaport"])
def test_bad_smtp_url_names_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="^MAILBOT_SMTP_URL: "):
        SmtpSender(url)


def a_rendered_mail(recipient: str = "loic.medori@lycee.example") -> Any:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from mailbot.outbound.render import render

    row = SimpleNamespace(event="followup_added", recipient=recipient, language="fr",
                          message_id="mailbot.59.77@lycee.example", is_answer=False,
                          context={"ticket": {"id": 59, "title": "Écran noir « salle 204 »", "status": "assigned"},
                                   "actor": {"name": "Zoé", "email": "zoe@lycee.example"},
                                   "text": "From the start\n" + "très long " * 150, "private": False})
    return render(row, helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket",
                  timezone=ZoneInfo("Europe/Paris"))


def test_smtp_and_the_outbox_folder_carry_the_same_rendered_mail(smtp_server: Any, tmp_path: Path) -> None:
    handler = Recorder()
    message = a_rendered_mail()
    SmtpSender(f"smtp://{smtp_server(handler)}").send(message, "loic.medori@lycee.example")
    FolderSender(tmp_path).send(message, "loic.medori@lycee.example")

    [(mail_from, _, content)] = handler.received
    [path] = tmp_path.iterdir()
    assert mail_from == "helpdesk@lycee.example"
    assert content.replace(b"\r\n", b"\n") == path.read_bytes()
    parsed = message_from_bytes(content, policy=default)
    assert parsed["Subject"] == "[Ticket #59] Écran noir « salle 204 »"
    text = parsed.get_body(("plain",)).get_content()
    assert "From the start" in text.splitlines() and "très long très long" in text


def test_smtp_sends_a_non_ascii_recipient_with_smtputf8(smtp_server: Any) -> None:
    handler = Recorder()
    SmtpSender(f"smtp://{smtp_server(handler, enable_SMTPUTF8=True)}").send(
        a_rendered_mail("élève@lycée.example"), "élève@lycée.example")
    [(_, rcpt_tos, content)] = handler.received
    assert rcpt_tos == ["élève@lycée.example"]
    assert "To: élève@lycée.example\r\n".encode() in content


def test_smtp_server_without_smtputf8_refuses_a_non_ascii_recipient_for_good(smtp_server: Any) -> None:
    handler = Recorder()
    with pytest.raises(DeliveryError) as caught:
        SmtpSender(f"smtp://{smtp_server(handler, enable_SMTPUTF8=False)}").send(
            a_rendered_mail("élève@lycée.example"), "élève@lycée.example")
    assert caught.value.permanent and "SMTPUTF8" in str(caught.value)
    assert handler.received == []
