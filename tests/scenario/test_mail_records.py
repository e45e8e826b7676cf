"""Each mail is recorded once per mailbox (SPEC §8): the same mail delivered again is a
duplicate, a different mail that reuses a Message-ID still becomes a ticket, and a database
conflict that is not the mail's own record never makes a mail vanish as a "duplicate"."""

import logging
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.parsers.message import parse_message
from mailbot.workflow import service as service_module
from mailbot.workflow.models import ProcessedMail, ThreadMessage, Ticket, User
from mailbot.workflow.service import MailService

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"
HELPDESK = "helpdesk@lycee.example"
REQUEST = (FIXTURES / "new_ticket_with_cc.eml").read_bytes()
ALERTS = [(FIXTURES / f"copier_alert_reused_message_id_{n}.eml").read_bytes() for n in (1, 2)]
RELAYED = (b"Received: from mx2.lycee.example by imap.lycee.example; Mon, 30 Nov 2026 08:00:00 +0100\r\n"
           b"Delivered-To: helpdesk@lycee.example\r\nX-Spam-Status: No, score=-0.1\r\n"
           + REQUEST.replace(b"\n", b"\r\n"))


def process(helpdesk, raw, mailbox="direct"):
    result = helpdesk.app.process(raw, mailbox)
    helpdesk.app.wait_for_delivery()
    return result


def tickets(helpdesk):
    with helpdesk.app.db.transaction() as session:
        return list(session.scalars(select(Ticket.title).order_by(Ticket.id)))


def test_the_same_mail_delivered_again_by_another_route_is_a_duplicate(helpdesk):
    first = process(helpdesk, REQUEST)
    again = process(helpdesk, RELAYED)
    assert (first.outcome, again.outcome) == ("ticket", "duplicate")
    assert again.ticket_id == first.ticket_id
    assert tickets(helpdesk) == ["Ordinateur 203-02 très lent"]


def test_the_same_mail_in_another_mailbox_is_recorded_there_too(helpdesk):
    assert process(helpdesk, REQUEST, "imap://helpdesk@mail/INBOX").outcome == "ticket"
    assert process(helpdesk, REQUEST, "imap://helpdesk@mail/INBOX").outcome == "duplicate"
    assert process(helpdesk, RELAYED, "imap://vie-scolaire@mail/INBOX").outcome == "ticket"


def test_two_different_mails_with_one_message_id_open_two_tickets(helpdesk):
    first, second = (process(helpdesk, raw) for raw in ALERTS)
    assert (first.outcome, second.outcome) == ("ticket", "ticket")
    assert tickets(helpdesk) == ["Copieur B203 : bourrage papier magasin 2",
                                 "Copieur B203 : toner noir presque vide"]
    assert process(helpdesk, ALERTS[1]).outcome == "duplicate"


def test_the_first_ticket_keeps_a_reused_message_id_and_replies_to_each_ticket_find_it(helpdesk):
    first, second = (process(helpdesk, raw) for raw in ALERTS)
    acknowledgements = {mail.subject: mail for mail in helpdesk.new_mails()}
    with helpdesk.app.db.transaction() as session:
        owner = session.get(ThreadMessage, "000000000001@copieur-b203.lycee.example")
        assert owner.ticket_id == first.ticket_id
    ack = next(mail for subject, mail in acknowledgements.items() if f"#{second.ticket_id}]" in subject)
    answer = helpdesk.send("copieur-b203@lycee.example", "Re: toner", "Cartouche commandée.",
                           in_reply_to=ack.message_id)
    assert (answer.outcome, answer.ticket_id) == ("followup", second.ticket_id)
    to_the_id = helpdesk.send("copieur-b203@lycee.example", "Re: copieur", "Toujours en panne.",
                              in_reply_to="000000000001@copieur-b203.lycee.example")
    assert (to_the_id.outcome, to_the_id.ticket_id) == ("followup", first.ticket_id)


def _as_recorded_by_the_earlier_rule(helpdesk, mail_id, key):
    with helpdesk.app.db.transaction() as session:
        session.get(ProcessedMail, mail_id).mail_key = key


def test_a_mail_recorded_under_the_earlier_key_is_still_a_duplicate(helpdesk):
    first = process(helpdesk, ALERTS[0])
    _as_recorded_by_the_earlier_rule(helpdesk, first.mail_id, "000000000001@copieur-b203.lycee.example")
    assert process(helpdesk, ALERTS[0]).outcome == "duplicate"
    assert process(helpdesk, ALERTS[1]).outcome == "ticket"  # the same Message-ID, another mail
    assert len(tickets(helpdesk)) == 2


def test_a_mail_without_message_id_recorded_under_its_bytes_is_still_a_duplicate(helpdesk):
    raw = b"From: prof@lycee.example\r\nTo: helpdesk@lycee.example\r\nSubject: Projecteur\r\n\r\nHS\r\n"
    first = process(helpdesk, raw)
    sha = parse_message(raw, helpdesk_address=HELPDESK).sha256
    _as_recorded_by_the_earlier_rule(helpdesk, first.mail_id, f"sha256:{sha}")
    assert process(helpdesk, raw).outcome == "duplicate"
    assert len(tickets(helpdesk)) == 1


# --- database conflicts that are not the mail's own record -----------------------------------------

def _conflict() -> IntegrityError:
    return IntegrityError("INSERT INTO users (email) VALUES (%(email)s)", {},
                          Exception('duplicate key value violates unique constraint "users_email_key"'))


def test_a_conflict_that_is_not_the_mail_is_tried_again_and_the_mail_becomes_a_ticket(helpdesk, caplog):
    real = service_module.create_user
    calls = []

    def create_user_once_beaten(session, address, now):
        calls.append(address.email)
        if len(calls) == 1:  # another mailbox created this user at the same moment
            raise _conflict()
        return real(session, address, now)

    with mock.patch.object(service_module, "create_user", create_user_once_beaten), caplog.at_level(logging.INFO):
        result = process(helpdesk, ALERTS[0])
    assert result.outcome == "ticket"
    assert len(calls) == 2
    assert "database conflict" in caplog.text and "trying once more" in caplog.text
    with helpdesk.app.db.transaction() as session:
        assert session.scalar(select(User.email).where(User.email == "copieur-b203@lycee.example"))


def test_a_conflict_that_stays_after_one_retry_fails_the_mail_with_its_error(helpdesk):
    calls = []

    def create_user_always_beaten(session, address, now):
        calls.append(address.email)
        raise _conflict()

    with mock.patch.object(service_module, "create_user", create_user_always_beaten):
        result = process(helpdesk, ALERTS[0])
    assert result.outcome == "failed"
    assert len(calls) == 2  # the first try and one retry
    assert "users_email_key" in result.reason
    assert tickets(helpdesk) == []
    listed = helpdesk.cli_json("failed", "list")["mails"]
    assert [(row["subject"], row["sender"]) for row in listed] == [
        ("Copieur B203 : bourrage papier magasin 2", "copieur-b203@lycee.example")]
    assert "IntegrityError" in listed[0]["error"] and "users_email_key" in listed[0]["error"]
    assert "IntegrityError: duplicate key value" in helpdesk.cli("failed", "list")
    # and the mail is not lost: processed again, it becomes the ticket it should have been
    assert helpdesk.cli("failed", "retry", str(listed[0]["id"])).startswith(f"mail {listed[0]['id']}: ticket")


def test_a_conflict_on_the_mails_own_record_is_a_duplicate(helpdesk):
    """Another process committed this very mail between our look-up and our insert."""
    real = MailService.find_recorded
    concurrent: list[int] = []

    def find_recorded(session, mailbox, parsed):
        if not concurrent:
            with helpdesk.app.db.transaction() as other:  # the other process, committed first
                record = ProcessedMail(mailbox=mailbox, mail_key=parsed.mail_key, sha256=parsed.sha256,
                                       raw=b"", outcome="ticket", received_at=helpdesk.clock())
                other.add(record)
                other.flush()
                concurrent.append(record.id)
            return None
        return real(session, mailbox, parsed)

    with mock.patch.object(MailService, "find_recorded", staticmethod(find_recorded)):
        result = process(helpdesk, ALERTS[0])
    assert result.outcome == "duplicate"
    assert result.reason == f"recorded concurrently as mail {concurrent[0]}"
    assert tickets(helpdesk) == []  # our half-done ticket was rolled back


# --- what the log says about each mail -------------------------------------------------------------

def mail_lines(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "mailbot" and r.levelno == logging.INFO and r.getMessage().startswith("mail ")]


@pytest.mark.parametrize("raw, settings, line", [
    (b"To: helpdesk@lycee.example\r\nSubject: sans expediteur\r\nMessage-ID: <nobody@x.example>\r\n\r\nx\r\n",
     {}, "refused: no usable sender address"),
    (ALERTS[0], {"unknown_senders": "ignore"}, "ignored: unknown sender"),
    (ALERTS[0], {"unknown_senders": "reject"}, "refused: unknown sender"),
    (b"", {}, "failed: not a mail: empty input: not a mail"),
])
def test_the_log_line_of_a_mail_says_why(tmp_path, caplog, raw, settings, line):
    from tests.scenario.helpdesk import Helpdesk

    desk = Helpdesk(tmp_path, **settings)
    try:
        with caplog.at_level(logging.INFO, logger="mailbot"):
            result = process(desk, raw)
        key = parse_message(raw, helpdesk_address=HELPDESK).mail_key if raw else f"sha256:{_sha(raw)}"
        assert mail_lines(caplog) == [f"mail {key}: {line}"]
        assert line.endswith(result.reason)
    finally:
        desk.close()


def _sha(raw: bytes) -> str:
    import hashlib

    return hashlib.sha256(raw).hexdigest()


def test_the_log_lines_of_a_duplicate_and_a_failed_mail_say_why(helpdesk, caplog):
    first = process(helpdesk, ALERTS[0])
    key = parse_message(ALERTS[0], helpdesk_address=HELPDESK).mail_key
    other = parse_message(ALERTS[1], helpdesk_address=HELPDESK).mail_key
    with caplog.at_level(logging.INFO, logger="mailbot"):
        process(helpdesk, ALERTS[0])
        with mock.patch.object(MailService, "handle", side_effect=RuntimeError("disk on fire")):
            process(helpdesk, ALERTS[1])
    assert mail_lines(caplog) == [
        f"mail {key}: duplicate #{first.ticket_id}: already processed as mail {first.mail_id}",
        f"mail {other}: failed: RuntimeError: disk on fire",
    ]
