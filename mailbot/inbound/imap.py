"""IMAP inbound adapter: fetch mail from a folder in batches, hand each batch to the app, then
file its mails by outcome (one command per destination) once the app has committed them."""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mailbot.inbound import BatchInterrupted, BatchMailHandler, MailHandler, MailResult
from mailbot.inbound.imap_mailbox import ImapMailbox, ImapOptions
from mailbot.inbound.imap_target import ImapTarget

__all__ = ["ImapMailbox", "ImapOptions", "ImapTarget", "PollStats", "drain", "poll_once"]

log = logging.getLogger("mailbot.imap")

# Which destination (a folder name of ImapOptions) each outcome files the mail under.
OUTCOME_FOLDER = {
    "ticket": "processed",
    "followup": "processed",
    "answered": "processed",
    "duplicate": "processed",
    "ignored": "processed",
    "refused": "refused",
    "failed": "failed",
}


@dataclass
class PollStats:
    """What one pass did: mails seen, outcomes reported, mails left in place by an error."""

    fetched: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0


class UidMemory(Protocol):
    """Where the UIDVALIDITY and highest filed UID of a mailbox are kept between runs."""

    def load(self, mailbox: str) -> tuple[int | None, int]: ...

    def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None: ...


def drain(mailbox: ImapMailbox, handle: MailHandler, *, memory: UidMemory | None = None,
          stop: threading.Event | None = None, handle_many: BatchMailHandler | None = None) -> PollStats:
    """Hand every waiting mail to the app, oldest first, in batches, and file them.

    With `handle_many`, a batch goes to the app in one call (one transaction); otherwise mail
    by mail through `handle`. Mails are filed only after the call(s) returned, i.e. after their
    transaction committed, with one command per destination. A mail whose `handle` raises stays
    where it is (the next pass retries it) and the others go on; when `handle_many` raises, the
    whole batch stays, and when it raises `BatchInterrupted` the pass ends there. IMAP errors
    propagate: the caller reconnects, and mail committed but not yet filed comes back as a
    duplicate, which files it.
    """
    stats = PollStats()
    name = mailbox.target.mailbox
    if memory is not None:
        known_validity, _ = memory.load(name)
        if known_validity not in (None, mailbox.uidvalidity):
            log.warning("%s: UIDVALIDITY changed (%s -> %s): the folder was rebuilt; every mail in it is "
                        "looked at again and the ones already recorded are filed as duplicates",
                        name, known_validity, mailbox.uidvalidity)
    uids = mailbox.pending_uids()
    if uids:
        log.info("%d mail(s) waiting in %s", len(uids), name)
    batch = mailbox.options.batch
    chunks = [uids[start:start + batch] for start in range(0, len(uids), batch)]
    begin = getattr(handle_many, "begin", None)  # a ReadAheadBatchHandler
    ahead: list[list[tuple[int, bytes]]] = []
    for index, chunk in enumerate(chunks):
        if stop is not None and stop.is_set():
            break
        fetched = ahead.pop() if ahead else mailbox.fetch(chunk)
        stats.fetched += len(fetched)
        many = handle_many
        if begin is not None and index + 1 < len(chunks):
            def fetch_next(following: list[int] = chunks[index + 1]) -> None:
                ahead.append(mailbox.fetch(following))
            many = _reading_ahead(begin, fetch_next)
        try:
            outcomes = _process(fetched, name, handle, many, stats)
        except BatchInterrupted:
            break  # the next pass takes this batch again, before anything after it
        filed = _file(mailbox, outcomes, stats)
        if memory is not None and filed:
            memory.save(name, mailbox.uidvalidity, max(filed))
    return stats


def _reading_ahead(begin: Callable[[list[bytes], str], Callable[[], Sequence[MailResult]]],
                   fetch_next: Callable[[], object]) -> BatchMailHandler:
    """A batch handed over with `begin`, the next one fetched while it is processed elsewhere."""
    def handle(raws: list[bytes], name: str, /) -> Sequence[MailResult]:
        wait = begin(raws, name)
        try:
            fetch_next()
        finally:
            results = wait()
        return results
    return handle


def _process(fetched: list[tuple[int, bytes]], name: str, handle: MailHandler,
             handle_many: BatchMailHandler | None, stats: PollStats) -> dict[int, str]:
    """UID -> outcome of the mails the app recorded; the others are counted as errors."""
    if not fetched:
        return {}
    answers: dict[int, MailResult] = {}
    if handle_many is not None:
        try:
            answers = dict(zip([uid for uid, _ in fetched], handle_many([raw for _, raw in fetched], name),
                               strict=True))
        except BatchInterrupted as exc:
            log.warning("mails UID %s in %s not processed (%s); left in place", _span(fetched), name, exc)
            stats.errors += len(fetched)
            raise
        except Exception:
            log.exception("mails UID %s in %s not processed; left in place", _span(fetched), name)
            stats.errors += len(fetched)
            return {}
    outcomes: dict[int, str] = {}
    for uid, raw in fetched:
        try:
            outcome = (answers[uid] if handle_many is not None else handle(raw, name)).outcome
            if outcome not in OUTCOME_FOLDER:
                raise ValueError(f"unknown outcome {outcome!r}")
        except Exception:
            log.exception("mail UID %d in %s not processed; left in place", uid, name)
            stats.errors += 1
            continue
        outcomes[uid] = outcome
    return outcomes


def _file(mailbox: ImapMailbox, outcomes: dict[int, str], stats: PollStats) -> list[int]:
    """File committed mails, one command per destination; returns their UIDs."""
    by_destination: dict[str, list[int]] = defaultdict(list)
    for uid, outcome in outcomes.items():
        by_destination[OUTCOME_FOLDER[outcome]].append(uid)
    for destination, uids in by_destination.items():
        where = mailbox.file(uids, destination)
        for uid in uids:
            stats.outcomes[outcomes[uid]] += 1
            log.info("mail UID %d: %s, %s", uid, outcomes[uid], where)
    return list(outcomes)


def _span(fetched: list[tuple[int, bytes]]) -> str:
    return f"{fetched[0][0]}-{fetched[-1][0]}" if len(fetched) > 1 else str(fetched[0][0])


def poll_once(imap_url: str, handle: MailHandler, *, folder_processed: str = "Processed",
              folder_failed: str = "Failed", folder_refused: str = "Refused", batch: int = 50,
              options: ImapOptions | None = None, target: ImapTarget | None = None,
              memory: UidMemory | None = None, handle_many: BatchMailHandler | None = None) -> PollStats:
    """Connect, hand every waiting mail to the app and file it, then log out."""
    options = options or ImapOptions(processed=folder_processed, refused=folder_refused,
                                     failed=folder_failed, batch=batch)
    mailbox = ImapMailbox(target or ImapTarget.from_url(imap_url), options)
    mailbox.connect()
    try:
        return drain(mailbox, handle, memory=memory, handle_many=handle_many)
    finally:
        mailbox.close()
