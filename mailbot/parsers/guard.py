"""Recognise automatic mail (bounces, auto-replies, robots, our own mail) before anything else (SPEC §3.1)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mailbot.parsers.types import Address, AutoVerdict

OUR_MESSAGE_ID_PREFIX = "mailbot."

_ROBOT_LOCAL_PART = re.compile(
    r"^(?:no-?reply|no_reply|do-?not-?reply|mailer-daemon|postmaster)(?:[+._-].*)?$", re.IGNORECASE
)
_DAEMON_LOCAL_PART = re.compile(r"^(?:mailer-daemon|postmaster)(?:[+._-].*)?$", re.IGNORECASE)
_OUT_OF_OFFICE_SUBJECT = re.compile(
    r"\b(?:absence|absent|out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|"
    r"r[ée]ponse automatique|autoreply|vacation|cong[ée]s?)\b",
    re.IGNORECASE,
)
_SUPPRESS_AS_AUTOREPLY = {"all", "oof", "autoreply"}


@dataclass(frozen=True)
class GuardInput:
    """What the guard looks at: lower-case header names to their values, and the MIME shape."""

    headers: Mapping[str, Sequence[str]]
    sender: Address
    subject: str
    message_id: str
    content_type: str  # of the whole mail, lower-case, e.g. "multipart/report"
    report_type: str  # its report-type parameter, lower-case
    has_original: bool  # an attached message/rfc822, text/rfc822-headers or delivery-status part
    helpdesk_address: str
    own_message_id_domain: str


def _first(mail: GuardInput, name: str) -> str | None:
    values = mail.headers.get(name)
    return values[0].strip() if values else None


def _auto_submitted(mail: GuardInput) -> str:
    return (_first(mail, "auto-submitted") or "no").split(";", 1)[0].strip().lower()


def _present(name: str) -> Callable[[GuardInput], str | None]:
    def rule(mail: GuardInput) -> str | None:
        value = _first(mail, name)
        if value is None or value.lower() in ("no", "false", "0"):
            return None
        return f"{_canonical(name)} header"

    return rule


def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _dsn_report(mail: GuardInput) -> str | None:
    if mail.content_type == "multipart/report" and mail.report_type in ("delivery-status", ""):
        return "multipart/report delivery status"
    return None


def _other_report(mail: GuardInput) -> str | None:
    if mail.content_type == "multipart/report":  # read receipts (disposition-notification) and others
        return f"multipart/report {mail.report_type}".rstrip()
    return None


def _daemon_with_original(mail: GuardInput) -> str | None:
    local = mail.sender.email.partition("@")[0]
    if _DAEMON_LOCAL_PART.match(local) and (mail.has_original or mail.content_type == "multipart/report"):
        return f"delivery report from {local}"
    return None


def _auto_replied(mail: GuardInput) -> str | None:
    value = _auto_submitted(mail)
    return f"Auto-Submitted: {value}" if value.startswith("auto-replied") else None


def _suppress(mail: GuardInput) -> str | None:
    value = _first(mail, "x-auto-response-suppress") or ""
    tokens = {token.strip().lower() for token in re.split(r"[,;\s]+", value) if token.strip()}
    hit = sorted(tokens & _SUPPRESS_AS_AUTOREPLY)
    return f"X-Auto-Response-Suppress: {value}" if hit else None


def _precedence_auto_reply(mail: GuardInput) -> str | None:
    value = (_first(mail, "precedence") or "").lower()
    return "Precedence: auto_reply" if value == "auto_reply" else None


def _auto_generated(mail: GuardInput) -> str | None:
    value = _auto_submitted(mail)
    return f"Auto-Submitted: {value}" if value != "no" else None


def _precedence(mail: GuardInput) -> str | None:
    value = (_first(mail, "precedence") or "").lower()
    return f"Precedence: {value}" if value in ("bulk", "junk", "list") else None


def _empty_return_path(mail: GuardInput) -> str | None:
    values = mail.headers.get("return-path")
    if values and values[0].strip().strip("<>").strip() == "":
        return "empty Return-Path"
    return None


def _robot_sender(mail: GuardInput) -> str | None:
    local = mail.sender.email.partition("@")[0]
    return f"robot sender {mail.sender.email}" if local and _ROBOT_LOCAL_PART.match(local) else None


def _from_helpdesk(mail: GuardInput) -> str | None:
    local, _, domain = mail.helpdesk_address.lower().partition("@")
    s_local, _, s_domain = mail.sender.email.partition("@")
    if s_domain == domain and (s_local == local or s_local.startswith(local + "+")):
        return "sent by the helpdesk address itself"
    return None


def _our_message_id(mail: GuardInput) -> str | None:
    mid = mail.message_id.lower()
    if mid.startswith(OUR_MESSAGE_ID_PREFIX) and mid.endswith("@" + mail.own_message_id_domain):
        return "Message-ID is one of ours"
    return None


# First match wins. Our own mail comes first: it carries auto-reply headers itself, and must
# never be filed as someone's auto-reply. A bounce is a bounce even when it says auto-replied.
RULES: tuple[tuple[str, Callable[[GuardInput], str | None]], ...] = (
    ("machine", _our_message_id),
    ("machine", _from_helpdesk),
    ("bounce", _dsn_report),
    ("bounce", _daemon_with_original),
    ("bounce", _present("x-failed-recipients")),
    ("autoreply", _auto_replied),
    ("autoreply", _present("x-autoreply")),
    ("autoreply", _present("x-autorespond")),
    ("autoreply", _suppress),
    ("autoreply", _precedence_auto_reply),
    ("machine", _other_report),
    ("machine", _auto_generated),
    ("machine", _precedence),
    ("machine", _present("list-id")),
    ("machine", _empty_return_path),
    ("machine", _robot_sender),
)


def check(mail: GuardInput) -> AutoVerdict | None:
    """The automatic-mail verdict, or None for a mail written by a person."""
    for kind, rule in RULES:
        reason = rule(mail)
        if reason:
            # An out-of-office subject on a machine-marked mail means an auto-reply (Exchange
            # marks its OOF answers auto-generated); on a person's mail it means nothing.
            ours = rule in (_our_message_id, _from_helpdesk)
            if kind == "machine" and not ours and _OUT_OF_OFFICE_SUBJECT.search(mail.subject):
                return AutoVerdict("autoreply", f"out-of-office subject with {reason}")
            return AutoVerdict(kind, reason)
    return None
