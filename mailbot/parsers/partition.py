"""Parallel intake's split of a backlog into parts that may be processed side by side.

Two mails go to the same part when the order between them can matter: they share a thread
(a Message-ID, In-Reply-To or References id, so a reply always follows its request in the
same process), name the same ticket (`[Ticket #59]`, `helpdesk+59@…`), or involve the same
person who is not yet a user (From, Sender, Reply-To, To, Cc: only one process creates that
user). A union-find over those keys, read from the header block only, gives the groups; the
groups are then dealt to N parts, heaviest first onto the lightest part, each part keeping
the mails' original order."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32

from mailbot.parsers.addresses import find_sender, message_ids, parse_addresses
from mailbot.parsers.charset import decode_header
from mailbot.parsers.ticket_ref import plus_ticket_id, subject_ticket_id

_PEOPLE_HEADERS = ("from", "sender", "reply-to", "to", "cc")


@dataclass(frozen=True)
class ThreadKeys:
    """What ties one mail to others: thread ids, ticket numbers, people's addresses."""

    ids: tuple[str, ...] = ()
    tickets: tuple[int, ...] = ()
    people: tuple[str, ...] = ()


def header_block(raw: bytes) -> bytes:
    """The bytes up to the first empty line (the whole of `raw` when there is none)."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0]
    return raw[:min(ends) + 2] if ends else raw


def thread_keys(head: bytes, *, helpdesk_address: str, subject_tag: str = "Ticket") -> ThreadKeys:
    """The keys of a mail from its header block (the body is not needed)."""
    msg = BytesParser(policy=compat32).parsebytes(header_block(head), headersonly=True)
    headers: dict[str, list[str]] = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), []).append(value)
    ids = [mid for name in ("message-id", "in-reply-to", "references") for value in headers.get(name, [])
           for mid in message_ids(value)]
    subject = decode_header(headers["subject"][0]) if headers.get("subject") else ""
    recipients = parse_addresses(headers.get("to", []) + headers.get("cc", []))
    tickets = [n for n in (subject_ticket_id(subject, subject_tag), plus_ticket_id(recipients, helpdesk_address))
               if n is not None]
    people = {a.email.lower() for name in _PEOPLE_HEADERS for a in parse_addresses(headers.get(name, []))}
    sender = find_sender(headers)[0].email.lower()
    people = {p for p in people | {sender} if p and not _is_helpdesk(p, helpdesk_address)}
    return ThreadKeys(tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(tickets)), tuple(sorted(people)))


def _is_helpdesk(email: str, helpdesk_address: str) -> bool:
    """The helpdesk's address, or one of its `helpdesk+59@…` forms: never a user to create."""
    local, _, domain = email.rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" == helpdesk_address.strip().lower()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        while key != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def partition(keys: Sequence[ThreadKeys], parts: int, *, known_people: Collection[str] = (),
              weights: Sequence[int] | None = None) -> list[list[int]]:
    """The mails' indexes dealt to at most `parts` non-empty parts, each in increasing order.

    `known_people` are addresses that already are users (mails sharing only them stay
    independent: a technician answering many tickets does not tie them together);
    `weights` (the files' sizes) balance the parts, one per mail when not given."""
    known = {email.lower() for email in known_people}
    links = _UnionFind()
    for index, mail in enumerate(keys):
        own = f"mail:{index}"
        links.find(own)
        for key in (*(f"id:{m}" for m in mail.ids), *(f"ticket:{n}" for n in mail.tickets),
                    *(f"person:{p}" for p in mail.people if p not in known)):
            links.union(own, key)
    groups: dict[str, list[int]] = {}
    for index in range(len(keys)):
        groups.setdefault(links.find(f"mail:{index}"), []).append(index)
    weight = (lambda i: weights[i]) if weights is not None else (lambda _i: 1)
    heaviest_first = sorted(groups.values(), key=lambda group: (-sum(weight(i) for i in group), group[0]))
    loads = [(0, part) for part in range(max(1, parts))]
    dealt: list[list[int]] = [[] for _ in loads]
    for group in heaviest_first:
        load, part = heapq.heappop(loads)
        dealt[part] += group
        heapq.heappush(loads, (load + sum(weight(i) for i in group), part))
    return [sorted(part) for part in dealt if part]
