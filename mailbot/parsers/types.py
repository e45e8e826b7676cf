"""The frozen values the parsers hand to the rest of mailbot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mailbot.parsers import mailkey


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower-case, may be "" when unparseable

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Attachment:
    filename: str  # sanitised: no path, no control characters, never empty
    content_type: str
    data: bytes
    sha256: str
    inline: bool = False
    content_id: str | None = None
    whole_body: bool = False  # the whole text of a body cut at the text limit (not a sent file)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class AutoVerdict:
    """Why a mail is automatic (SPEC §3.1): kind is `bounce`, `autoreply` or `machine`."""

    kind: str
    reason: str


@dataclass(frozen=True)
class ParsedMessage:
    sha256: str  # of the raw bytes
    message_id: str  # without angle brackets, "" when missing
    in_reply_to: tuple[str, ...]  # Message-IDs without angle brackets
    references: tuple[str, ...]
    sender: Address  # From, else Sender, Reply-To, Return-Path (see sender_source)
    reply_to: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str  # decoded, one line
    title: str  # subject without Re:/Fwd: prefixes and ticket tags
    date: datetime | None  # aware, UTC
    text: str  # the whole body as text (plain part, else HTML turned into text)
    new_text: str  # the text of this reply: quotes, our marker and signature removed
    is_html_only: bool = False
    attachments: tuple[Attachment, ...] = ()
    auto: AutoVerdict | None = None
    subject_ticket_id: int | None = None  # from `[Ticket #59]` / `[#59]`
    plus_ticket_id: int | None = None  # from `helpdesk+59@…` in To/Cc
    bounced_message_ids: tuple[str, ...] = ()  # for a bounce: the Message-IDs it reports on
    authentication_results: tuple[str, ...] = ()  # raw `Authentication-Results` values
    defects: tuple[str, ...] = field(default=())
    sender_source: str = "from"  # the header the sender's address came from; "" when none had one
    content_digest: str = ""  # of the mail without its transport headers (mailkey.py)

    @property
    def mail_key(self) -> str:
        """The key a mail is recorded under once per mailbox (SPEC §8, mailkey.py); a value
        built by hand without a content digest falls back on the digest of its bytes."""
        return mailkey.mail_key(self.message_id, self.content_digest or self.sha256)

    @property
    def legacy_key(self) -> str:
        """The key the same mail had under the earlier rule (Message-ID, else sha256 of the bytes)."""
        return mailkey.legacy_key(self.message_id, self.sha256)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs that may name the ticket, most specific first."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            if mid:
                seen.setdefault(mid, None)
        return tuple(seen)
