"""What several notifications share once built (outbound/shared_parts.py): the body of an event
told alike to several recipients, an attached document; each mail keeps its own headers and comes
out as the standard library writes it."""

from __future__ import annotations

import io
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import default
from pathlib import Path
from types import SimpleNamespace

import pytest

from mailbot.outbound.attaching import DocumentFile, DocumentPlan
from mailbot.outbound.render import render
from mailbot.outbound.senders import FolderSender, as_wire_bytes
from tests.unit.test_render import PARIS, outbox_row


def row_for(recipient: str, message_id: str, **context) -> SimpleNamespace:
    row = outbox_row("ticket_created", "fr", recipient_role="technician", **context)
    row.recipient, row.message_id = recipient, message_id
    return row


def mail(row: SimpleNamespace, documents: DocumentPlan | None = None) -> Message:
    return render(row, helpdesk_address="helpdesk@lycee.example", subject_tag="Ticket", timezone=PARIS,
                  documents=documents)


def stdlib_bytes(message: Message, linesep: str) -> bytes:
    expected = io.BytesIO()
    BytesGenerator(expected, mangle_from_=False, policy=message.policy.clone(linesep=linesep)).flatten(message)
    return expected.getvalue()


def body_bytes(wire: bytes) -> list[bytes]:
    """Each text part as sent, undecoded: what a shared body must repeat byte for byte."""
    parsed = message_from_bytes(wire, policy=default)
    return [part.as_bytes() for part in parsed.walk() if part.get_content_maintype() == "text"]


def test_two_technicians_told_the_same_event_get_the_same_body_and_their_own_headers():
    first = mail(row_for("jean.tech@lycee.example", "mailbot.59.aaa@lycee.example"))
    second = mail(row_for("marie.tech@lycee.example", "mailbot.59.bbb@lycee.example"))
    first_wire, second_wire = as_wire_bytes(first), as_wire_bytes(second)

    assert body_bytes(first_wire) == body_bytes(second_wire)
    assert "Un nouveau ticket #59" in message_from_bytes(first_wire, policy=default).get_body(("plain",)).get_content()
    assert (first["To"], second["To"]) == ("jean.tech@lycee.example", "marie.tech@lycee.example")
    assert (first["Message-ID"], second["Message-ID"]) == ("<mailbot.59.aaa@lycee.example>",
                                                           "<mailbot.59.bbb@lycee.example>")
    assert first["Subject"] == second["Subject"]
    for message, wire in ((first, first_wire), (second, second_wire)):
        assert wire == stdlib_bytes(message, "\r\n")


def test_the_technician_who_has_the_ticket_is_not_given_the_other_s_body():
    has_it = row_for("jean.tech@lycee.example", "mailbot.59.aaa@lycee.example")
    has_it.context["ticket"]["status"] = "new"
    has_it.context["ticket"]["assignee_emails"] = ["jean.tech@lycee.example"]
    other = row_for("marie.tech@lycee.example", "mailbot.59.bbb@lycee.example")
    other.context["ticket"] = dict(has_it.context["ticket"])

    first, second = body_bytes(as_wire_bytes(mail(has_it))), body_bytes(as_wire_bytes(mail(other)))
    assert first != second
    assert b"#take" not in first[0] and b"#take" in second[0]  # no "take it" for the one who has it


def test_a_body_rendered_again_after_its_event_changed_says_the_change():
    before = row_for("jean.tech@lycee.example", "mailbot.59.aaa@lycee.example")
    after = row_for("marie.tech@lycee.example", "mailbot.59.bbb@lycee.example")
    after.context["parts"][0]["text"] = "Finalement il ne démarre plus du tout."

    assert "ne démarre plus" not in as_wire_bytes(mail(before)).decode("utf-8", "replace")
    assert "ne démarre plus" in message_from_bytes(as_wire_bytes(mail(after)), policy=default).get_body(
        ("plain",)).get_content()


@pytest.mark.parametrize("order", [("\n", "\r\n"), ("\r\n", "\n")])
def test_a_document_attached_to_two_notifications_comes_out_the_same_in_each_written_form(order):
    data = bytes(range(256)) * 900
    document = DocumentFile(7, "relevé.pdf", "application/pdf", len(data), "7" * 64)
    documents = DocumentPlan(((document, data),), (), 10 * 1024 * 1024)
    messages = [mail(row_for(f"tech{n}@lycee.example", f"mailbot.59.{n}@lycee.example"), documents)
                for n in range(2)]

    for linesep in order:  # the outbox folder writes "\n", SMTP "\r\n": each kept apart
        wires = [as_wire_bytes(message, linesep=linesep) for message in messages]
        for message, wire in zip(messages, wires, strict=True):
            assert wire == stdlib_bytes(message, linesep)
        attached = [[part.as_bytes() for part in message_from_bytes(wire, policy=default).iter_attachments()]
                    for wire in wires]
        assert attached[0] == attached[1]
        assert [p.get_payload(decode=True) for p in message_from_bytes(wires[1], policy=default).iter_attachments()] \
            == [data]


def test_a_batch_writes_each_notification_of_a_shared_document_whole(tmp_path: Path):
    data = b"%PDF-1.4 " + bytes(range(256)) * 300
    document = DocumentFile(8, "plan.pdf", "application/pdf", len(data), "8" * 64)
    documents = DocumentPlan(((document, data),), (), 10 * 1024 * 1024)
    sender = FolderSender(tmp_path)
    with sender.batch() as send:
        for n in range(3):
            send(mail(row_for(f"tech{n}@lycee.example", f"mailbot.59.{n}@lycee.example"), documents),
                 f"tech{n}@lycee.example")

    written = [message_from_bytes(path.read_bytes(), policy=default) for path in sorted(tmp_path.glob("*.eml"))]
    assert sorted(str(m["To"]) for m in written) == [f"tech{n}@lycee.example" for n in range(3)]
    assert len({str(m["Message-ID"]) for m in written}) == 3
    for message in written:
        assert [p.get_payload(decode=True) for p in message.iter_attachments()] == [data]
