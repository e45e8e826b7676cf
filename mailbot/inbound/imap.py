"""IMAP inbound adapter: fetch mail from a folder in batches, hand it to the app, then file it
by outcome (moved to a folder, or flagged in place) once the app has committed it."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.inbound import MailHandler
from mailbot.inbound.imap_target import ImapLoginError, ImapTarget

__all__ = ["ImapMailbox", "ImapOptions", "ImapTarget", "PollStats", "drain", "poll_once"]

log = logging.getLogger("mailbot.imap")

BODY_KEY = b"BODY[]"
# Which destination (a folder name of ImapOptions) each outcome files the mail under.
OUTCOME_FOLDER = {
    "ticket": "processed",
    "followup": "processed",
    "duplicate": "processed",
    "ignored": "processed",
    "refused": "refused",
    "failed": "failed",
}
# Flag-only mode: the flags each destination sets; a failed mail stays unread for a person to see.
DESTINATION_FLAGS = {
    "processed": (b"\\Seen",),
    "refused": (b"\\Seen", b"$MailbotRefused"),
    "failed": (b"$MailbotFailed",),
}


@dataclass(frozen=True)
class ImapOptions:
    """How mail is filed once committed: moved to folders (created when missing) or flagged."""

    processed: str = "Processed"
    refused: str = "Refused"
    failed: str = "Failed"
    mark: str = "move"  # or "flag": \Seen + `keyword`, the mail stays in its folder
    keyword: str = "$MailbotProcessed"
    batch: int = 50


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


class ImapMailbox:
    """One logged-in connection on one folder: list, fetch and file mail by UID."""

    def __init__(self, target: ImapTarget, options: ImapOptions | None = None, timeout: float = 60):
        self.target = target
        self.options = options or ImapOptions()
        self.timeout = timeout
        self.client: IMAPClient | None = None
        self.uidvalidity = 0
        self._known_folders: set[str] = set()

    def connect(self) -> None:
        target = self.target
        context = target.ssl_context() if (target.ssl or target.starttls) else None
        client = IMAPClient(target.host, target.port, ssl=target.ssl, ssl_context=context, timeout=self.timeout)
        try:
            if target.starttls:
                client.starttls(context)
            try:
                if target.oauth2_command:
                    client.oauth2_login(target.user, target.access_token())
                else:
                    client.login(target.user, target.password)
            except LoginError as exc:
                raise ImapLoginError(f"{target.mailbox}: login refused: {exc}") from exc
            selected = client.select_folder(target.folder)
        except BaseException:
            client.shutdown()
            raise
        self.uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
        self.client = client
        log.debug("connected to %s", target.mailbox)

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except (IMAPClientError, OSError):
            log.debug("logout from %s failed; connection dropped", self.target.mailbox)
        self.client = None

    @property
    def can_idle(self) -> bool:
        return self._client.has_capability("IDLE")

    def pending_uids(self) -> list[int]:
        """UIDs waiting in the folder, oldest first (\\Deleted or flagged mail is already filed)."""
        criteria: list[object] = ["UNDELETED"]
        if self.options.mark == "flag":
            criteria += ["UNKEYWORD", self.options.keyword]
        return sorted(self._client.search(criteria))

    def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """Raw bytes of these mails without setting \\Seen; mail gone meanwhile is skipped."""
        response = self._client.fetch(uids, ["BODY.PEEK[]"])
        return [(uid, response[uid][BODY_KEY]) for uid in uids if BODY_KEY in response.get(uid, {})]

    def file(self, uid: int, destination: str) -> str:
        """Mark one mail done under `destination` (processed, refused, failed); returns where."""
        if self.options.mark == "flag":
            self._client.add_flags([uid], [*DESTINATION_FLAGS[destination], self.options.keyword.encode()])
            return f"flagged {self.options.keyword}"
        folder = getattr(self.options, destination)
        self.move(uid, folder)
        return f"moved to {folder}"

    def move(self, uid: int, folder: str) -> None:
        """Move one mail; without the MOVE extension, copy it then expunge the original."""
        self._ensure_folder(folder)
        client = self._client
        if client.has_capability("MOVE"):
            client.move([uid], folder)
            return
        client.copy([uid], folder)
        client.add_flags([uid], [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._known_folders:
            return
        client = self._client
        if not client.folder_exists(folder):
            try:
                client.create_folder(folder)
            except IMAPClientError:
                # Another process may have created it a moment ago.
                if not client.folder_exists(folder):
                    raise
            log.info("created folder %s", folder)
        self._known_folders.add(folder)

    @property
    def _client(self) -> IMAPClient:
        if self.client is None:
            raise RuntimeError("ImapMailbox used before connect()")
        return self.client


def drain(mailbox: ImapMailbox, handle: MailHandler, *, memory: UidMemory | None = None,
          stop: threading.Event | None = None) -> PollStats:
    """Hand every waiting mail to `handle`, oldest first, in batches, and file each one.

    A mail is filed only after `handle` returned, i.e. after its transaction committed. When
    `handle` raises, the mail stays where it is (the next pass retries it) and the pass goes on.
    IMAP errors propagate: the caller reconnects, and mail committed but not yet filed comes
    back as a duplicate, which files it.
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
    for start in range(0, len(uids), batch):
        if stop is not None and stop.is_set():
            break
        filed = [uid for uid, raw in mailbox.fetch(uids[start:start + batch])
                 if _process(mailbox, uid, raw, handle, stats)]
        if memory is not None and filed:
            memory.save(name, mailbox.uidvalidity, max(filed))
    return stats


def _process(mailbox: ImapMailbox, uid: int, raw: bytes, handle: MailHandler, stats: PollStats) -> bool:
    stats.fetched += 1
    name = mailbox.target.mailbox
    try:
        outcome = handle(raw, name).outcome
        destination = OUTCOME_FOLDER[outcome]
    except Exception:
        log.exception("mail UID %d in %s not processed; left in place", uid, name)
        stats.errors += 1
        return False
    stats.outcomes[outcome] += 1
    where = mailbox.file(uid, destination)
    log.info("mail UID %d: %s, %s", uid, outcome, where)
    return True


def poll_once(imap_url: str, handle: MailHandler, *, folder_processed: str = "Processed",
              folder_failed: str = "Failed", folder_refused: str = "Refused", batch: int = 50,
              options: ImapOptions | None = None, target: ImapTarget | None = None,
              memory: UidMemory | None = None) -> PollStats:
    """Connect, hand every waiting mail to `handle` and file it, then log out."""
    options = options or ImapOptions(processed=folder_processed, refused=folder_refused,
                                     failed=folder_failed, batch=batch)
    mailbox = ImapMailbox(target or ImapTarget.from_url(imap_url), options)
    mailbox.connect()
    try:
        return drain(mailbox, handle, memory=memory)
    finally:
        mailbox.close()
