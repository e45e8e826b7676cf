"""How many SQL statements a mail costs: the hot paths of intake (a new ticket, a reply) stay
within what they need, and a batch reads what every mail of it shares (the technicians) once.
These count the statements the code sends, not time: a lazy load in a loop or a reload after
an insert shows up here as a higher count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import pytest
from sqlalchemy import event, select

from mailbot.workflow.intake import Intake
from mailbot.workflow.models import ThreadMessage, Ticket, User
from tests.scenario.helpdesk import Helpdesk

TECHS = ("camille.tech@lycee.example", "sami.tech@lycee.example")
# a new ticket from a first-time requester: the duplicate check, the requester looked up and
# created, the ticket, its first status line, its thread message (looked up, then written), the
# inventory checked, whether the knowledge base has an article (none: no search), the mail's
# record, the technicians, the loop brake's count, three outbox rows (the acknowledgement and the
# two technicians) and their outgoing thread message
NEW_TICKET_STATEMENTS = 16
# a reply of the requester on that ticket: the duplicate check, the ticket with its observers,
# assignees and machines in one, the sender, the thread message (looked up, then written), the
# followup, the ticket's documents (to tell the new ones), the mail's record, the technicians,
# two outbox rows (the technicians) and their outgoing thread message
REPLY_STATEMENTS = 12


def _mail(sender: str, subject: str, body: str, message_id: str, in_reply_to: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "helpdesk@lycee.example", subject
    msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = f"<{in_reply_to}>"
    msg.set_content(body)
    return msg.as_bytes()


@contextmanager
def _counted(helpdesk: Helpdesk) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(helpdesk.app.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(helpdesk.app.db.engine, "before_cursor_execute", count)


def _with_technicians(helpdesk: Helpdesk) -> None:
    for email in TECHS:
        helpdesk.cli("users", "add", email, "--technician")
    helpdesk.app.hold_delivery()  # the statements of intake only; delivery is counted apart


def test_a_new_ticket_and_a_reply_cost_no_more_statements_than_they_need(helpdesk: Helpdesk) -> None:
    _with_technicians(helpdesk)
    with _counted(helpdesk) as statements:
        opened = helpdesk.app.process(_mail("Bob <bob@lycee.example>", "Imprimante en panne salle 203",
                                            "Bonjour,\nl'imprimante ne marche plus.", "new-1@client.example"))
    assert opened.outcome == "ticket"
    assert len(statements) <= NEW_TICKET_STATEMENTS, "\n".join(statements)

    with _counted(helpdesk) as statements:
        replied = helpdesk.app.process(_mail("Bob <bob@lycee.example>", "RE: Imprimante en panne salle 203",
                                             "Toujours en panne.", "reply-1@client.example", "new-1@client.example"))
    assert (replied.outcome, replied.ticket_id) == ("followup", opened.ticket_id)
    assert len(statements) <= REPLY_STATEMENTS, "\n".join(statements)
    helpdesk.app.deliver_held()
    told = sorted(mail.to for mail in helpdesk.new_mails())
    assert told == sorted(["bob@lycee.example", *TECHS, *TECHS])


def test_a_batch_of_new_tickets_reads_the_technicians_once(helpdesk: Helpdesk) -> None:
    _with_technicians(helpdesk)
    mails = [_mail(f"User {n} <user{n}@lycee.example>", f"Vidéoprojecteur salle {n}", "Il ne s'allume plus.",
                   f"batch-{n}@client.example") for n in range(5)]
    with _counted(helpdesk) as statements:
        results = helpdesk.app.process_many(mails)
    assert [result.outcome for result in results] == ["ticket"] * 5
    technicians = [s for s in statements if s.startswith("SELECT users.") and "is_technician IS 1" in s]
    assert len(technicians) == 1, "\n".join(statements)
    # the mails' own Message-IDs, known to be new, are written without a look-up each
    threads = [s for s in statements if s.startswith("SELECT thread_messages.")]
    assert len(threads) == 1 and "IN" in threads[0], "\n".join(threads)
    helpdesk.app.deliver_held()
    told = [mail.to for mail in helpdesk.new_mails()]
    assert sorted(told) == sorted([*(f"user{n}@lycee.example" for n in range(5)), *TECHS * 5])


def test_an_article_saved_early_in_a_batch_is_suggested_to_a_ticket_later_in_it(helpdesk: Helpdesk) -> None:
    # the base is empty when the batch starts: a new ticket's suggestions then need no search,
    # until an article is saved in the batch
    _with_technicians(helpdesk)
    mails = [
        _mail("Bob <bob@lycee.example>", "Imprimante en panne salle 203", "Elle ne marche plus.", "p-1@client.example"),
        _mail(TECHS[0], "RE: Imprimante en panne salle 203", "#solve Redémarrer le spouleur d'impression.\n#kb",
              "p-2@client.example", "p-1@client.example"),
        _mail("Eve <eve@lycee.example>", "Imprimante en panne salle 105", "Plus rien ne sort.", "p-3@client.example"),
    ]
    with _counted(helpdesk) as statements:
        results = helpdesk.app.process_many(mails)
    assert [result.outcome for result in results] == ["ticket", "followup", "ticket"]
    assert any("kb_search MATCH" in statement for statement in statements)
    helpdesk.app.deliver_held()
    to_technicians = [mail for mail in helpdesk.new_mails()
                      if mail.to == TECHS[1] and f"#{results[2].ticket_id}]" in mail.subject]
    assert len(to_technicians) == 1
    assert "fiche n° 1 : Imprimante en panne salle 203 (brouillon)" in " ".join(to_technicians[0].text.split())


def test_a_batch_looks_up_its_mails_records_once_and_still_finds_every_copy(helpdesk: Helpdesk) -> None:
    first = _mail("Bob <bob@lycee.example>", "Imprimante en panne", "Elle ne marche plus.", "copy-1@client.example")
    assert helpdesk.app.process(first).outcome == "ticket"
    other = _mail("Eve <eve@lycee.example>", "Wifi en panne", "Plus de réseau.", "copy-2@client.example")
    with _counted(helpdesk) as statements:
        # a copy of a mail recorded before, a new mail, and a copy of that one in the same batch
        results = helpdesk.app.process_many([first, other, other])
    assert [result.outcome for result in results] == ["duplicate", "ticket", "duplicate"]
    lookups = [s for s in statements if s.startswith("SELECT processed_mails.")]
    # one for the whole batch, then one for each mail whose key is recorded: before the batch
    # (the first) or by the batch itself (the third); the new mail needs none
    assert len(lookups) == 3, "\n".join(lookups)
    # the copy in the batch is known as such before anything of it is written
    assert sum(s.startswith("INSERT INTO tickets") for s in statements) == 1


def test_a_batch_looks_up_its_senders_once(helpdesk: Helpdesk) -> None:
    _with_technicians(helpdesk)
    assert helpdesk.app.process(_mail("Bob <bob@lycee.example>", "Wifi", "Plus de réseau.", "s-0@x.example")).outcome
    mails = [_mail("Bob <bob@lycee.example>", "Imprimante", "En panne.", "s-1@x.example"),
             _mail("Eve <eve@lycee.example>", "Projecteur", "Éteint.", "s-2@x.example"),
             _mail("Eve <eve@lycee.example>", "Projecteur, encore", "Toujours éteint.", "s-3@x.example")]
    with _counted(helpdesk) as statements:
        results = helpdesk.app.process_many(mails)
    assert [result.outcome for result in results] == ["ticket"] * 3
    by_address = [s for s in statements if s.startswith("SELECT users.") and "WHERE users.email" in s]
    assert len(by_address) == 1 and "users.email IN" in by_address[0], "\n".join(by_address)
    with helpdesk.app.db.transaction() as session:
        requesters = [t.requester.email for t in session.scalars(select(Ticket).order_by(Ticket.id))]
    assert requesters == ["bob@lycee.example", "bob@lycee.example", "eve@lycee.example", "eve@lycee.example"]


def test_a_sender_made_a_user_by_a_mail_that_failed_is_made_again_by_the_next(
        helpdesk: Helpdesk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    real = Intake.open

    def open_or_break(self, session, parsed, *args, **kwargs):  # type: ignore[no-untyped-def]
        if parsed.subject == "BOOM":
            raise RuntimeError("a bug in handling")
        return real(self, session, parsed, *args, **kwargs)

    monkeypatch.setattr(Intake, "open", open_or_break)
    mails = [_mail("Eve <eve@lycee.example>", "BOOM", "…", "b-1@x.example"),
             _mail("Eve <eve@lycee.example>", "Projecteur", "Éteint.", "b-2@x.example")]
    results = helpdesk.app.process_many(mails)
    assert [result.outcome for result in results] == ["failed", "ticket"]
    assert "database conflict" not in caplog.text  # the second mail went in with its batch
    with helpdesk.app.db.transaction() as session:
        assert list(session.scalars(select(User.email).where(User.email == "eve@lycee.example"))) == [
            "eve@lycee.example"]


def test_two_mails_of_a_batch_with_one_message_id_open_two_tickets_without_a_conflict(
        helpdesk: Helpdesk, fixture_email, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    # the first keeps the Message-ID for its thread (tests/scenario/test_mail_records.py)
    alerts = [fixture_email(f"copier_alert_reused_message_id_{n}.eml") for n in (1, 2)]
    results = helpdesk.app.process_many(alerts)
    assert [result.outcome for result in results] == ["ticket", "ticket"]
    assert "database conflict" not in caplog.text
    with helpdesk.app.db.transaction() as session:
        owner = session.get(ThreadMessage, "000000000001@copieur-b203.lycee.example")
        assert owner is not None and owner.ticket_id == results[0].ticket_id
