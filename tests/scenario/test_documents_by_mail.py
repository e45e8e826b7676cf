"""Documents reach technicians by mail: attached to the notification of a new ticket or
followup up to MAILBOT_NOTIFICATION_ATTACHMENTS_MB, listed above it, and mailed on demand by
`#doc N` and `#documents`."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
SUBJECT = "Re: [Ticket #1] Écran bleu"
SHOT = bytes(range(256)) * 20  # 5 KiB
MIB = 1024 * 1024


def send(helpdesk: Helpdesk, sender: str, subject: str, text: str, files: dict[str, bytes]) -> None:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = helpdesk.settings.helpdesk_address
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="client.example")
    mail.set_content(text)
    for name, data in files.items():
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    helpdesk.app.process(mail.as_bytes(), "direct")
    helpdesk.app.wait_for_delivery()


def attachments(mail) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in mail.message.iter_attachments()}


def open_ticket(helpdesk: Helpdesk, files: dict[str, bytes]):
    helpdesk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    send(helpdesk, f"Loïc Medori <{LOIC}>", "Écran bleu", "Voici les captures.", files)
    return {m.to: m for m in helpdesk.new_mails()}


def test_the_technician_gets_the_new_tickets_documents_under_their_names_and_the_requester_does_not(helpdesk):
    mails = open_ticket(helpdesk, {"capture écran.png": SHOT, "journal.txt": b"erreur 0x7B\n"})

    assert attachments(mails[TECH]) == {"capture écran.png": SHOT, "journal.txt": b"erreur 0x7B\n"}
    assert "  - n°\u00a01 capture écran.png (5\u00a0Ko)\n" in mails[TECH].text.replace("\r\n", "\n")
    assert attachments(mails[LOIC]) == {}  # the requester sent them: not sent back
    assert "Document" not in mails[LOIC].text


def test_documents_over_the_budget_are_listed_with_the_command_that_mails_them(tmp_path):
    helpdesk = Helpdesk(tmp_path, notification_attachments_mb=1)
    try:
        big, small = b"B" * (MIB - 1000), b"s" * 200
        mails = open_ticket(helpdesk, {"gros.bin": big, "video.mp4": b"v" * (2 * MIB), "petit.txt": small,
                                       "autre.bin": b"a" * 900})
        mail = mails[TECH]
        # in order while they fit: the 2 MiB video never does, the last 900 bytes no longer do
        assert attachments(mail) == {"gros.bin": big, "petit.txt": small}
        text = mail.text.replace("\r\n", "\n")
        assert "Non joints à ce message (au plus 1\u00a0Mo de pièces jointes par message)\u00a0:\n" in text
        assert "  - n°\u00a02 video.mp4 (2\u00a0Mo), trop volumineux pour un envoi par mail\n" in text
        assert "  - n°\u00a04 autre.bin (900\u00a0o)\n" in text
        assert "répondez avec #doc N (un document) ou #documents (tous)" in text
        assert "mailbot documents get N" in text

        helpdesk.send(TECH, SUBJECT, "#doc 4", in_reply_to=mail.message_id)
        answer, = helpdesk.new_mails()
        assert (answer.to, answer.subject) == (TECH, "[Ticket #1] Documents\u00a0: Écran bleu")
        assert attachments(answer) == {"autre.bin": b"a" * 900}
        assert helpdesk.show(1)["assignees"] == []  # asking for a document takes nothing
    finally:
        helpdesk.close()


def test_documents_mails_every_document_that_fits_and_lists_the_rest(tmp_path):
    helpdesk = Helpdesk(tmp_path, notification_attachments_mb=1)
    try:
        mails = open_ticket(helpdesk, {"a.txt": b"a" * 600_000, "b.txt": b"b" * 600_000})
        helpdesk.send(TECH, SUBJECT, "#documents", in_reply_to=mails[TECH].message_id)
        answer, = helpdesk.new_mails()
        assert list(attachments(answer)) == ["a.txt"]
        assert "n°\u00a02 b.txt (586\u00a0Ko)" in answer.text and "#doc N" in answer.text
    finally:
        helpdesk.close()


def test_a_document_of_another_ticket_is_refused_with_the_reason(helpdesk):
    mails = open_ticket(helpdesk, {"capture.png": SHOT})
    send(helpdesk, "aicha.prof@lycee.example", "Imprimante", "Bourrage.", {"photo.jpg": b"jpg"})
    helpdesk.new_mails()

    helpdesk.send(TECH, SUBJECT, "#take\n#doc 2", in_reply_to=mails[TECH].message_id)
    reply, = helpdesk.new_mails()
    assert "le document n°\u00a02 appartient au ticket #2, pas à celui-ci" in reply.text
    assert attachments(reply) == {}
    assert helpdesk.show(1)["assignees"] == []  # all or nothing: #take was not applied either

    helpdesk.send(TECH, SUBJECT, "#doc 9", in_reply_to=mails[TECH].message_id)
    assert "il n'y a pas de document n°\u00a09" in helpdesk.new_mails()[0].text


def test_documents_on_a_ticket_without_any_says_so(helpdesk):
    mails = open_ticket(helpdesk, {})
    helpdesk.send(TECH, SUBJECT, "#documents", in_reply_to=mails[TECH].message_id)
    answer, = helpdesk.new_mails()
    assert "Ce ticket n'a aucun document." in answer.text and attachments(answer) == {}


def test_with_a_budget_of_zero_nothing_is_attached_and_everything_is_listed(tmp_path):
    helpdesk = Helpdesk(tmp_path, notification_attachments_mb=0)
    try:
        mail = open_ticket(helpdesk, {"capture.png": SHOT})[TECH]
        assert attachments(mail) == {}
        text = mail.text.replace("\r\n", "\n")
        assert "l'envoi de pièces jointes par mail est désactivé" in text
        assert "  - n°\u00a01 capture.png (5\u00a0Ko), trop volumineux pour un envoi par mail\n" in text
    finally:
        helpdesk.close()


def test_a_requesters_followup_brings_its_documents_to_the_technician(helpdesk):
    mails = open_ticket(helpdesk, {})
    send(helpdesk, LOIC, SUBJECT, "La même chose ce matin.", {"matin.png": SHOT})
    mail, = helpdesk.new_mails()
    assert mail.to == TECH and attachments(mail) == {"matin.png": SHOT}
    assert mails  # the ticket was opened above


def test_a_technicians_documents_reach_the_requester_and_those_of_a_command_mail_are_kept(helpdesk):
    open_ticket(helpdesk, {})
    send(helpdesk, TECH, SUBJECT, "Voici la procédure à suivre.", {"procédure.pdf": b"%PDF-1.4 procedure"})
    mail, = helpdesk.new_mails()
    assert mail.to == LOIC and attachments(mail) == {"procédure.pdf": b"%PDF-1.4 procedure"}

    send(helpdesk, TECH, SUBJECT, "#task done 0h10 Relevé des erreurs", {"relevé.txt": b"0x7B"})
    assert [d["filename"] for d in helpdesk.show(1)["documents"]] == ["procédure.pdf", "relevé.txt"]
    to_loic = [m for m in helpdesk.new_mails() if m.to == LOIC]
    assert [attachments(m) for m in to_loic] == [{"relevé.txt": b"0x7B"}]


@pytest.mark.parametrize("private", [True, False])
def test_a_private_followups_documents_never_reach_the_requester(helpdesk, private):
    open_ticket(helpdesk, {})
    send(helpdesk, TECH, SUBJECT, "#private\nLe journal." if private else "Le journal.", {"journal.txt": b"x"})
    assert [m.to for m in helpdesk.new_mails() if attachments(m)] == ([] if private else [LOIC])
