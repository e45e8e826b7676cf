"""Finding the ticket a mail names, and the ticket title, from the subject and the recipients."""

import pytest

from mailbot.parsers.ticket_ref import (
    make_title,
    plus_ticket_id,
    strip_subject,
    subject_ticket_id,
)
from mailbot.parsers.types import Address


@pytest.mark.parametrize(
    "subject, number",
    [
        ("[Ticket #59] Imprimante", 59),
        ("RE: [Ticket #59] Imprimante", 59),
        ("Re: TR: Fwd: [ticket #59] Imprimante", 59),
        ("AW: SV: [TICKET #0059] Imprimante", 59),
        ("[#59] Imprimante", 59),
        ("Réf : [# 59] Imprimante", 59),
        ("Imprimante [Ticket #59]", 59),
        ("Re: [GLPI #0000101] New database issue", None),
        ("Ticket #59 without brackets", None),
        ("[Ticket #99999999999] too large to be ours", None),
        ("[Ticket #0] not a ticket", None),
        ("", None),
    ],
)
def test_subject_tag_gives_the_ticket_number(subject, number):
    assert subject_ticket_id(subject) == number


def test_subject_tag_word_is_configurable_and_case_insensitive():
    assert subject_ticket_id("Re: [demande #7] x", "Demande") == 7
    assert subject_ticket_id("Re: [Ticket #7] x", "Demande") is None


@pytest.mark.parametrize(
    "subject, title",
    [
        ("RE: [Ticket #59] Imprimante en panne", "Imprimante en panne"),
        ("Re: RE: TR: Fwd: FW: AW: SV: Réf : Imprimante", "Imprimante"),
        ("Re: [Ticket #59] Re: Imprimante", "Imprimante"),
        ("Re[2]: Imprimante", "Imprimante"),
        ("RE\u00a0: [#59] Imprimante", "Imprimante"),
        ("Imprimante [Ticket #59]", "Imprimante"),
        ("Re: [GLPI #0000101] New database issue", "[GLPI #0000101] New database issue"),
        ("Remplacement du clavier", "Remplacement du clavier"),
        ("Re: [Ticket #59]", ""),
    ],
)
def test_title_drops_prefixes_and_our_tag_but_keeps_other_systems_tags(subject, title):
    assert strip_subject(subject) == title


def test_empty_title_falls_back_to_the_first_text_line_cut_at_80():
    text = "\n\n   " + "x" * 100 + "\nsecond line"
    assert make_title("Re: [Ticket #59]", text) == "x" * 80
    assert make_title("", "") == ""


def test_plus_address_in_to_or_cc_names_the_ticket():
    recipients = [Address("", "someone@lycee.example"), Address("Helpdesk", "helpdesk+59@lycee.example")]
    assert plus_ticket_id(recipients, "Helpdesk@Lycee.example") == 59


def test_plus_address_of_another_mailbox_is_ignored():
    recipients = [Address("", "other+59@lycee.example"), Address("", "helpdesk+59@elsewhere.example")]
    assert plus_ticket_id(recipients, "helpdesk@lycee.example") is None
    assert plus_ticket_id([Address("", "helpdesk+abc@lycee.example")], "helpdesk@lycee.example") is None
