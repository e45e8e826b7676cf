"""A helpdesk driven the way its users drive it: mails in, mails out (the outbox folder),
with a clock the test moves by hand."""

from __future__ import annotations

import contextlib
import email
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid
from pathlib import Path

from typer.testing import CliRunner

from mailbot.app import App
from tests.conftest import clean_settings


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sent:
    to: str
    subject: str
    text: str
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"].strip("<>")


class Helpdesk:
    def __init__(self, tmp: Path, **settings: object):
        self.tmp = tmp
        self.clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
        # SQLite in `tmp` unless the test names another database
        self.settings = clean_settings(**{"database_url": f"sqlite:///{tmp / 'mailbot.db'}", "outbox_dir": tmp / "outbox",
                                          "documents_dir": tmp / "documents", "helpdesk_address": "helpdesk@lycee.example",
                                          **settings})
        self.app = App(self.settings, clock=self.clock)
        self.app.ensure_schema()
        self.app.start_worker()
        self._seen: set[str] = set()

    def close(self) -> None:
        self.app.close()

    def send(self, sender: str, subject: str, body: str, *, in_reply_to: str | None = None,
             cc: str | None = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = self.settings.helpdesk_address
        if cc:
            msg["Cc"] = cc
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="client.example")
        msg["Date"] = email.utils.format_datetime(self.clock.now)
        if in_reply_to:
            msg["In-Reply-To"] = f"<{in_reply_to}>"
            msg["References"] = f"<{in_reply_to}>"
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(body)
        result = self.app.process(msg.as_bytes(), "direct")
        self.app.wait_for_delivery()
        return result

    def new_mails(self) -> list[Sent]:
        """The mails that left since the last call, in the order they were written."""
        outbox = self.settings.outbox_dir
        files = sorted(p for p in outbox.glob("*.eml") if p.name not in self._seen) if outbox.exists() else []
        mails = []
        for path in files:
            self._seen.add(path.name)
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            body = message.get_body(("plain",))
            mails.append(Sent(str(message["To"]), str(message["Subject"]),
                              body.get_content() if body else "", message))
        return mails

    def show(self, ticket_id: int) -> dict:  # type: ignore[type-arg]
        from mailbot.workflow.views import get_ticket, ticket_json

        with self.app.db.transaction() as session:
            return ticket_json(get_ticket(session, ticket_id))

    def cli(self, *args: str) -> str:
        """Run the `mailbot` command line against this helpdesk's database."""
        from mailbot.cli import cli

        # Only these variables: the developer's own MAILBOT_* are unset (None), and the command
        # runs in an empty folder, away from a `.env` or `mailbot.toml` of the working folder.
        env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MAILBOT_")}
        env.update({"MAILBOT_DATABASE_URL": self.settings.database_url,
                    "MAILBOT_OUTBOX_DIR": str(self.settings.outbox_dir),
                    "MAILBOT_DOCUMENTS_DIR": str(self.settings.documents_dir),
                    "MAILBOT_HELPDESK_ADDRESS": self.settings.helpdesk_address,
                    "MAILBOT_TIMEZONE": self.settings.timezone})
        folder = self.tmp / "cli-cwd"
        folder.mkdir(exist_ok=True)
        with contextlib.chdir(folder):
            result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def cli_json(self, *args: str):  # type: ignore[no-untyped-def]
        return json.loads(self.cli(*args, "--json"))
