"""The composition root: builds the database, the workflow's mail services, the outbox, the
broker, the actors and the sender from Settings, lazily, and exposes them with the three parts
that use them: mail processing (processing.py), the periodic jobs (periodic.py) and the way of
outbox rows to the sender (outbound/dispatch.py). Only this module and mailbot/cli/ import
every room of the house."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy.exc import IntegrityError

from mailbot.config import Settings
from mailbot.mail_processing import MailProcessing
from mailbot.outbound.dispatch import DeliveryPolicy, Dispatcher
from mailbot.outbound.outbox import Outbox, OutboxPolicy
from mailbot.periodic import PeriodicJobs
from mailbot.workflow.approvals import ApprovalConfig, RequesterAnswers
from mailbot.workflow.attachments import AttachmentLimits
from mailbot.workflow.db import Database
from mailbot.workflow.documents import DocumentStore
from mailbot.workflow.intake import Intake, IntakeConfig
from mailbot.workflow.opening import TechnicianNewMail
from mailbot.workflow.people import SenderPolicy
from mailbot.workflow.replies import Replies
from mailbot.workflow.service import MailResult, MailService, ServiceConfig
from mailbot.workflow.technician import TechnicianConfig, TechnicianReplies
from mailbot.workflow.ticketless import TicketlessCommands

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """Everything mailbot needs, built lazily from one Settings object."""

    def __init__(self, settings: Settings, *, clock: Clock = utcnow):
        self.settings = settings
        self.clock = clock

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

        return setup_actors(self.broker, self.dispatcher.deliver_queued, autoclose_fn=self.autoclose)

    @property
    def uses_stub_broker(self) -> bool:
        return not self.settings.broker_url

    def ensure_schema(self) -> None:
        """Upgrade the schema; `run` calls this so that an empty database just works."""
        self.db.upgrade()

    @cached_property
    def processing(self) -> MailProcessing:
        return MailProcessing(self.db, self.outbox, self.settings, clock=self.clock, enqueue=self._hand_on)

    @cached_property
    def periodic(self) -> PeriodicJobs:
        return PeriodicJobs(self.db, self.outbox, self.settings, clock=self.clock, enqueue=self._hand_on)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        s = self.settings
        policy = DeliveryPolicy(
            batch=s.delivery_batch, first_retry=timedelta(seconds=s.retry_first_seconds),
            longest_retry=timedelta(seconds=s.retry_max_seconds), claim=timedelta(seconds=s.claim_seconds),
            max_attempts=s.delivery_max_attempts, relay_grace=timedelta(seconds=s.relay_grace_seconds),
            render={"helpdesk_address": s.helpdesk_address, "subject_tag": s.subject_tag, "timezone": s.tz,
                    "helpdesk_name": s.helpdesk_name},
            documents_dir=s.documents_dir, attachments_bytes=s.notification_attachments_bytes)
        return Dispatcher(self.db, policy, clock=self.clock, sender=lambda: self.sender,
                          actors=lambda: self.actors, broker=lambda: self.broker, embedded=self.uses_stub_broker)

    def _hand_on(self, notification_ids: list[int]) -> None:
        # through `enqueue` at each call: what processing and the periodic jobs committed goes
        # the one way (held or queued), also when a bench replaces `App.enqueue`
        self.enqueue(notification_ids)

    # -- mail in (processing.py) --------------------------------------------------------

    def process(self, raw: bytes, mailbox: str = "", *, service: MailService | None = None) -> MailResult:
        """Handle one raw mail end to end (`MailProcessing.process`); `service` carries a
        mailbox's defaults, the default service otherwise."""
        return self.processing.process(raw, mailbox, service or self.service)

    def process_many(self, raws: list[bytes], mailbox: str = "", *,
                     service: MailService | None = None) -> list[MailResult]:
        """Handle several mails in one transaction, a savepoint each (`MailProcessing.process_many`)."""
        return self.processing.process_many(raws, mailbox, service or self.service)

    # -- periodic jobs (periodic.py) ----------------------------------------------------

    def autoclose(self) -> list[int]:
        """Close the solved tickets that are due; returns their ids."""
        return self.periodic.autoclose()

    def digest(self, *, force: bool = False) -> list[str]:
        """Write the morning digests due; returns the addresses a digest was written to."""
        return self.periodic.digest(force=force)

    # -- mail out (outbound/dispatch.py) ------------------------------------------------
    # the Dispatcher's methods, said there

    def deliver(self, notification_id: int) -> str:
        return self.dispatcher.deliver(notification_id)

    def deliver_batch(self, notification_ids: list[int]) -> dict[int, str]:
        return self.dispatcher.deliver_batch(notification_ids)

    def hold_delivery(self) -> None:
        self.dispatcher.hold()

    def deliver_held(self) -> None:
        self.dispatcher.deliver_held()

    def take_held(self) -> list[int]:
        return self.dispatcher.take_held()

    def enqueue(self, notification_ids: list[int]) -> None:
        self.dispatcher.enqueue(notification_ids)

    def relay_due(self) -> int:
        return self.dispatcher.relay_due()

    def start_worker(self) -> None:
        self.dispatcher.start_worker()

    def wait_for_delivery(self, timeout_ms: int = 60_000) -> None:
        self.dispatcher.wait_for_delivery(timeout_ms)

    def close(self) -> None:
        if "dispatcher" in self.__dict__:
            self.dispatcher.stop_worker()
        if "broker" in self.__dict__:
            # RabbitMQ: closes this process's connections cleanly, after what they still had to send.
            self.broker.close()
        if "db" in self.__dict__:
            self.db.dispose()
