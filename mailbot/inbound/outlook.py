"""Outlook `.msg` files (OLE compound files, as Outlook saves a mail) turned into RFC 822
bytes at the edge, so that the parsers, the stored raw mail and `failed retry` only ever see
mail. Read with extract-msg (the `outlook` extra); only `mailbot ingest` meets such files:
IMAP and SMTP carry RFC 822 mail, where a bare OLE file stays refused by the parser."""

from __future__ import annotations

import hashlib
import logging
from email.message import EmailMessage
from email.utils import formataddr

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Headers extract-msg writes with no value when the .msg has no such property.
_EMPTY_IS_ABSENT = ("cc", "bcc", "authentication-results", "to", "message-id", "date")


class OutlookError(Exception):
    """A .msg file that cannot be read as a mail; the message says why."""


def is_outlook_msg(raw: bytes) -> bool:
    return raw[:8] == OLE_MAGIC


def to_rfc822(raw: bytes) -> bytes:
    """The mail inside an Outlook .msg file, as RFC 822 bytes: its headers (the transport
    headers Outlook kept, else From/To/Cc/Subject/Date/Message-ID from its properties), the
    text and HTML bodies, and the attachments with their names."""
    try:
        import extract_msg
    except ImportError:
        raise OutlookError("reading Outlook .msg files needs mailbot's `outlook` extra (extract-msg)") from None
    try:
        msg = extract_msg.openMsg(raw)
    except Exception as exc:
        raise OutlookError(f"unreadable Outlook .msg file ({type(exc).__name__}: {exc})"[:300]) from exc
    try:
        if not hasattr(msg, "asEmailMessage"):
            raise OutlookError(f"an Outlook .msg file holding a {type(msg).__name__}, not a mail")
        mail = msg.asEmailMessage()
        _complete(mail, msg)
        _fixed_boundaries(mail, hashlib.sha256(raw).hexdigest()[:32])
        return mail.as_bytes()
    except OutlookError:
        raise
    except Exception as exc:
        raise OutlookError(f"Outlook .msg file not convertible ({type(exc).__name__}: {exc})"[:300]) from exc
    finally:
        msg.close()


def _complete(mail: EmailMessage, msg) -> None:
    """Fill what extract-msg leaves out of the headers it makes from a .msg's properties."""
    for name in _EMPTY_IS_ABSENT:
        if name in mail and not str(mail[name]).strip():
            del mail[name]
    if "subject" not in mail and msg.subject:
        mail["Subject"] = msg.subject
    if "@" not in str(mail.get("from", "")):
        address = msg.getStringStream("__substg1.0_0C1F") or msg.getStringStream("__substg1.0_0065") or ""
        if "@" in address:
            del mail["From"]
            mail["From"] = formataddr((msg.getStringStream("__substg1.0_0C1A") or "", address))


def _fixed_boundaries(mail: EmailMessage, token: str) -> None:
    """MIME boundaries drawn from the file's digest instead of at random, so that the same .msg
    always gives the same bytes, and `mailbot ingest` run twice on it finds a duplicate."""
    for number, part in enumerate(mail.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_mailbot_{token}_{number}")
