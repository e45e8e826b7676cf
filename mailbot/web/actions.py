"""The technician's actions on a ticket page and the requester's answers to a solution, as
`mailto:` links that open a prepared reply: the mail stays the one path that changes a ticket.

One table: the command, the status-table action it needs (None: any open ticket) and the
text the reply starts with. The help shown beside each link comes from the command table."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from mailbot.parsers.commands import SPECS
from mailbot.workflow.states import OPEN, TRANSITIONS, Status

ACTIONS: tuple[tuple[str, str | None, str], ...] = (
    ("take", "assign", "#take"),
    ("task", None, "#task 0h15 "),
    ("resume", "resume_assigned", "#resume"),
    ("private", None, "#private\n"),
    ("hold", "hold", "#hold "),
    ("solve", "solve", "#solve "),
    ("close", "close", "#close "),
)


@dataclass(frozen=True)
class MailAction:
    command: str  # what the link shows: `#take`
    help: str
    href: str


def mailto(address: str, subject: str, body: str = "") -> str:
    query = f"subject={quote(subject, safe='')}" + (f"&body={quote(body, safe='')}" if body else "")
    return f"mailto:{address}?{query}"


def ticket_subject(subject_tag: str, ticket_id: int, title: str) -> str:
    return f"Re: [{subject_tag} #{ticket_id}] {' '.join(title.split())}"


def _allowed(action: str | None, status: Status) -> bool:
    return status in OPEN if action is None else status in TRANSITIONS[action]


def technician_actions(helpdesk: str, subject_tag: str, ticket_id: int, title: str, status: str,
                       language: str) -> list[MailAction]:
    """The commands a technician may send on a ticket in `status`, each as a prepared reply."""
    current = Status(status)
    subject = ticket_subject(subject_tag, ticket_id, title)
    actions = []
    for name, needed, body in ACTIONS:
        if not _allowed(needed, current):
            continue
        spec = SPECS[name]
        text = spec.help_en if language == "en" else spec.help_fr
        actions.append(MailAction(f"#{name}", text.split(";")[0].split("(")[0].strip(),
                                  mailto(helpdesk, subject, body)))
    return actions


def approval_links(helpdesk: str, subject_tag: str, ticket_id: int) -> tuple[str, str]:
    """The approve and refuse links of the solution mail (SPEC §5): same subjects."""
    return (mailto(helpdesk, f"[{subject_tag} #{ticket_id}] APPROVE"),
            mailto(helpdesk, f"[{subject_tag} #{ticket_id}] REFUSE"))


# The knowledge base's commands as links of an article page: a new mail (no ticket named), which
# mailbot answers without opening a ticket (workflow/ticketless.py). Long texts stay out of the
# `#kb edit` link past this many characters of URL: some mail programs cut longer `mailto:` links.
MAILTO_MAX = 1800
KB_SUBJECTS = {"fr": "Base de connaissances – fiche {id}", "en": "Knowledge base – article {id}"}
KB_HELP = {
    "fr": {"edit": "remplacer le titre et le texte (écrits sous la commande)",
           "publish": "rendre la fiche visible des demandeurs", "unpublish": "la cacher aux demandeurs"},
    "en": {"edit": "replace the title and text (written under the command)",
           "publish": "let requesters see the article", "unpublish": "hide it from requesters"},
}


def article_actions(helpdesk: str, article_id: int, title: str, content: str, status: str,
                    language: str) -> list[MailAction]:
    """`#kb publish N` (a draft) or `#kb unpublish N` (a published article), and `#kb edit N`
    with the article's title and text already written under it, ready to be changed."""
    subject = KB_SUBJECTS.get(language, KB_SUBJECTS["fr"]).format(id=article_id)
    words = KB_HELP.get(language, KB_HELP["fr"])
    switch = "unpublish" if status == "published" else "publish"
    edit = mailto(helpdesk, subject, f"#kb edit {article_id}\n{title}\n{content}\n")
    if len(edit) > MAILTO_MAX:
        edit = mailto(helpdesk, subject, f"#kb edit {article_id}\n{title}\n")
    return [MailAction(f"#kb {switch} {article_id}", words[switch], mailto(helpdesk, subject, f"#kb {switch} {article_id}")),
            MailAction(f"#kb edit {article_id}", words["edit"], edit)]
