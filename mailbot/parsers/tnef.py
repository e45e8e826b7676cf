"""Unpack Outlook's `winmail.dat` (TNEF) into the files it carries (SPEC §3.5)."""

from __future__ import annotations

import hashlib
import logging
import mimetypes

from tnefparse import TNEF

from mailbot.parsers.types import Attachment

log = logging.getLogger("mailbot.parsers.tnef")

TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
_SIGNATURE = b"\x78\x9f\x3e\x22"


def is_tnef(attachment: Attachment) -> bool:
    return attachment.data[:4] == _SIGNATURE and (
        attachment.content_type in TNEF_TYPES or attachment.filename.lower() == "winmail.dat")


def unpack(attachment: Attachment, sanitise) -> tuple[Attachment, ...]:
    """The files inside a winmail.dat; the winmail.dat itself when it holds none or is broken,
    so that nothing the sender attached is lost. `sanitise(name, content_type, index)`."""
    try:
        tnef = TNEF(attachment.data, do_checksum=False)
        found = [(item.long_filename() or item.name, item.data) for item in tnef.attachments]
    except Exception:
        log.info("winmail.dat could not be unpacked; kept as it is", exc_info=True)
        return (attachment,)
    files = []
    for index, (name, data) in enumerate(found, start=1):
        if not isinstance(data, bytes) or not data:
            continue
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name or "")
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append(Attachment(filename=sanitise(name, ctype, index), content_type=ctype, data=data,
                                sha256=hashlib.sha256(data).hexdigest()))
    return tuple(files) or (attachment,)
