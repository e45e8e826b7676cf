"""One IMAP pass: every mail goes to the app, oldest first, and is filed by its outcome."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mailbot.inbound.imap import ImapTarget, poll_once

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Result:
    outcome: str


def mail(n: int, subject: str = "Demande") -> bytes:
    return (
        f"From: alice@example.org\r\nTo: helpdesk@example.org\r\n"
        f"Subject: {subject} {n}\r\nMessage-ID: <m{n}@example.org>\r\n\r\nCorps {n}\r\n"
    ).encode()


class App:
    """A stand-in for the app: answers each mail with the outcome its subject asks for."""

    def __init__(self, outcomes: dict[bytes, str] | None = None, fail_on: bytes = b""):
        self.received: list[tuple[bytes, str]] = []
        self.outcomes = outcomes or {}
        self.fail_on = fail_on

    def __call__(self, raw: bytes, mailbox: str) -> Result:
        if self.fail_on and self.fail_on in raw:
            raise RuntimeError("database is down")
        self.received.append((raw, mailbox))
        for marker, outcome in self.outcomes.items():
            if marker in raw:
                return Result(outcome)
        return Result("ticket")


def test_three_mails_are_handed_over_in_order_and_moved_to_processed(imap_mailbox):
    raws = [mail(1), mail(2), mail(3)]
    for raw in raws:
        imap_mailbox.append(raw)
    app = App()

    stats = poll_once(imap_mailbox.imap_url, app)

    assert [raw.replace(b"\r\n", b"\n") for raw, _ in app.received] == [
        raw.replace(b"\r\n", b"\n") for raw in raws
    ]
    assert imap_mailbox.folder_messages("Processed") == [raw for raw, _ in app.received]
    assert imap_mailbox.folder_uids("INBOX") == []
    assert stats.fetched == 3 and stats.outcomes == {"ticket": 3} and stats.errors == 0


def test_the_mailbox_name_names_the_account_and_folder_but_not_the_password(imap_mailbox):
    imap_mailbox.append(mail(1))
    app = App()

    poll_once(imap_mailbox.imap_url, app)

    mailbox = app.received[0][1]
    assert mailbox == f"imap://helpdesk@127.0.0.1:{imap_mailbox.port}/INBOX"
    assert "helpdesk-pass" not in mailbox


def test_each_outcome_files_the_mail_in_its_folder(imap_mailbox):
    for n, subject in enumerate(["refuse-me", "fail-me", "followup-me", "ignore-me", "dup-me"]):
        imap_mailbox.append(mail(n, subject))
    app = App({b"refuse-me": "refused", b"fail-me": "failed", b"followup-me": "followup",
               b"ignore-me": "ignored", b"dup-me": "duplicate"})

    poll_once(imap_mailbox.imap_url, app)

    subjects = {
        folder: [line for raw in imap_mailbox.folder_messages(folder)
                 for line in raw.splitlines() if line.startswith(b"Subject:")]
        for folder in ("INBOX", "Processed", "Refused", "Failed")
    }
    assert subjects == {
        "INBOX": [],
        "Processed": [b"Subject: followup-me 2", b"Subject: ignore-me 3", b"Subject: dup-me 4"],
        "Refused": [b"Subject: refuse-me 0"],
        "Failed": [b"Subject: fail-me 1"],
    }


def test_folder_names_can_be_chosen(imap_mailbox):
    imap_mailbox.append(mail(1, "refuse-me"))
    imap_mailbox.append(mail(2))

    poll_once(imap_mailbox.imap_url, App({b"refuse-me": "refused"}),
              folder_processed="Archive/Helpdesk", folder_refused="Rejected")

    assert len(imap_mailbox.folder_uids("Archive/Helpdesk")) == 1
    assert len(imap_mailbox.folder_uids("Rejected")) == 1
    assert imap_mailbox.folder_uids("Processed") == []


def test_a_mail_the_app_could_not_record_stays_in_the_inbox_and_the_others_go_on(imap_mailbox):
    imap_mailbox.append(mail(1))
    imap_mailbox.append(mail(2, "boom"))
    imap_mailbox.append(mail(3))
    app = App(fail_on=b"boom")

    stats = poll_once(imap_mailbox.imap_url, app)

    left = imap_mailbox.folder_messages("INBOX")
    assert len(left) == 1 and b"Subject: boom 2" in left[0]
    assert len(imap_mailbox.folder_uids("Processed")) == 2
    assert stats.errors == 1 and stats.outcomes == {"ticket": 2}


def test_a_mail_left_in_place_is_not_marked_read(imap_mailbox):
    imap_mailbox.append(mail(1, "boom"))

    poll_once(imap_mailbox.imap_url, App(fail_on=b"boom"))

    client = imap_mailbox.client()
    try:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == imap_mailbox.folder_uids("INBOX")
    finally:
        client.logout()


def test_batches_smaller_than_the_mailbox_still_take_every_mail_in_order(imap_mailbox):
    raws = [mail(n) for n in range(7)]
    for raw in raws:
        imap_mailbox.append(raw)
    app = App()

    poll_once(imap_mailbox.imap_url, app, batch=3)

    assert [raw.split(b"Subject: ")[1].split(b"\r\n")[0] for raw, _ in app.received] == [
        f"Demande {n}".encode() for n in range(7)
    ]
    assert imap_mailbox.folder_uids("INBOX") == []


def test_an_empty_mailbox_is_a_quiet_pass(imap_mailbox):
    app = App()

    stats = poll_once(imap_mailbox.imap_url, app)

    assert app.received == [] and stats.fetched == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("imap://helpdesk:s%40cret%2F1@mail.example.org/INBOX",
         ImapTarget("mail.example.org", 143, "helpdesk", "s@cret/1", "INBOX", ssl=False)),
        ("imaps://bot%40example.org:pw@mail.example.org:1993/Help%20desk/Inbound",
         ImapTarget("mail.example.org", 1993, "bot@example.org", "pw", "Help desk/Inbound", ssl=True)),
        ("imaps://bot:pw@mail.example.org",
         ImapTarget("mail.example.org", 993, "bot", "pw", "INBOX", ssl=True)),
        ("imap+starttls://bot:pw@mail.example.org/",
         ImapTarget("mail.example.org", 143, "bot", "pw", "INBOX", ssl=False, starttls=True)),
    ],
)
def test_imap_url_gives_server_account_and_folder(url, expected):
    assert ImapTarget.from_url(url) == expected


def test_without_the_move_extension_the_mail_is_copied_then_expunged(imap_mailbox, monkeypatch):
    from imapclient import IMAPClient

    advertised = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability",
                        lambda client, name: name.upper() != "MOVE" and advertised(client, name))
    imap_mailbox.append(mail(1))
    imap_mailbox.append(mail(2))

    poll_once(imap_mailbox.imap_url, App())

    assert imap_mailbox.folder_uids("INBOX") == []
    assert len(imap_mailbox.folder_messages("Processed")) == 2


def test_mail_waiting_across_a_server_restart_is_still_taken(imap_mailbox):
    imap_mailbox.append(mail(1))
    imap_mailbox.stop()
    imap_mailbox.start()
    app = App()

    poll_once(imap_mailbox.imap_url, app)

    assert len(app.received) == 1


class BatchApp(App):
    """A stand-in for the app's batch call; notes which mails were still in the inbox at the call."""

    def __init__(self, mailbox, outcomes: dict[bytes, str] | None = None, fail_on: bytes = b""):  # type: ignore[no-untyped-def]
        super().__init__(outcomes, fail_on)
        self.mailbox = mailbox
        self.batches: list[list[bytes]] = []
        self.inbox_at_call: list[int] = []

    def many(self, raws: list[bytes], mailbox: str) -> list[Result]:
        self.inbox_at_call.append(len(self.mailbox.folder_uids("INBOX")))
        if self.fail_on and any(self.fail_on in raw for raw in raws):
            raise RuntimeError("database is down")
        self.batches.append(raws)
        return [self(raw, mailbox) for raw in raws]


def subjects_of(raws: list[bytes]) -> list[str]:
    return [raw.split(b"Subject: ")[1].split(b"\r\n")[0].decode() for raw in raws]


def test_a_batch_handler_gets_each_batch_in_one_call_in_order_before_any_of_it_is_filed(imap_mailbox):
    for n in range(7):
        imap_mailbox.append(mail(n))
    app = BatchApp(imap_mailbox)

    stats = poll_once(imap_mailbox.imap_url, app, batch=3, handle_many=app.many)

    assert [subjects_of(batch) for batch in app.batches] == [
        ["Demande 0", "Demande 1", "Demande 2"], ["Demande 3", "Demande 4", "Demande 5"], ["Demande 6"]]
    assert app.inbox_at_call == [7, 4, 1]  # nothing of a batch is filed before the app returned
    assert imap_mailbox.folder_uids("INBOX") == []
    assert subjects_of(imap_mailbox.folder_messages("Processed")) == [f"Demande {n}" for n in range(7)]
    assert stats.fetched == 7 and stats.outcomes == {"ticket": 7} and stats.errors == 0


def test_a_batch_the_app_could_not_record_stays_unread_in_the_inbox_and_the_next_batch_goes_on(imap_mailbox):
    for n, subject in enumerate(["Demande", "boom", "Demande", "Demande"]):
        imap_mailbox.append(mail(n, subject))
    app = BatchApp(imap_mailbox, fail_on=b"boom")

    stats = poll_once(imap_mailbox.imap_url, app, batch=2, handle_many=app.many)

    assert subjects_of(imap_mailbox.folder_messages("INBOX")) == ["Demande 0", "boom 1"]
    assert subjects_of(imap_mailbox.folder_messages("Processed")) == ["Demande 2", "Demande 3"]
    client = imap_mailbox.client()
    try:
        client.select_folder("INBOX", readonly=True)
        assert sorted(client.search(["UNSEEN"])) == imap_mailbox.folder_uids("INBOX")
    finally:
        client.logout()
    assert stats.errors == 2 and stats.outcomes == {"ticket": 2}


@pytest.mark.parametrize("by_batch", [True, False], ids=["batch handler", "mail by mail"])
def test_a_batch_is_filed_with_one_move_per_destination_folder(imap_mailbox, monkeypatch, by_batch):
    from imapclient import IMAPClient

    moves: list[tuple[str, int]] = []
    real_move = IMAPClient.move

    def counting_move(client, messages, folder):  # type: ignore[no-untyped-def]
        moves.append((folder, len(messages)))
        return real_move(client, messages, folder)

    monkeypatch.setattr(IMAPClient, "move", counting_move)
    subjects = ["Demande", "refuse-me", "fail-me", "Demande", "refuse-me", "followup-me"]
    for n, subject in enumerate(subjects):
        imap_mailbox.append(mail(n, subject))
    app = BatchApp(imap_mailbox, {b"refuse-me": "refused", b"fail-me": "failed", b"followup-me": "followup"})

    poll_once(imap_mailbox.imap_url, app, handle_many=app.many if by_batch else None)

    assert sorted(moves) == [("Failed", 1), ("Processed", 3), ("Refused", 2)]
    assert subjects_of(imap_mailbox.folder_messages("Processed")) == ["Demande 0", "Demande 3", "followup-me 5"]
    assert subjects_of(imap_mailbox.folder_messages("Refused")) == ["refuse-me 1", "refuse-me 4"]
    assert subjects_of(imap_mailbox.folder_messages("Failed")) == ["fail-me 2"]
