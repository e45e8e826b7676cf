"""Attachments become documents (SPEC §3.5): stored once by sha256, refused when too large
or of a blocked kind, with a note on the ticket naming what was refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mailbot.parsers.types import Attachment
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.models import Document, Ticket

# Programs and scripts that a school's helpdesk never needs and a requester's mail client
# should never have been asked to open.
BLOCKED_EXTENSIONS = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh",
    ".msi", ".msp", ".hta", ".cpl", ".jar", ".ps1", ".lnk", ".reg",
})


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int
    blocked_extensions: frozenset[str] = BLOCKED_EXTENSIONS


def refusal(attachment: Attachment, limits: AttachmentLimits) -> dict[str, str] | None:
    """Why an attachment is refused, or None: `reason` in English (the ticket's history), and a
    `code` with its `detail` that the mail templates put in the recipient's language."""
    # the whole text of a cut body is part of the mail the helpdesk accepted, whatever its size
    if attachment.size > limits.max_bytes and not attachment.whole_body:
        mib = str(limits.max_bytes // (1024 * 1024))
        return {"code": "too_large", "detail": mib, "reason": f"larger than {mib} MiB"}
    suffix = "." + attachment.filename.rpartition(".")[2].lower() if "." in attachment.filename else ""
    if suffix in limits.blocked_extensions:
        return {"code": "blocked_type", "detail": suffix, "reason": f"files of type {suffix} are not accepted"}
    return None


def attach(ticket: Ticket, attachments: tuple[Attachment, ...], *, store: DocumentStore,
           limits: AttachmentLimits, now: datetime) -> list[dict[str, str]]:
    """Store the acceptable attachments on the ticket; return the refused ones with why."""
    refused: list[dict[str, str]] = []
    for attachment in attachments:
        why = refusal(attachment, limits)
        if why is not None:
            refused.append({"filename": attachment.filename, **why})
            continue
        store.store(attachment.sha256, attachment.data)
        ticket.documents.append(Document(
            filename=attachment.filename, content_type=attachment.content_type, size=attachment.size,
            sha256=attachment.sha256, inline=attachment.inline, content_id=attachment.content_id,
            created_at=now))
    return refused


def stored_ids(session: Session, documents: list[Document]) -> list[int]:
    """The numbers of documents just added to a ticket (flushed to get them), for the events
    whose notifications carry them as attachments."""
    if documents:
        session.flush()
    return [document.id for document in documents]
