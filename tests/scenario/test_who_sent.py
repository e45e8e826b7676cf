"""Who sent a mail (docs/BEHAVIOUR.md): a sender found past `From:` opens a ticket in their
name, a mail with junk lines before its headers is read, and only a mail with no address
anywhere is refused, with its reason."""

from pathlib import Path

import pytest

from mailbot.workflow.models import ProcessedMail

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"
LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"


def deliver(helpdesk, raw: bytes):
    result = helpdesk.app.process(raw, "direct")
    helpdesk.app.wait_for_delivery()
    return result


def recorded(helpdesk, mail_id: int) -> tuple[str, str, str]:
    with helpdesk.app.db.transaction() as session:
        record = session.get(ProcessedMail, mail_id)
        return record.outcome, record.reason, record.sender


@pytest.mark.parametrize(
    "name, requester, user_name",
    [
        ("sender_only_in_sender_header.eml", LOIC, "Loïc Medori"),
        ("from_display_name_only_reply_to.eml", "secretariat@lycee.example", "Secretariat"),
        ("from_empty_angle_brackets_reply_to.eml", "intendance@lycee.example", "Intendance"),
        ("two_from_headers_second_has_address.eml", "paul.girard@lycee.example", "Paul Girard"),
        ("from_quoted_bare_address.eml", "finances@lycee.example", ""),
        ("from_quoted_address_empty_brackets.eml", "finances@lycee.example", ""),
        ("only_return_path.eml", "vie.scolaire@lycee.example", ""),
        ("forwarded_with_banner_line.eml", "nadia.benali@lycee.example", "Nadia Benali"),
        ("mbox_from_line.eml", "alice.martin@lycee.example", "Alice Martin"),
        ("utf8_bom_before_headers.eml", "hugo.lambert@lycee.example", "Hugo Lambert"),
        ("blank_lines_before_headers.eml", "emma.petit@lycee.example", "Emma Petit"),
    ],
)
def test_the_mail_opens_a_ticket_for_the_sender_found_and_acknowledges_them(helpdesk, name, requester, user_name):
    result = deliver(helpdesk, (FIXTURES / name).read_bytes())
    assert result.outcome == "ticket", result.reason
    ticket = helpdesk.show(result.ticket_id)
    assert ticket["requester"] == requester
    assert ticket["content"] and "From:" not in ticket["content"]
    (user,) = [u for u in helpdesk.cli_json("users", "list") if u["email"] == requester]
    assert user["name"] == user_name
    assert [m.to for m in helpdesk.new_mails()] == [requester]
    assert recorded(helpdesk, result.mail_id) == ("ticket", "", requester)


def test_a_mail_with_no_address_anywhere_is_refused_with_its_reason(helpdesk):
    result = deliver(helpdesk, (FIXTURES / "no_sender_anywhere.eml").read_bytes())
    assert (result.outcome, result.reason, result.ticket_id) == ("refused", "no usable sender address", None)
    assert recorded(helpdesk, result.mail_id) == ("refused", "no usable sender address", "")
    assert helpdesk.cli_json("tickets", "list") == [] and helpdesk.new_mails() == []


def technician_solves(helpdesk, author_headers: bytes):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    helpdesk.send(LOIC, "Imprimante", "En panne")
    helpdesk.new_mails()
    raw = (author_headers + b"To: helpdesk@lycee.example\nSubject: Re: [Ticket #1] Imprimante\n"
           b"Message-ID: <tech-solves@lycee.example>\n\n#solve Toner remplace\n")
    return deliver(helpdesk, raw)


def test_a_technician_named_in_from_runs_commands(helpdesk):
    technician_solves(helpdesk, b"From: Camille Tech <" + TECH.encode() + b">\n")
    assert helpdesk.show(1)["status"] == "solved"


def test_a_technician_named_in_sender_runs_commands(helpdesk):
    technician_solves(helpdesk, b"From: Camille Tech\nSender: " + TECH.encode() + b"\n")
    assert helpdesk.show(1)["status"] == "solved"


@pytest.mark.parametrize("header", [b"Reply-To: ", b"Return-Path: "])
def test_a_technician_address_found_only_in_reply_to_or_return_path_runs_no_command(helpdesk, header):
    result = technician_solves(helpdesk, b"From: Camille Tech\n" + header + b"<" + TECH.encode() + b">\n")
    ticket = helpdesk.show(1)
    assert (result.outcome, ticket["status"]) == ("followup", "new")
    assert ticket["followups"][-1]["author"] == TECH
    assert ticket["followups"][-1]["content"] == "#solve Toner remplace"


@pytest.mark.parametrize("from_header, status", [
    (b"From: Camille Tech\n", "new"),  # the address is only in Reply-To: no command
    (b"From: Poste Atelier <atelier@lycee.example>\n", "solved"),  # the setting names Reply-To the author
])
def test_with_reply_to_as_requester_a_technician_runs_commands_only_beside_a_from_address(
        tmp_path, from_header, status):
    from tests.scenario.helpdesk import Helpdesk

    desk = Helpdesk(tmp_path, requester_from_reply_to=True)
    try:
        technician_solves(desk, from_header + b"Reply-To: <" + TECH.encode() + b">\n")
        assert desk.show(1)["status"] == status
    finally:
        desk.close()
