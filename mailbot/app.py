"""The composition root: builds the database, the workflow, the outbox, the broker, the
actors and the sender from Settings, and runs one mail through them. Only this module and
mailbot/cli/ import every room of the house."""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.errors import ParseError
from mailbot.outbound.outbox import Outbox, OutboxPolicy
from mailbot.parsers.message import parse_message
from mailbot.parsers.types import ParsedMessage
from mailbot.workflow.approvals import ApprovalConfig, RequesterAnswers
from mailbot.workflow.attachments import AttachmentLimits
from mailbot.workflow.db import Database
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.intake import Intake, IntakeConfig
from mailbot.workflow.models import Notification, ProcessedMail
from mailbot.workflow.opening import TechnicianNewMail
from mailbot.workflow.people import SenderPolicy, prefetch_senders
from mailbot.workflow.replies import Replies
from mailbot.workflow.service import MailResult, MailService, ServiceConfig
from mailbot.workflow.technician import TechnicianConfig, TechnicianReplies
from mailbot.workflow.ticketless import TicketlessCommands
from mailbot.workflow.tickets import prefetch_messages

if TYPE_CHECKING:
    from dramatiq import Worker

log = logging.getLogger("mailbot")


def _first_line(reason: object) -> str:
    """A reason on one log line: its first line, white space made single spaces, cut at 300."""
    lines = str(reason).strip().splitlines()
    return " ".join(lines[0].split())[:300] if lines else ""


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost to another
# one (two intake processes, `mailbot ingest --jobs`); the same work in a new transaction goes in.
LOST_TO_ANOTHER_TRANSACTION = frozenset({"40P01", "40001"})


def lost_to_another_transaction(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in LOST_TO_ANOTHER_TRANSACTION


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """Everything mailbot needs, built lazily from one Settings object."""

    def __init__(self, settings: Settings, *, clock: Clock = utcnow):
        self.settings = settings
        self.clock = clock
        self._worker: Worker | None = None
        self._held: list[int] | None = None

    # -- building -------------------------------------------------------------------------

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def outbox(self) -> Outbox:
        s = self.settings
        return Outbox(OutboxPolicy(s.helpdesk_address, s.language, s.automail_limit))

    @cached_property
    def service(self) -> MailService:
        return self.service_for(self.settings.default_type, self.settings.default_group)

    def service_for(self, ticket_type: str, group: str = "") -> MailService:
        """The mail service whose new tickets get this type and group (one per mailbox)."""
        services = self.__dict__.setdefault("_services", {})
        if (ticket_type, group) not in services:
            if group:
                self._ensure_group(group)
            services[(ticket_type, group)] = self._build_service(ticket_type, group)
        return services[(ticket_type, group)]

    def _ensure_group(self, name: str) -> None:
        # created up front, so that two mailboxes' first tickets never race to create it
        from mailbot.workflow.models import Group

        try:
            with self.db.transaction() as session:
                if session.query(Group).filter_by(name=name).first() is None:
                    session.add(Group(name=name))
        except IntegrityError:
            pass  # created by another process meanwhile

    def _build_service(self, ticket_type: str, group: str) -> MailService:
        s = self.settings
        senders = SenderPolicy(s.unknown_senders, s.allowed_domains, s.helpdesk_address)
        intake = Intake(IntakeConfig(senders, default_type=ticket_type, language=s.language, default_group=group,
                                     inventory_autolink=s.inventory_autolink),
                        DocumentStore(s.documents_dir), AttachmentLimits(s.max_attachment_bytes))
        replies = Replies(intake)
        replies.technician = technician = TechnicianReplies(
            TechnicianConfig(s.tz, s.autoclose_hours, s.trusted_authserv_id), replies)
        replies.technician_on_closed = technician.reading_closed
        replies.requester_on_solved = RequesterAnswers(ApprovalConfig(s.autoclose_hours), replies)
        replies.everyone_commands = ticketless = TicketlessCommands(s.tz)
        return MailService(ServiceConfig(senders, s.machine_senders, s.language, s.requester_from_reply_to),
                           intake, replies, ticketless=ticketless,
                           opening=TechnicianNewMail(intake, technician))

    @cached_property
    def broker(self):
        from mailbot.outbound.broker import make_broker

        return make_broker(self.settings.broker_url)

    @cached_property
    def sender(self):
        from mailbot.outbound.senders import sender_from_url

        return sender_from_url(self.settings.smtp_url, self.settings.outbox_dir)

    @cached_property
    def actors(self):
        from mailbot.outbound.actors import setup_actors

        return setup_actors(self.broker, self._deliver_queued, autoclose_fn=self.autoclose)

    @property
    def uses_stub_broker(self) -> bool:
        return not self.settings.broker_url

    def ensure_schema(self) -> None:
        """Upgrade the schema; `run` calls this so that an empty database just works."""
        self.db.upgrade()

    # -- mail in ------------------------------------------------------------------------

    def process(self, raw: bytes, mailbox: str = "", *, service: MailService | None = None) -> MailResult:
        """Handle one raw mail end to end: record it, act, write the outbox, commit, enqueue.

        Returns only after the commit; a mail that cannot be handled is recorded as failed.
        Losing the database raises (OperationalError): the mail is not the problem, and the
        adapter leaves it in place for the next pass. `service` carries a mailbox's defaults."""
        service = service or self.service
        now = self.clock()
        parsed = self._parse(raw, mailbox, now)
        if isinstance(parsed, MailResult):
            return parsed
        return self._process_parsed(parsed, raw, mailbox, service, now, tries=2)

    def _process_parsed(self, parsed: ParsedMessage, raw: bytes, mailbox: str, service: MailService,
                        now: datetime, *, tries: int) -> MailResult:
        """One mail in a transaction of its own. A database conflict (IntegrityError) is a
        duplicate only when the mail's record is there once the other transaction has won;
        any other conflict (two processes creating the same new user at once) is tried again
        in a fresh transaction, up to `tries` times in all, and then recorded as failed."""
        for attempt in range(1, tries + 1):
            try:
                with self.db.transaction() as session:
                    result, rows = self._handle_in(session, parsed, raw, mailbox, service, now)
                    pending = [row.id for row in rows if row.status == "pending"]
            except IntegrityError as exc:
                duplicate = self._recorded_meanwhile(parsed, mailbox)
                if duplicate is not None:
                    return self._logged(parsed.mail_key, duplicate)
                if attempt == tries:
                    return self._handling_failed(exc, raw, mailbox, parsed, now)
                log.warning("mail %s: database conflict (%s); trying once more", parsed.mail_key,
                            _first_line(exc.orig or exc))
                continue
            except OperationalError as exc:
                if attempt == tries or not lost_to_another_transaction(exc):
                    raise
                log.warning("mail %s: %s; trying once more", parsed.mail_key, _first_line(exc.orig))
                continue
            except Exception as exc:  # noqa: BLE001 - recorded as failed; the next mails go on
                return self._handling_failed(exc, raw, mailbox, parsed, now)
            self.enqueue(pending)
            return self._logged(parsed.mail_key, result)
        raise AssertionError("unreachable: the last attempt returns")

    def _recorded_meanwhile(self, parsed: ParsedMessage, mailbox: str,
                            session: Session | None = None) -> MailResult | None:
        """After a conflict: the duplicate result when the mail's record is there (committed
        by another process), else None. Looks in `session`, or in a fresh transaction."""
        if session is None:
            with self.db.transaction() as fresh:
                return self._recorded_meanwhile(parsed, mailbox, fresh)
        previous = MailService.find_recorded(session, mailbox, parsed)
        if previous is None:
            return None
        return MailResult("duplicate", previous.ticket_id, f"recorded concurrently as mail {previous.id}")

    def process_many(self, raws: list[bytes], mailbox: str = "", *,
                     service: MailService | None = None) -> list[MailResult]:
        """Handle several mails in one transaction, each in a savepoint of its own, so that a
        backlog costs one commit per batch; results in the order of `raws`.

        For a single mail this is `process`. A mail whose savepoint hit a conflict other than
        its own record is tried once more on its own after the batch."""
        if len(raws) < 2:
            return [self.process(raw, mailbox, service=service) for raw in raws]
        service = service or self.service
        now = self.clock()
        results: list[MailResult | None] = [None] * len(raws)
        parsed_mails: dict[int, ParsedMessage] = {}
        for index, raw in enumerate(raws):
            parsed = self._parse(raw, mailbox, now)
            if isinstance(parsed, MailResult):
                results[index] = parsed
            else:
                parsed_mails[index] = parsed
        broken: dict[int, Exception] = {}
        conflicted: list[int] = []
        try:
            with self.db.batch_transaction() as session:
                # the loop brake's counts of the batch's senders, in one query
                self.outbox.prefetch_answer_counts(session, [p.sender.email for p in parsed_mails.values()], now)
                # which of them are recorded already, the senders' users and which of the mails'
                # Message-IDs are known, in one query each
                service.prefetch_recorded(session, mailbox, parsed_mails.values())
                prefetch_senders(session, [service.sender_of(p).email for p in parsed_mails.values()])
                prefetch_messages(session, [p.message_id for p in parsed_mails.values()])
                rows = []
                for index, parsed in parsed_mails.items():
                    try:
                        with session.begin_nested():
                            results[index], mail_rows = self._handle_in(
                                session, parsed, raws[index], mailbox, service, now)
                        rows += mail_rows
                    except IntegrityError:
                        results[index] = self._recorded_meanwhile(parsed, mailbox, session)
                        if results[index] is None:
                            conflicted.append(index)
                    except OperationalError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - recorded below, the batch goes on
                        broken[index] = exc
                pending = [row.id for row in rows if row.status == "pending"]
        except IntegrityError:
            # another process committed one of these mails meanwhile: take them one by one
            return [self.process(raw, mailbox, service=service) for raw in raws]
        except OperationalError as exc:
            if not lost_to_another_transaction(exc):
                raise
            # a deadlock with another intake process: nothing of the batch is kept, one by one now
            log.warning("batch of %d mail(s): %s; taking them one by one", len(raws), _first_line(exc.orig))
            return [self.process(raw, mailbox, service=service) for raw in raws]
        log.info("batch of %d mail(s) committed", len(raws))
        self.enqueue(pending)
        for index, parsed in parsed_mails.items():
            if index in broken:
                results[index] = self._handling_failed(broken[index], raws[index], mailbox, parsed, now)
            elif index in conflicted:
                log.warning("mail %s: database conflict in its batch; trying once more", parsed.mail_key)
                results[index] = self._process_parsed(parsed, raws[index], mailbox, service, now, tries=1)
            else:
                self._logged(parsed.mail_key, results[index])  # type: ignore[arg-type]  # set in its savepoint above
        assert all(result is not None for result in results), "a mail of the batch got no result"
        return results  # type: ignore[return-value]  # no None left: asserted just above

    @staticmethod
    def _logged(key: str, result: MailResult) -> MailResult:
        """The one INFO line of a mail: `mail <key>: refused: no usable sender address`."""
        log.info("mail %s: %s%s%s", key, result.outcome, f" #{result.ticket_id}" if result.ticket_id else "",
                 f": {_first_line(result.reason)}" if result.reason else "")
        return result

    def _parse(self, raw: bytes, mailbox: str, now: datetime) -> ParsedMessage | MailResult:
        """The parsed mail, or the failure recorded for bytes that are not a mail."""
        s = self.settings
        try:
            return parse_message(raw, helpdesk_address=s.helpdesk_address, subject_tag=s.subject_tag,
                                 max_text=s.max_text_chars)
        except ParseError as exc:
            return self._record_failure(raw, mailbox, f"not a mail: {exc}", now)

    def _handle_in(self, session: Session, parsed: ParsedMessage, raw: bytes, mailbox: str,
                   service: MailService, now: datetime) -> tuple[MailResult, list[Notification]]:
        """The mail's changes and their outbox rows, in the caller's transaction."""
        result = service.handle(session, parsed, raw, mailbox=mailbox, now=now)
        rows = self.outbox.record_mail(session, result.events, result.answers, now, parsed.message_id)
        session.flush()
        return result, rows

    def _handling_failed(self, exc: Exception, raw: bytes, mailbox: str, parsed: ParsedMessage,
                         now: datetime) -> MailResult:
        log.error("mail %s could not be handled", parsed.mail_key, exc_info=exc)
        detail = "".join(traceback.format_exception_only(exc)).strip()
        if isinstance(exc, DBAPIError) and exc.orig is not None:  # without the SQL and SQLAlchemy's link
            detail = f"{type(exc).__name__}: {exc.orig}".strip()
        return self._record_failure(raw, mailbox, detail, now, mail_key=parsed.mail_key,
                                    sender=parsed.sender.email, subject=parsed.subject)

    def _record_failure(self, raw: bytes, mailbox: str, error: str, now: datetime, *,
                        mail_key: str | None = None, sender: str = "", subject: str = "") -> MailResult:
        """Records the mail as failed with its error (kept for `mailbot failed list`), and logs it."""
        sha = hashlib.sha256(raw).hexdigest()
        key = mail_key or f"sha256:{sha}"
        with self.db.transaction() as session:
            existing = MailService.already_processed(session, mailbox, key)
            if existing is not None:
                existing.reason = error
                return self._logged(key, MailResult("failed", reason=error, mail_id=existing.id))
            record = ProcessedMail(mailbox=mailbox, mail_key=key, sha256=sha, raw=raw, outcome="failed",
                                   reason=error[:10000], received_at=now, sender=sender[:320], subject=subject)
            session.add(record)
            session.flush()
        return self._logged(key, MailResult("failed", reason=error, mail_id=record.id))

    # -- periodic jobs ------------------------------------------------------------------

    def autoclose(self) -> list[int]:
        """Close the solved tickets that are due, each in its own transaction; returns their ids."""
        from mailbot.workflow.autoclose import close_if_due, due_ticket_ids

        hours = self.settings.autoclose_hours
        now = self.clock()
        with self.db.transaction() as session:
            candidates = due_ticket_ids(session, now, hours)
        closed: list[int] = []
        for ticket_id in candidates:
            with self.db.transaction() as session:
                event = close_if_due(session, ticket_id, now, hours)
                if event is None:
                    continue
                rows = self.outbox.record_events(session, [event], now)
                session.flush()
                pending = [row.id for row in rows]
            closed.append(ticket_id)
            self.enqueue(pending)
        if closed:
            log.info("closed automatically: %s", ", ".join(f"#{i}" for i in closed))
        return closed

    def digest(self, *, force: bool = False) -> list[str]:
        """Write the morning digest of each technician still without one today, each in its own
        transaction (workflow/digest.py); `force`: whatever the hour, even when
        MAILBOT_DIGEST_HOUR is off. Returns the addresses a digest was written to."""
        from mailbot.workflow import digest
        from mailbot.workflow.models import User

        now, tz = self.clock(), self.settings.tz
        day = digest.due_day(now, tz, self.settings.digest_hour, force=force)
        if day is None:
            return []
        with self.db.transaction() as session:
            waiting = digest.waiting_technicians(session, day)
        sent: list[str] = []
        for user_id in waiting:
            with self.db.transaction() as session:
                user = session.get(User, user_id)
                row = digest.claim(session, user_id, day, now) if user is not None else None
                desk = digest.digest_view(session, user, now, day, tz) if user is not None and row else None
                if user is None or row is None or desk is None:
                    continue  # another process has it, or nothing to read: the claim settles the day
                notification = self.outbox.record_digest(session, user, desk, now)
                session.flush()
                row.notification_id = notification.id
            sent.append(user.email)
            self.enqueue([notification.id])
        if sent:
            log.info("morning digest for %s: %s", day.isoformat(), ", ".join(sent))
        return sent

    # -- mail out -----------------------------------------------------------------------

    def deliver(self, notification_id: int) -> str:
        """Send one outbox row now; its status after. A temporary failure raises DeliveryError."""
        from mailbot.outbound.delivery import deliver

        return deliver(self.db.sessions, notification_id, **self._delivery_options())

    def deliver_batch(self, notification_ids: list[int]) -> dict[int, str]:
        """Send these outbox rows together (outbound/delivery.py); each one's status after."""
        from mailbot.outbound.delivery import deliver_batch

        outcomes = deliver_batch(self.db.sessions, notification_ids, **self._delivery_options())
        return {notification_id: outcome.status for notification_id, outcome in outcomes.items()}

    def _deliver_queued(self, *notification_ids: int) -> None:
        """What a queue message runs: its rows as one batch; temporary failures wait for the relay."""
        self.deliver_batch(list(notification_ids))

    def _delivery_options(self) -> dict[str, Any]:
        from mailbot.outbound.attaching import DocumentAttacher

        s = self.settings
        return {"sender": self.sender, "now": self.clock(),
                "attacher": DocumentAttacher(DocumentStore(s.documents_dir), s.notification_attachments_bytes),
                "render_kwargs": {"helpdesk_address": s.helpdesk_address, "subject_tag": s.subject_tag,
                                  "timezone": s.tz, "helpdesk_name": s.helpdesk_name},
                "first_retry": timedelta(seconds=s.retry_first_seconds),
                "longest_retry": timedelta(seconds=s.retry_max_seconds),
                "claim": timedelta(seconds=s.claim_seconds), "max_attempts": s.delivery_max_attempts}

    def hold_delivery(self) -> None:
        """Embedded mode, one-shot commands: keep the ids to send instead of queueing them, and
        send them with `deliver_held` (no queue and no worker thread to start and stop)."""
        if self.uses_stub_broker and self._held is None:
            self._held = []

    def deliver_held(self) -> None:
        """Send the held notifications in batches of MAILBOT_DELIVERY_BATCH, in this thread.
        Those that meet a temporary failure stay in the outbox for the relay."""
        held, self._held = self._held or [], None
        size = self.settings.delivery_batch
        for start in range(0, len(held), size):
            self.deliver_batch(held[start:start + size])

    def take_held(self) -> list[int]:
        """The held notification ids, handed to the caller (an intake process gives them to
        `mailbot run`, whose in-process worker sends them); delivery is no longer held."""
        held, self._held = self._held or [], None
        return held

    def enqueue(self, notification_ids: list[int]) -> None:
        """Hand notifications to the broker, MAILBOT_DELIVERY_BATCH ids a message; those it
        cannot take stay in the outbox, due at once, and the relay hands them over again when
        the broker is back. While delivery is held (`hold_delivery`), they are only noted."""
        if self._held is not None:
            self._held += notification_ids
            return
        from mailbot.outbound.delivery import mark_due

        size = self.settings.delivery_batch
        missed: list[int] = []
        for start in range(0, len(notification_ids), size):
            try:
                self.actors.send_notification.send(*notification_ids[start:start + size])
            except Exception as exc:  # noqa: BLE001 - the outbox keeps it; the relay sends it later
                missed = notification_ids[start:]
                log.warning("broker unavailable (%s: %s); %d notification(s) stay in the outbox for the relay",
                            type(exc).__name__, exc, len(missed))
                break
        if missed:
            try:
                with self.db.transaction() as session:
                    mark_due(session, missed, self.clock())
            except Exception:
                log.warning("could not mark notifications %s as due", missed, exc_info=True)

    def relay_due(self) -> int:
        """Re-enqueue the outbox rows that are due: after a crash, a broker outage or a
        temporary SMTP failure. The outbox, not the broker, is the source of truth."""
        from mailbot.outbound.delivery import due_notification_ids, mark_due

        now = self.clock()
        grace = timedelta(seconds=self.settings.relay_grace_seconds)
        with self.db.transaction() as session:
            # never-tried rows younger than the grace are most likely still in the queue
            due = due_notification_ids(session, now, limit=1000, created_before=now - grace)
            # handed to the queue now: not due again before the queue had its chance
            mark_due(session, due, now + grace)
        if due:
            log.info("relay: %d notification(s) due again", len(due))
        self.enqueue(due)
        return len(due)

    def start_worker(self) -> None:
        """The in-process worker of the embedded mode (stub broker)."""
        from mailbot.outbound.actors import start_inprocess_worker

        if self._worker is None:
            self.actors  # noqa: B018 - declare the actors before the worker starts
            self._worker = start_inprocess_worker(self.broker)

    def wait_for_delivery(self, timeout_ms: int = 60_000) -> None:
        """Embedded mode: wait until queued notifications are sent. With a broker, enqueued is enough."""
        if self.uses_stub_broker and self._worker is not None:
            self.broker.join(self.actors.send_notification.queue_name, timeout=timeout_ms, fail_fast=False)
            self._worker.join()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if "broker" in self.__dict__:
            # RabbitMQ: closes this process's connections cleanly, after what they still had to send.
            self.broker.close()
        if "db" in self.__dict__:
            self.db.dispose()
