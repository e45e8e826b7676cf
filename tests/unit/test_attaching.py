"""Documents as attachments of the mails that go out: the budget, who gets the files, and the
MIME shape a mail client reads back."""

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from mailbot.outbound.attaching import DocumentAttacher, DocumentFile, DocumentPlan, fit, receives_files, wanted_ids
from mailbot.outbound.render import POLICY, render
from mailbot.workflow.db import Database
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.models import Document, Ticket, User
from tests.unit.test_render import PARIS, outbox_row, parts, rendered

KIB = 1024


def doc(number: int, size: int, name: str = "", content_type: str = "application/pdf") -> DocumentFile:
    return DocumentFile(number, name or f"doc{number}.pdf", content_type, size, f"{number:064x}")


def test_documents_are_attached_in_order_while_they_fit_and_a_later_small_one_still_may():
    documents = [doc(1, 6 * KIB), doc(2, 5 * KIB), doc(3, 3 * KIB), doc(4, 2 * KIB)]
    attached, listed = fit(documents, 10 * KIB)
    assert [d.id for d in attached] == [1, 3]
    assert [d.id for d in listed] == [2, 4]  # 4 would fit, but 1 + 3 left only 1 KiB


def test_a_budget_of_zero_attaches_nothing_not_even_an_empty_file():
    attached, listed = fit([doc(1, 0), doc(2, 10)], 0)
    assert attached == [] and [d.id for d in listed] == [1, 2]


@pytest.mark.parametrize(("role", "public", "gets"), [
    ("technician", False, True), ("sender", False, True), ("requester", False, False),
    ("observer", False, False), ("requester", True, True), ("observer", True, True),
])
def test_who_gets_the_files(role, public, gets):
    assert receives_files({"recipient_role": role, "documents_public": public}) is gets


def plan(*documents: tuple[DocumentFile, bytes], listed: tuple[DocumentFile, ...] = (),
         budget: int = 10 * KIB * KIB) -> DocumentPlan:
    return DocumentPlan(tuple(documents), listed, budget)


def mail_of(documents: DocumentPlan, role: str = "technician", language: str = "fr"):
    row = outbox_row("ticket_created", language, recipient_role=role)
    message = render(row, helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket", timezone=PARIS,
                     documents=documents)
    return message_from_bytes(message.as_bytes(policy=POLICY), policy=default)


def test_attached_documents_come_back_under_their_names_beside_both_text_parts():
    data = bytes(range(256)) * 4
    message = mail_of(plan((doc(3, len(data), "relevé «écran» 12.png", "image/png"), data),
                           (doc(5, 3000, "notes.txt", "text/plain"), b"ligne 1\r\nligne 2\n")))

    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body is not None and "Un nouveau ticket #59" in body.get_content()
    assert message.get_body(("html",)) is not None
    files = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in message.iter_attachments()]
    assert files == [("relevé «écran» 12.png", "image/png", data), ("notes.txt", "text/plain", b"ligne 1\r\nligne 2\n")]


def test_a_mail_without_documents_keeps_its_plain_shape():
    assert mail_of(plan()).get_content_type() == "multipart/alternative"


@pytest.mark.parametrize(("content_type", "sent_as"), [
    ("message/rfc822", "application/octet-stream"),  # may not be base64 (RFC 2046): sent as a file
    ("text/html; charset=x\r\nBcc: x@y", "text/html"),
    ("pas un type", "application/octet-stream"),
])
def test_odd_stored_types_are_sent_as_something_clients_can_open(content_type, sent_as):
    message = mail_of(plan((doc(1, 3, "a.eml", content_type), b"abc")))
    [part] = message.iter_attachments()
    assert part.get_content_type() == sent_as and part.get_payload(decode=True) == b"abc"
    assert "Bcc" not in message


def test_a_sender_s_path_in_a_name_is_not_sent_on():
    message = mail_of(plan((doc(1, 3, "..\\..\\Windows\\evil.bat"), b"abc")))
    assert [p.get_filename() for p in message.iter_attachments()] == ["evil.bat"]


@pytest.mark.parametrize(("language", "attached", "listed", "hint"), [
    ("fr", "  - n°\u00a01 a.pdf (1,5\u00a0Ko)\n", "  - n°\u00a07 film.mp4 (25\u00a0Mo), trop volumineux pour un envoi par mail\n",
     "Pour les recevoir par mail, répondez avec #doc N (un document) ou #documents (tous)."),
    ("en", "  - no. 1 a.pdf (1.5 KB)\n", "  - no. 7 film.mp4 (25 MB), too large to be sent by mail\n",
     "To get them by mail, reply with #doc N (one document) or #documents (all of them)."),
])
def test_the_mail_lists_what_is_attached_and_what_is_not(language, attached, listed, hint):
    message = mail_of(plan((doc(1, 1536, "a.pdf"), b"x"), listed=(doc(7, 25 * KIB * KIB, "film.mp4"),
                                                                   doc(8, 9 * KIB * KIB, "b.pdf")),
                           budget=10 * KIB * KIB), language=language)
    text, html = parts(message)
    text = text.replace("\r\n", "\n")
    assert attached in text and listed in text and hint in text
    assert "film.mp4" in html and "#doc N" in html


def test_requesters_are_not_told_of_commands_they_cannot_use():
    text, _ = parts(mail_of(plan(listed=(doc(7, 1000, "b.pdf"),)), role="requester"))
    assert "#doc" not in text and "adressez-vous à l'équipe technique" in text


def test_a_confirmation_written_before_the_sections_existed_still_renders():
    row = outbox_row("commands_applied")
    for key in ("history", "tickets_view", "my_requests", "document_ids", "documents_asked"):
        del row.context[key]
    text, _ = parts(rendered(row))
    assert "Vos commandes ont été appliquées au ticket #59" in text


@pytest.fixture
def database(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'mailbot.db'}")
    db.upgrade()
    yield db
    db.dispose()


def test_the_attacher_reads_the_files_and_lists_one_whose_file_is_gone(database, tmp_path):
    store = DocumentStore(tmp_path / "documents")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with database.transaction() as session:
        user = User(email="loic@lycee.example", created_at=now)
        ticket = Ticket(title="t", requester=user, created_at=now, updated_at=now)
        for name, data in (("a.txt", b"aaa"), ("b.txt", b"bbbb"), ("c.txt", b"cc")):
            sha = f"{sum(data):064x}"
            if name != "b.txt":
                store.store(sha, data)
            ticket.documents.append(Document(filename=name, content_type="text/plain", size=len(data), sha256=sha,
                                             created_at=now))
        session.add(ticket)
    attacher = DocumentAttacher(store, budget_bytes=100)
    with database.transaction() as session:
        result = attacher.plan(session, {"document_ids": [3, 2, 1, 99], "recipient_role": "technician"})
        assert result is not None
        assert [(d.filename, data) for d, data in result.attached] == [("c.txt", b"cc"), ("a.txt", b"aaa")]
        assert [d.filename for d in result.listed] == ["b.txt"]
        assert attacher.plan(session, {"document_ids": [1], "recipient_role": "requester"}) is None


def test_the_budget_defaults_to_10_mib_and_may_be_a_fraction(settings):
    assert settings().notification_attachments_bytes == 10 * KIB * KIB
    assert settings(notification_attachments_mb=0.5).notification_attachments_bytes == 512 * KIB


def test_a_merged_notification_gets_the_documents_of_each_part_told_to_its_recipient():
    technician = {"recipient_role": "technician", "parts": [
        {"kind": "followup_added", "recipient_role": "technician", "document_ids": [4, 5]},
        {"kind": "task_added", "recipient_role": "technician"},
        {"kind": "followup_added", "recipient_role": "technician", "document_ids": [5, 6]}]}
    assert wanted_ids(technician) == [4, 5, 6]
    requester = {"recipient_role": "requester", "parts": [
        {"kind": "ticket_created", "recipient_role": "requester", "document_ids": [1]},
        {"kind": "followup_added", "recipient_role": "requester", "document_ids": [2], "documents_public": True}]}
    assert wanted_ids(requester) == [2]  # their own new ticket's files are not sent back


@pytest.mark.parametrize("linesep", ["\r\n", "\n"])
def test_a_mail_with_documents_goes_out_as_the_standard_library_writes_it(linesep):
    import io
    from email.generator import BytesGenerator

    from mailbot.outbound.senders import as_wire_bytes

    pdf, text = bytes(range(256)) * 700, "première ligne\r\nseconde ligne\rtroisième\n".encode()
    row = outbox_row("ticket_created", "fr", recipient_role="technician")
    message = render(row, helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket", timezone=PARIS,
                     documents=plan((doc(7, len(pdf), "scan.pdf"), pdf), (doc(8, len(text), "notes.txt", "text/plain"),
                                                                            text)))
    expected = io.BytesIO()
    BytesGenerator(expected, mangle_from_=False, policy=message.policy.clone(linesep=linesep)).flatten(message)
    wire = as_wire_bytes(message, linesep=linesep)
    assert wire == expected.getvalue()
    again = message_from_bytes(wire, policy=default)
    assert [p.get_payload(decode=True) for p in again.iter_attachments()] == [pdf, text]
