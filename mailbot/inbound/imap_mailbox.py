"""One logged-in IMAP connection on one folder: list the waiting mail with a fresh view of the
folder, fetch it without marking it read, and file many mails in one command."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.inbound.imap_target import ImapLoginError, ImapTarget

log = logging.getLogger("mailbot.imap")

BODY_KEY = b"BODY[]"
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
        if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
            # IMAPClient sets imaplib's debug level to 5 to hand its protocol trace to that
            # logger; at that level imaplib writes the repr of every fetched mail into a message
            # the logger then drops: 20x the cost of the fetch itself (docs/BENCHMARKS.md).
            client._imap.debug = 0
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
        """UIDs waiting in the folder now, oldest first (\\Deleted or flagged mail is already filed).

        A server answers SEARCH from its view of the folder as of the previous command (Dovecot
        does): mail delivered since then is announced with the answer but missing from it. The
        NOOP brings the view up to date first; mail announced during the SEARCH itself is
        searched for once more."""
        client = self._client
        client.noop()
        self._announced_new_mail()
        uids = client.search(self._criteria())
        if self._announced_new_mail():
            uids = client.search(self._criteria())
        return sorted(uids)

    def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """Raw bytes of these mails without setting \\Seen; mail gone meanwhile is skipped."""
        response = self._client.fetch(uids, ["BODY.PEEK[]"])
        return [(uid, response[uid][BODY_KEY]) for uid in uids if BODY_KEY in response.get(uid, {})]

    def file(self, uids: list[int], destination: str) -> str:
        """Mark these mails done under `destination` (processed, refused, failed) in one command;
        returns where they went."""
        if self.options.mark == "flag":
            self._client.add_flags(uids, [*DESTINATION_FLAGS[destination], self.options.keyword.encode()])
            return f"flagged {self.options.keyword}"
        folder = getattr(self.options, destination)
        self.move(uids, folder)
        return f"moved to {folder}"

    def move(self, uids: list[int], folder: str) -> None:
        """Move mails (one UID MOVE); without the MOVE extension, copy them then expunge the originals."""
        self._ensure_folder(folder)
        client = self._client
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    def _criteria(self) -> list[object]:
        criteria: list[object] = ["UNDELETED"]
        if self.options.mark == "flag":
            criteria += ["UNKEYWORD", self.options.keyword]
        return criteria

    def _announced_new_mail(self) -> bool:
        """Whether an EXISTS came with an answer since the last call (and forget it).

        IMAPClient keeps such unsolicited answers in imaplib's store without returning them."""
        return bool(self._client._imap.untagged_responses.pop("EXISTS", None))

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
