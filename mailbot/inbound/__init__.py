"""Inbound adapters: they receive raw mail (IMAP, SMTP/LMTP, files) and hand the bytes to the app.

They know bytes and mailboxes, not tickets. Each adapter is given a `MailHandler` (the IMAP adapter
also takes an optional `BatchMailHandler`) and marks a mail done (moves it, answers 250) only once
the handler has returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

#: Every outcome a handler may report, and what it means for the mail.
OUTCOMES = {
    "ticket": "a new ticket was opened",
    "followup": "added to an existing ticket",
    "answered": "commands that need no ticket (#tickets, #help …), answered; no ticket opened",
    "refused": "not accepted (unknown sender, automatic mail, ...); a notice may have been sent",
    "ignored": "dropped on purpose (loop, ignored sender)",
    "failed": "could not be processed; the error is recorded",
    "duplicate": "already recorded from this mailbox; nothing changed",
}


class MailResult(Protocol):
    """What the app tells an adapter about one mail."""

    @property
    def outcome(self) -> str:
        """One of the keys of `OUTCOMES`."""
        ...


class MailHandler(Protocol):
    """The app's callback for one raw mail.

    `raw` is the message exactly as received (RFC 822 bytes); `mailbox` names where it came from
    (the IMAP folder URL, "listener", a file name) and scopes duplicate detection.

    The call returns only after the transaction recording the mail has committed, so the adapter
    may then mark the mail done. It raises only on an unexpected error (database down, bug): the
    adapter then leaves the mail where it is, or asks the sender to retry, and nothing is lost.
    """

    def __call__(self, raw: bytes, mailbox: str, /) -> MailResult: ...


class BatchMailHandler(Protocol):
    """The app's callback for several raw mails of one mailbox, recorded in one transaction.

    Returns one result per mail, in order, only after that transaction committed; a mail that
    cannot be handled comes back as `failed` without stopping the others. It raises only on an
    unexpected error (database down, bug): then none of the mails is marked done.
    """

    def __call__(self, raws: list[bytes], mailbox: str, /) -> Sequence[MailResult]: ...


class ReadAheadBatchHandler(BatchMailHandler, Protocol):
    """A batch handler whose work is done elsewhere (intake processes): `begin` hands a batch
    over and returns the call that waits for its results, so that the adapter fetches the next
    batch meanwhile. The next `begin` comes only after that wait."""

    def begin(self, raws: list[bytes], mailbox: str, /) -> Callable[[], Sequence[MailResult]]: ...


class BatchInterrupted(Exception):
    """A `BatchMailHandler` could not finish a batch (an intake process died with part of it,
    or could not reach the database): none of it is marked done, and the pass stops there so
    that later mail, a reply to one of these, does not overtake it; the next pass takes the
    batch again."""
