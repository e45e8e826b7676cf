"""IMAP inbound adapter: fetch mail from a folder, hand it to the app, then file it by outcome."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mailbot.errors import ConfigError
from mailbot.inbound import MailHandler

log = logging.getLogger("mailbot.imap")

BODY_KEY = b"BODY[]"
# Which destination folder (a poll_once keyword) each outcome sends the mail to.
OUTCOME_FOLDER = {
    "ticket": "processed",
    "followup": "processed",
    "duplicate": "processed",
    "ignored": "processed",
    "refused": "refused",
    "failed": "failed",
}
SCHEMES = {"imap": (False, False, 143), "imaps": (True, False, 993), "imap+starttls": (False, True, 143)}


@dataclass(frozen=True)
class ImapTarget:
    """Where to read mail, parsed from MAILBOT_IMAP_URL."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    ssl: bool = False
    starttls: bool = False

    @classmethod
    def from_url(cls, url: str) -> ImapTarget:
        """`imap://user:pass@host:port/FOLDER`, `imaps://…` or `imap+starttls://…`."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ConfigError(f"MAILBOT_IMAP_URL: expected imap://user:pass@host:port/FOLDER, got '{url}'")
        ssl, starttls, default_port = SCHEMES[parts.scheme]
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=folder,
            ssl=ssl,
            starttls=starttls,
        )

    @property
    def mailbox(self) -> str:
        """The name the app records mail under: the account and folder, never the password."""
        return f"imap://{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass
class PollStats:
    """What one pass did: mails seen, outcomes reported, mails left in place by an error."""

    fetched: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0


class ImapMailbox:
    """One logged-in connection on one folder: list, fetch and move mail by UID."""

    def __init__(self, target: ImapTarget, timeout: float = 60):
        self.target = target
        self.timeout = timeout
        self.client: IMAPClient | None = None
        self._known_folders: set[str] = set()

    def connect(self) -> None:
        target = self.target
        client = IMAPClient(target.host, target.port, ssl=target.ssl, timeout=self.timeout)
        if target.starttls:
            client.starttls()
        client.login(target.user, target.password)
        client.select_folder(target.folder)
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

    def pending_uids(self) -> list[int]:
        """UIDs waiting in the folder, oldest first (mail flagged \\Deleted is already filed)."""
        return sorted(self._client.search(["UNDELETED"]))

    def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """Raw bytes of these mails without setting \\Seen; mail gone meanwhile is skipped."""
        response = self._client.fetch(uids, ["BODY.PEEK[]"])
        return [(uid, response[uid][BODY_KEY]) for uid in uids if BODY_KEY in response.get(uid, {})]

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


def poll_once(
    imap_url: str,
    handle: MailHandler,
    *,
    folder_processed: str = "Processed",
    folder_failed: str = "Failed",
    folder_refused: str = "Refused",
    batch: int = 50,
) -> PollStats:
    """Hand every mail of the folder to `handle`, oldest first, and file each one by outcome.

    A mail is moved only after `handle` returned, i.e. after its transaction committed. When
    `handle` raises, the mail stays where it is (the next pass retries it) and the pass goes on.
    """
    folders = {"processed": folder_processed, "failed": folder_failed, "refused": folder_refused}
    target = ImapTarget.from_url(imap_url)
    mailbox = ImapMailbox(target)
    stats = PollStats()
    mailbox.connect()
    try:
        uids = mailbox.pending_uids()
        log.info("%d mail(s) waiting in %s", len(uids), target.mailbox)
        for start in range(0, len(uids), batch):
            for uid, raw in mailbox.fetch(uids[start:start + batch]):
                stats.fetched += 1
                _process(mailbox, target, uid, raw, handle, folders, stats)
    finally:
        mailbox.close()
    return stats


def _process(
    mailbox: ImapMailbox,
    target: ImapTarget,
    uid: int,
    raw: bytes,
    handle: MailHandler,
    folders: dict[str, str],
    stats: PollStats,
) -> None:
    try:
        outcome = handle(raw, target.mailbox).outcome
        destination = folders[OUTCOME_FOLDER[outcome]]
    except Exception:
        log.exception("mail UID %d in %s not processed; left in place", uid, target.mailbox)
        stats.errors += 1
        return
    stats.outcomes[outcome] += 1
    mailbox.move(uid, destination)
    log.info("mail UID %d: %s, moved to %s", uid, outcome, destination)
