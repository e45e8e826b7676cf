"""Mail that comes in while the watcher goes from a pass to waiting is taken at once, not after
the wait: the last look before IDLE (or the poll wait) sees it, on a real Dovecot."""

from __future__ import annotations

import threading
import time

import pytest
from test_imap_poll import App, mail

from mailbot.inbound.imap import ImapMailbox, ImapOptions, ImapTarget
from mailbot.inbound.imap_watch import MailboxWatcher, WatchTiming

pytestmark = pytest.mark.integration

# Waits far longer than the test: mail taken within the test's time was not taken by the wait.
SLOW_WAITS = WatchTiming(poll_seconds=900, lease_seconds=900)


class HeldLease:
    def acquire(self) -> bool:
        return True

    def renew(self) -> bool:
        return True

    def release(self) -> None:
        pass


def wait_for(check, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_a_mail_arriving_between_a_pass_and_the_wait_is_taken_without_waiting(imap_mailbox, idle):
    app = App()
    stop = threading.Event()
    timing = WatchTiming(idle=idle, poll_seconds=SLOW_WAITS.poll_seconds, lease_seconds=SLOW_WAITS.lease_seconds)
    watcher = MailboxWatcher(ImapTarget.from_url(imap_mailbox.imap_url), ImapOptions(), app,
                             lease=HeldLease, memory=None, stop=stop, timing=timing)
    arrived: list[int] = []

    def arrive_now() -> None:
        if not arrived:  # the first time only: the pass has just found the folder empty
            imap_mailbox.append(mail(1, "Entre deux"))
            arrived.append(1)

    watcher.before_idle = arrive_now
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        taken = wait_for(lambda: len(app.received) == 1, timeout=30)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert arrived and taken, "the mail waited for the next wake-up instead of being taken"
    assert b"Subject: Entre deux 1" in app.received[0][0]
    assert imap_mailbox.folder_uids("INBOX") == []
    assert len(imap_mailbox.folder_uids("Processed")) == 1


def test_the_waiting_list_includes_mail_delivered_since_the_connection_last_spoke(imap_mailbox):
    box = ImapMailbox(ImapTarget.from_url(imap_mailbox.imap_url))
    box.connect()
    try:
        assert box.pending_uids() == []
        imap_mailbox.append(mail(1))
        imap_mailbox.append(mail(2))

        waiting = box.pending_uids()
    finally:
        box.close()

    assert waiting == imap_mailbox.folder_uids("INBOX") and len(waiting) == 2
