"""Operator commands: list failed mails and the notifications given up, show a failed mail,
process its kept raw bytes again; read a stored document back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.errors import MailbotError, NotFound
from mailbot.workflow.models import Notification, ProcessedMail
from mailbot.workflow.service import MailResult


def _summary(mail: ProcessedMail) -> dict[str, Any]:
    return {"id": mail.id, "mailbox": mail.mailbox, "received_at": mail.received_at.isoformat(),
            "sender": mail.sender, "subject": mail.subject, "mail_key": mail.mail_key,
            "error": mail.reason, "size": len(mail.raw)}


def failed_list(app: App) -> list[dict[str, Any]]:
    """Every mail recorded as failed, oldest first."""
    with app.db.transaction() as session:
        return [_summary(m) for m in session.scalars(
            select(ProcessedMail).where(ProcessedMail.outcome == "failed").order_by(ProcessedMail.id))]


def _notification(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "ticket": row.ticket_id, "event": row.event, "recipient": row.recipient,
            "created_at": row.created_at.isoformat(), "attempts": row.attempts, "error": row.last_error}


def failed_notifications(app: App) -> list[dict[str, Any]]:
    """Every notification given up (refused for good, or out of attempts), oldest first."""
    with app.db.transaction() as session:
        return [_notification(n) for n in session.scalars(
            select(Notification).where(Notification.status == "failed").order_by(Notification.id))]


def failed_show(app: App, mail_id: int) -> dict[str, Any]:
    """One failed mail with its error and its headers."""
    with app.db.transaction() as session:
        mail = _failed(session, mail_id)
        head = mail.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        return {**_summary(mail), "headers": head.decode("utf-8", "replace")}


def failed_retry(app: App, mail_id: int) -> MailResult:
    """Process the kept raw bytes again, as if the mail had just arrived in its mailbox.

    The failed record is kept (outcome `retried`, its key set aside) so that nothing is deleted
    and the new attempt is not taken for a duplicate."""
    with app.db.transaction() as session:
        mail = _failed(session, mail_id)
        raw, mailbox = mail.raw, mail.mailbox
        mail.outcome = "retried"
        mail.mail_key = f"retried:{mail.id}:{mail.mail_key}"[:998]
    result = app.process(raw, mailbox, service=_service_of(app, mailbox))
    with app.db.transaction() as session:
        kept = session.get(ProcessedMail, mail_id)
        if kept is not None:
            kept.reason = f"{kept.reason}\nretried: {result.outcome}" + (
                f" as mail {result.mail_id}" if getattr(result, "mail_id", None) else "")
    return result


def _service_of(app: App, mailbox: str):
    """The service of the configured mailbox the mail came from, for its type and group."""
    from mailbot.mailboxes import configured_mailboxes

    for configured in configured_mailboxes(app.settings):
        if configured.target.mailbox == mailbox:
            return app.service_for(configured.settings.type, configured.settings.group)
    return app.service


def _failed(session, mail_id: int) -> ProcessedMail:
    mail = session.get(ProcessedMail, mail_id)
    if mail is None:
        raise NotFound(f"no recorded mail {mail_id}")
    if mail.outcome != "failed":
        raise MailbotError(f"mail {mail_id} is not a failed mail (it was {mail.outcome})")
    return mail


def document_file(app: App, document_id: int) -> tuple[str, bytes]:
    """A stored document's original name (safe as a file name of the current folder) and bytes."""
    from mailbot.workflow.documents import DocumentStore, safe_filename
    from mailbot.workflow.views import document_json, get_document

    with app.db.transaction() as session:
        document = document_json(get_document(session, document_id))
    stored = DocumentStore(app.settings.documents_dir).path_for(document["sha256"])
    if not stored.is_file():
        raise MailbotError(f"document {document_id}: its file {stored} is missing (MAILBOT_DOCUMENTS_DIR)")
    return safe_filename(document["filename"], f"document-{document_id}"), stored.read_bytes()
