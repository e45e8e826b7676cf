"""Real mails of the shared corpus whose sender is not a plain `From:` address, or that start
with a line before their headers: the sender mailbot finds in each (docs/BEHAVIOUR.md)."""

import pytest

from mailbot.parsers.message import parse_message_file
from mailbot.parsers.types import Address
from tests.corpus.glpi_desk import CORPUS

EMAILS = CORPUS / "ruby-mail" / "emails"

SENDERS = {
    # `From: Big Bug bb@bug.com`: an address without brackets after the name
    "plain_emails/mix_caps_content_type.eml": (Address("Big Bug", "bb@bug.com"), "from"),
    # `From: tim@… concierge@…`: two bare addresses, the first counts
    "plain_emails/raw_email_multiple_from.eml": (Address("", "tim@powerupdev.com"), "from"),
    # an mbox `From ` line before the headers
    "plain_emails/raw_email_simple.eml": (Address("Mikel Lindsaar", "mikel@nowhere.com"), "from"),
    "mime_emails/raw_email_with_binary_encoded.eml": (Address("Mikel Lindsaar", "email_test@me.nowhere"), "from"),
    # no sender header at all
    "error_emails/bad_encoded_subject.eml": (Address("", ""), ""),
}


@pytest.mark.parametrize("name", SENDERS)
def test_the_sender_found_in_a_corpus_mail(name):
    path = EMAILS / name
    if not path.is_file():
        pytest.skip(f"{name} not in the shared corpus at {CORPUS}")
    mail = parse_message_file(path, helpdesk_address="helpdesk@lycee.example")
    assert (mail.sender, mail.sender_source) == SENDERS[name]
