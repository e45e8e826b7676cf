"""The configured IMAP mailboxes, wired to the app: targets, filing options, handlers with each
mailbox's default type and group, leases and UID memory."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailbot.app import App
from mailbot.config import MailboxSettings, Settings
from mailbot.inbound import BatchMailHandler, MailHandler
from mailbot.inbound.imap import ImapOptions, PollStats, poll_once
from mailbot.inbound.imap_target import ImapTarget
from mailbot.inbound.imap_watch import MailboxWatcher, WatchTiming
from mailbot.workflow.leases import UidState, make_lease

if TYPE_CHECKING:
    from mailbot.intake_pool import IntakePool

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Mailbox:
    target: ImapTarget
    settings: MailboxSettings


def configured_mailboxes(settings: Settings) -> list[Mailbox]:
    return [Mailbox(ImapTarget.from_url(m.url, tls_verify=settings.imap_tls_verify,
                                        oauth2_command=settings.imap_oauth2_command), m)
            for m in settings.imap_mailboxes]


def imap_options(settings: Settings, pool: IntakePool | None = None) -> ImapOptions:
    """How mail is fetched and filed; with an intake pool, a batch per process at each fetch."""
    return ImapOptions(processed=settings.imap_folder_processed, refused=settings.imap_folder_refused,
                       failed=settings.imap_folder_failed, mark=settings.imap_mark,
                       keyword=settings.imap_keyword, batch=settings.imap_batch * (pool.size if pool else 1))


def handler_for(app: App, mailbox: Mailbox) -> MailHandler:
    service = app.service_for(mailbox.settings.type, mailbox.settings.group)
    return lambda raw, name: app.process(raw, name, service=service)


def batch_handler_for(app: App, mailbox: Mailbox, pool: IntakePool | None = None) -> BatchMailHandler:
    """A fetched batch in one transaction, or split by thread over the intake pool's processes."""
    if pool is not None:
        return pool.handler(mailbox.settings.type, mailbox.settings.group)
    service = app.service_for(mailbox.settings.type, mailbox.settings.group)
    return lambda raws, name: app.process_many(raws, name, service=service)


def poll_all_once(app: App, pool: IntakePool | None = None) -> dict[str, PollStats]:
    """One pass over every mailbox (`mailbot poll --once`)."""
    options = imap_options(app.settings, pool)
    memory = UidState(app.db.sessions)
    return {m.target.mailbox: poll_once("", handler_for(app, m), options=options, target=m.target, memory=memory,
                                        handle_many=batch_handler_for(app, m, pool))
            for m in configured_mailboxes(app.settings)}


def start_watchers(app: App, stop: threading.Event, pool: IntakePool | None = None) -> list[threading.Thread]:
    """One thread per mailbox, each holding its mailbox's lease while it works."""
    s = app.settings
    timing = WatchTiming(idle=s.imap_idle, poll_seconds=s.imap_poll_seconds, lease_seconds=s.lease_seconds,
                         reconnect_max_seconds=s.reconnect_max_seconds)
    options = imap_options(s, pool)
    memory = UidState(app.db.sessions)
    threads = []
    for mailbox in configured_mailboxes(s):
        name = mailbox.target.mailbox

        def lease(name: str = name):
            return make_lease(app.db.engine, app.db.sessions, name, holder=HOLDER, ttl=s.lease_seconds)

        watcher = MailboxWatcher(mailbox.target, options, handler_for(app, mailbox), lease=lease,
                                 memory=memory, stop=stop, timing=timing,
                                 handle_many=batch_handler_for(app, mailbox, pool))
        thread = threading.Thread(target=watcher.run, name=f"imap {name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
