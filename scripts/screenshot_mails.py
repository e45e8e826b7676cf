"""Screenshots of three mails of the seed's story, as a phone and a desktop show their HTML part.

Plays the beginning of the seed's story through a throwaway embedded helpdesk (SQLite, the
outbox folder, in a temporary folder): Loïc Medori writes « Ordinateur très lent », Camille Tech
takes it, logs a task and proposes a solution. Then it keeps three mails that left:

- `acknowledgement`: Loïc's acknowledgement of his new ticket;
- `technician`: Camille's notification of the new ticket, with the command hints;
- `solution`: the solution mail to Loïc, with its approve/refuse links;

and captures the HTML part of each with headless Chromium (the Debian package, /usr/bin/chromium)
at a phone width (390 px) and a desktop width (1024 px), into docs/screenshots/NAME-phone.png
and NAME-desktop.png. Run it from the source tree: `make screenshots`, or
`.venv/bin/python scripts/screenshot_mails.py [--out DIR] [--chromium PATH] [--keep-html]`.
"""

from __future__ import annotations

import argparse
import email
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from mailbot.app import App
from mailbot.config import Settings
from mailbot.workflow.directory import upsert_user

HELPDESK = "helpdesk@lycee.example"
LOIC = "Loïc Medori <loic.medori@lycee.example>"
CAMILLE = "camille.tech@lycee.example"
SAMI = "sami.tech@lycee.example"
SUBJECT = "Re: [Ticket #1] Ordinateur très lent"
# a phone (390 css px wide, like most recent phones) and a desktop window
SIZES = (("phone", 390), ("desktop", 1024))
# how tall each mail is drawn (headless Chromium draws the window, not the page): the whole mail, no more
HEIGHTS = {("acknowledgement", "phone"): 600, ("acknowledgement", "desktop"): 540,
           ("technician", "phone"): 620, ("technician", "desktop"): 560,
           ("solution", "phone"): 760, ("solution", "desktop"): 560}


class _OnlyGiven(Settings):
    """The values given here and the defaults: no MAILBOT_* variable or .env of the machine."""

    model_config = SettingsConfigDict(**{**Settings.model_config, "env_file": None, "toml_file": None})

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class Story:
    def __init__(self, folder: Path):
        self.now = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
        self.settings = _OnlyGiven(database_url=f"sqlite:///{folder / 'mailbot.db'}", outbox_dir=folder / "outbox",
                                   documents_dir=folder / "documents", helpdesk_address=HELPDESK,
                                   helpdesk_name="Assistance informatique – Lycée Jean Moulin",
                                   timezone="Europe/Paris", autoclose_hours=72)
        self.app = App(self.settings, clock=lambda: self.now)
        self.app.ensure_schema()
        self.app.start_worker()
        self.seen: set[str] = set()

    def person(self, address: str, name: str, technician: bool) -> None:
        with self.app.db.transaction() as session:
            upsert_user(session, address, name=name, technician=technician, group=None, language=None, now=self.now)

    def send(self, sender: str, subject: str, body: str) -> list[EmailMessage]:
        """One mail in; the mails that left because of it."""
        self.now += timedelta(minutes=20)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, HELPDESK, subject
        msg["Message-ID"], msg["Date"] = make_msgid(domain="client.example"), format_datetime(self.now)
        msg.set_content(body)
        self.app.process(msg.as_bytes(), "direct")
        self.app.wait_for_delivery()
        new = sorted(p for p in self.settings.outbox_dir.glob("*.eml") if p.name not in self.seen)
        self.seen.update(p.name for p in new)
        return [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in new]


def to(address: str, mails: list[EmailMessage]) -> EmailMessage:
    """The last mail to that address (a task and a solution in one mail may each have sent one)."""
    return [m for m in mails if address in str(m["To"])][-1]


def three_mails(folder: Path) -> dict[str, EmailMessage]:
    story = Story(folder)
    try:
        story.person(CAMILLE, "Camille Tech", True)
        story.person(SAMI, "Sami Tech", True)
        first = story.send(LOIC, "Ordinateur très lent",
                           "Bonjour,\nL'ordinateur 203-02 est très lent depuis lundi : il met dix minutes à démarrer"
                           " et les logiciels se figent.\nLoïc")
        story.send(CAMILLE, SUBJECT, "#take\nJe m'en occupe ce matin.")
        story.send(CAMILLE, SUBJECT, "#task done 0h15 Test d'un redémarrage en mode sans échec")
        solved = story.send(CAMILLE, SUBJECT, "#task done 0h30 Remplacement de la barrette mémoire\n#solve\n"
                                              "La barrette mémoire a été remplacée ; le poste démarre en 40 secondes.")
        return {"acknowledgement": to("loic.medori", first), "technician": to(CAMILLE, first),
                "solution": to("loic.medori", solved)}
    finally:
        story.app.close()


def capture(chromium: str, html: Path, png: Path, width: int, height: int) -> None:
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--force-device-scale-factor=1", f"--window-size={width},{height}",
                    f"--screenshot={png.resolve()}", html.resolve().as_uri()],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), metavar="DIR")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium", metavar="PATH")
    parser.add_argument("--keep-html", action="store_true", help="also write NAME.html beside the images")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"screenshot-mails: no Chromium at {args.chromium} (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mailbot-screens-") as tmp:
        for name, mail in three_mails(Path(tmp)).items():
            part = mail.get_body(("html",))
            assert part is not None, f"{name}: no HTML part"
            html = (args.out if args.keep_html else Path(tmp)) / f"{name}.html"
            html.write_text(part.get_content(), encoding="utf-8")
            for size, width in SIZES:
                png = args.out / f"{name}-{size}.png"
                capture(args.chromium, html, png, width, HEIGHTS[(name, size)])
                print(f"{png}  {mail['Subject']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
