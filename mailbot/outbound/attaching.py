"""Documents as real attachments of the mails that go out (docs/BEHAVIOUR.md, "Documents by mail").

An outbox row names documents by number only (`document_ids` in its context, or in the parts of
a merged notification). When the row is
sent, the documents are read again: those that fit in the budget per mail
(MAILBOT_NOTIFICATION_ATTACHMENTS_MB, in the order given) are attached under their original
names, the others are listed in the mail with their number, name and size.

| the row's recipient role                 | gets the documents                               |
|------------------------------------------|--------------------------------------------------|
| `technician`                             | always                                           |
| `sender` (the answer to `#doc`, `#documents`) | always                                      |
| `requester`, `observer`                  | only when a technician sent them (`documents_public`) |
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.outbound.shared_parts import Kept, SharedPart
from mailbot.workflow.documents import DocumentStore, safe_filename
from mailbot.workflow.models import Document

log = logging.getLogger("mailbot.attaching")

ALWAYS = frozenset({"technician", "sender"})
# a plain `type/subtype`; message/* and multipart/* may not be base64-encoded (RFC 2046), so
# an attached mail (.eml) goes as a file
_SIMPLE_TYPE = re.compile(r"(?!message/|multipart/)[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


@dataclass(frozen=True)
class DocumentFile:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class DocumentPlan:
    """The documents of one mail: attached (with their bytes) and listed (not attached)."""

    attached: tuple[tuple[DocumentFile, bytes], ...]
    listed: tuple[DocumentFile, ...]
    budget_bytes: int

    def fits_alone(self, document: DocumentFile) -> bool:
        """Whether `#doc N` could mail this one on its own."""
        return 0 < self.budget_bytes and document.size <= self.budget_bytes


def receives_files(context: Mapping[str, Any]) -> bool:
    role = context.get("recipient_role")
    return role in ALWAYS or (role in ("requester", "observer") and bool(context.get("documents_public")))


def wanted_ids(context: Mapping[str, Any]) -> list[int]:
    """The documents a row's recipient gets: those its context names, and those of each event
    part of a merged notification (`parts`), each part for the role it is told as."""
    ids: list[int] = []
    for source in (context, *(context.get("parts") or ())):
        if receives_files(source):
            ids += [int(i) for i in source.get("document_ids") or ()]
    return list(dict.fromkeys(ids))


def fit(documents: Sequence[DocumentFile], budget_bytes: int) -> tuple[list[DocumentFile], list[DocumentFile]]:
    """Attach each document, in order, while the ones attached stay within the budget (a later
    smaller one may still fit); 0 attaches none."""
    attached: list[DocumentFile] = []
    listed: list[DocumentFile] = []
    left = budget_bytes
    for document in documents:
        if budget_bytes > 0 and document.size <= left:
            attached.append(document)
            left -= document.size
        else:
            listed.append(document)
    return attached, listed


class DocumentAttacher:
    """Reads the documents of an outbox row from the database and the store."""

    def __init__(self, store: DocumentStore, budget_bytes: int):
        self.store = store
        self.budget_bytes = budget_bytes

    def plan(self, session: Session, context: Mapping[str, Any]) -> DocumentPlan | None:
        """The documents of a row whose recipient gets them; None when there are none to show."""
        ids = wanted_ids(context)
        if not ids:
            return None
        rows = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
        documents = [DocumentFile(d.id, d.filename, d.content_type, d.size, d.sha256)
                     for i in dict.fromkeys(ids) if (d := rows.get(i)) is not None]
        chosen, listed = fit(documents, self.budget_bytes)
        attached = []
        for document in chosen:
            path = self.store.path_for(document.sha256)
            try:
                attached.append((document, path.read_bytes()))
            except FileNotFoundError:
                log.warning("document %s: its file %s is missing; listed instead of attached", document.id, path)
                listed.append(document)
        listed.sort(key=lambda d: d.id)
        return DocumentPlan(tuple(attached), tuple(listed), self.budget_bytes)


def attachment_part(document: DocumentFile, data: bytes, policy: Any) -> Message:
    """One base64 MIME part under the document's original name (RFC 2231 when not ASCII), built
    once for the notifications that attach it in a row (keyed by the bytes themselves too, not
    only by the name the store gives them): treat it as read-only."""
    key = (document.id, document.filename, document.content_type, document.sha256, len(data), hash(data), policy)
    return _PARTS.get(key, lambda: _new_part(document, data, policy))


def _new_part(document: DocumentFile, data: bytes, policy: Any) -> SharedPart:
    name = safe_filename(document.filename, f"document-{document.id}")
    content_type = document.content_type.split(";")[0].strip().lower()
    part = SharedPart(policy)
    part["Content-Type"] = content_type if _SIMPLE_TYPE.fullmatch(content_type) else "application/octet-stream"
    value: str | tuple[str, str, str] = name if name.isascii() else ("utf-8", "", name)
    part.set_param("name", value)  # type: ignore[arg-type]  # a (charset, language, value) triple is RFC 2231
    part.add_header("Content-Disposition", "attachment", filename=value)
    part["Content-Transfer-Encoding"] = "base64"
    encoded = base64.encodebytes(data).decode("ascii")
    part.set_payload(encoded)
    part.size = len(encoded)
    return part


# documents: a batch of notifications attaches the same few to several people; and no more than
# this of base64 and written bytes kept (a part is kept with up to two writings)
_PARTS: Kept[SharedPart] = Kept(8, 96 * 1024 * 1024, SharedPart.kept_bytes)
