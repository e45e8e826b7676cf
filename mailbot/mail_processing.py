"""Mail processing: a raw mail, or a batch of them, handled end to end — parsed, recorded, acted
on by the mail service, its outbox rows written, committed, then its notifications handed on.

A mail that cannot be handled is recorded as failed (kept for `mailbot failed list`); a conflict
with another transaction (two intake processes, `mailbot ingest --jobs`) is a duplicate only when
the mail's record is there, and is otherwise tried again in a fresh transaction. The app builds
one `MailProcessing` and `App.process` / `App.process_many` call it."""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.errors import ParseError
from mailbot.outbound.outbox import Outbox
from mailbot.parsers.message import parse_message
from mailbot.parsers.types import ParsedMessage
from mailbot.workflow.db import Database
from mailbot.workflow.models import Notification, ProcessedMail
from mailbot.workflow.people import prefetch_senders
from mailbot.workflow.service import MailResult, MailService
from mailbot.workflow.tickets import prefetch_messages

log = logging.getLogger("mailbot")


def first_line(reason: object) -> str:
    """A reason on one log line: its first line, white space made single spaces, cut at 300."""
    lines = str(reason).strip().splitlines()
    return " ".join(lines[0].split())[:300] if lines else ""


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost to another
# one (two intake processes, `mailbot ingest --jobs`); the same work in a new transaction goes in.
LOST_TO_ANOTHER_TRANSACTION = frozenset({"40P01", "40001"})


def lost_to_another_transaction(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in LOST_TO_ANOTHER_TRANSACTION


class MailProcessing:
    """Handles raw mails with a mail service, in the database, writing the outbox; `enqueue`
    is given the ids of the pending outbox rows once they are committed."""

    def __init__(self, db: Database, outbox: Outbox, settings: Settings, *, clock: Callable[[], datetime],
                 enqueue: Callable[[list[int]], None]):
        self.db = db
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.enqueue = enqueue

    def process(self, raw: bytes, mailbox: str, service: MailService) -> MailResult:
        """Handle one raw mail end to end: record it, act, write the outbox, commit, enqueue.

        Returns only after the commit; a mail that cannot be handled is recorded as failed.
        Losing the database raises (OperationalError): the mail is not the problem, and the
        adapter leaves it in place for the next pass. `service` carries a mailbox's defaults."""
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
                            first_line(exc.orig or exc))
                continue
            except OperationalError as exc:
                if attempt == tries or not lost_to_another_transaction(exc):
                    raise
                log.warning("mail %s: %s; trying once more", parsed.mail_key, first_line(exc.orig))
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

    def process_many(self, raws: list[bytes], mailbox: str, service: MailService) -> list[MailResult]:
        """Handle several mails in one transaction, each in a savepoint of its own, so that a
        backlog costs one commit per batch; results in the order of `raws`.

        For a single mail this is `process`. A mail whose savepoint hit a conflict other than
        its own record is tried once more on its own after the batch."""
        if len(raws) < 2:
            return [self.process(raw, mailbox, service) for raw in raws]
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
            return [self.process(raw, mailbox, service) for raw in raws]
        except OperationalError as exc:
            if not lost_to_another_transaction(exc):
                raise
            # a deadlock with another intake process: nothing of the batch is kept, one by one now
            log.warning("batch of %d mail(s): %s; taking them one by one", len(raws), first_line(exc.orig))
            return [self.process(raw, mailbox, service) for raw in raws]
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
                 f": {first_line(result.reason)}" if result.reason else "")
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
