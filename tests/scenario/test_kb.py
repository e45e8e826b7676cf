"""The knowledge base as its users meet it: `#solve … #kb` drafts, `#kb edit/publish/unpublish`,
`#search` by mail, suggestions in new-ticket notifications, `mailbot kb search`."""

from __future__ import annotations

from tests.scenario.helpdesk import Helpdesk

TECH = "sami.tech@lycee.example"
PROF = "loic.medori@lycee.example"


def _solved_with_kb(helpdesk: Helpdesk, subject: str, solution: str, kb_line: str = "#kb") -> int:
    """Open a ticket as the teacher, solve it with #kb as the technician; the ticket's number."""
    helpdesk.send(PROF, subject, "Bonjour, pouvez-vous regarder ?")
    ticket_id = max(t["id"] for t in helpdesk.cli_json("tickets", "list"))
    helpdesk.send(TECH, f"Re: [Ticket #{ticket_id}] {subject}", f"#solve\n{kb_line}\n{solution}")
    helpdesk.new_mails()
    return ticket_id


def test_kb_search_on_the_command_line_ranks_and_marks_the_words_found(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Imprimante bloquée", "Ouvrir le capot et retirer la feuille coincée.")
    _solved_with_kb(helpdesk, "Pronote password", "Reset it from the ENT, then log in again.")

    [hit] = helpdesk.cli_json("kb", "search", "imprimantes", "bloquees")
    assert (hit["id"], hit["title"], hit["status"]) == (1, "Imprimante bloquée", "draft")
    printed = helpdesk.cli("kb", "search", "mots", "de", "passe", "Pronote")
    assert printed.splitlines()[0].split()[:3] == ["2", "Pronote", "password"]
    assert "*ENT*" not in printed and "Reset it from the ENT" in printed
    assert helpdesk.cli_json("kb", "search", "pronote", "--published") == []  # a draft
    assert helpdesk.cli("kb", "search", "cantine") == "no knowledge-base article matches 'cantine'\n"
