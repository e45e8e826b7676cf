"""Find the ticket a mail names: subject tag, plus address, and the clean ticket title (SPEC §3.2)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailbot.parsers.types import Address

# Reply and forward prefixes of the mail clients our users have (French, English, German,
# Scandinavian, Dutch, Italian), with Outlook's optional counters such as "RE[2]:".
REPLY_PREFIXES = ("re", "tr", "fw", "fwd", "aw", "sv", "wg", "antw", "rif", "réf", "ref")
_PREFIX_RE = re.compile(
    r"^\s*(?:" + "|".join(sorted(REPLY_PREFIXES, key=len, reverse=True)) + r")\s*(?:\[\d+\])?\s*:\s*",
    re.IGNORECASE,
)
# What happened, as our own subjects say it between the tag and the title
# (`[Ticket #59] Clos : Ordinateur très lent`), keyed by (event, recipient role or None for
# anyone) then language; a notification telling several events says the words of its leading
# one (`outbound.notifications.PRECEDENCE`). A reply's subject carries the words back: `strip_subject` removes
# them after our tag, so they never become a title.
SUBJECT_WORDS: dict[tuple[str, str | None], dict[str, str]] = {
    ("solved", "requester"): {"fr": "Résolu – merci de confirmer", "en": "Solved – please confirm"},
    ("solved", None): {"fr": "Résolu", "en": "Solved"},
    ("closed", None): {"fr": "Clos", "en": "Closed"},
    ("solution_refused", "requester"): {"fr": "Solution refusée – demande rouverte",
                                        "en": "Solution refused – request reopened"},
    ("solution_refused", None): {"fr": "Solution refusée", "en": "Solution refused"},
    ("command_errors", None): {"fr": "Commandes refusées", "en": "Commands refused"},
    ("ticket_history", None): {"fr": "Historique", "en": "History"},
    ("documents", None): {"fr": "Documents", "en": "Documents"},
}
_WORDS_RE = re.compile(
    r"^(?:" + "|".join(sorted((re.escape(words) for row in SUBJECT_WORDS.values() for words in row.values()),
                              key=len, reverse=True)) + r")\s*:\s*",
    re.IGNORECASE,
)
_MAX_TICKET_ID = 2_147_483_647  # a SQL INTEGER: larger numbers cannot be one of our tickets


def _tag_re(subject_tag: str) -> re.Pattern[str]:
    return re.compile(
        r"\[\s*(?:" + re.escape(subject_tag.strip()) + r"\s*)?#\s*(\d{1,12})\s*\]", re.IGNORECASE
    )


def _as_ticket_id(digits: str) -> int | None:
    number = int(digits)
    return number if 0 < number <= _MAX_TICKET_ID else None


def subject_ticket_id(subject: str, subject_tag: str = "Ticket") -> int | None:
    """The ticket number of `[Ticket #59]` or `[#59]` anywhere in the subject."""
    for match in _tag_re(subject_tag).finditer(subject):
        number = _as_ticket_id(match.group(1))
        if number is not None:
            return number
    return None


def plus_ticket_id(recipients: Iterable[Address], helpdesk_address: str) -> int | None:
    """The ticket number of `helpdesk+59@domain` among the recipients."""
    local, _, domain = helpdesk_address.strip().lower().partition("@")
    if not local or not domain:
        return None
    pattern = re.compile(re.escape(local) + r"\+(\d{1,12})@" + re.escape(domain))
    for address in recipients:
        match = pattern.fullmatch(address.email)
        if match:
            number = _as_ticket_id(match.group(1))
            if number is not None:
                return number
    return None


def strip_subject(subject: str, subject_tag: str = "Ticket") -> str:
    """The subject without reply/forward prefixes and our own tags; other systems' tags stay."""
    tag_re = _tag_re(subject_tag)
    text = subject.replace("\u00a0", " ").replace("\u202f", " ").strip()
    while True:
        before = text
        leading_tag = tag_re.match(text)
        if leading_tag:
            text = _WORDS_RE.sub("", text[leading_tag.end() :].strip())
        text = _PREFIX_RE.sub("", text).strip()
        if text == before:
            break
    text = tag_re.sub(" ", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def make_title(subject: str, new_text: str, subject_tag: str = "Ticket") -> str:
    """The ticket title: the stripped subject, else the first line of the new text cut at 80."""
    title = strip_subject(subject, subject_tag)
    if title:
        return title
    for line in new_text.splitlines():
        if line.strip():
            return line.strip()[:80].rstrip()
    return ""
