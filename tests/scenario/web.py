"""The web desk driven like a browser would (Starlette's TestClient), over a Helpdesk: sign in
through the link read from the outbox, then open pages."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from mailbot.web.base import Desk
from mailbot.web.limits import SignInLimits
from mailbot.web.server import build_app
from tests.scenario.helpdesk import Helpdesk

LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")
TECH, TECH2, PROF, OTHER = ("camille.tech@lycee.example", "sami.tech@lycee.example", "loic.prof@lycee.example",
                            "ines.prof@lycee.example")


def client(helpdesk: Helpdesk, *, base_url: str = "http://desk.lycee.example",
           limits: SignInLimits | None = None) -> TestClient:
    desk = Desk(helpdesk.app, strict_templates=True, limits=limits)
    return TestClient(build_app(helpdesk.app, desk=desk), base_url=base_url, follow_redirects=False)


def sign_in_link(helpdesk: Helpdesk, browser: TestClient, address: str) -> str:
    """Asks for a link on the form and reads it from the mail that left."""
    answer = browser.post("/signin", data={"email": address})
    assert answer.status_code == 200
    mails = [m for m in delivered(helpdesk) if m.to == address and LINK.search(m.text)]
    assert len(mails) == 1, [m.subject for m in mails]
    found = LINK.search(mails[0].text)
    assert found, mails[0].text
    return urlsplit(found.group(0)).path  # the test client's host stands for MAILBOT_WEB_URL


def delivered(helpdesk: Helpdesk) -> list:  # type: ignore[type-arg]
    """The mails sent since the last look, once the in-process worker has sent what was queued."""
    helpdesk.app.wait_for_delivery()
    return helpdesk.new_mails()


def signed_in(helpdesk: Helpdesk, address: str, **options: object) -> TestClient:
    browser = client(helpdesk, **options)  # type: ignore[arg-type]
    link = sign_in_link(helpdesk, browser, address)
    assert browser.post(link).status_code == 303
    return browser


def send_with_attachment(helpdesk: Helpdesk, sender: str, subject: str, body: str, filename: str,
                         data: bytes, mime: str = "application/pdf") -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, helpdesk.settings.helpdesk_address, subject
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content(body)
    maintype, subtype = mime.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    helpdesk.app.process(msg.as_bytes(), "direct")
    helpdesk.app.wait_for_delivery()


def text_of(html: str) -> str:
    """The page as a reader sees it: tags out, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&").strip()


def seed_school(helpdesk: Helpdesk) -> None:
    """Two technicians of the Réseau group, two teachers, four tickets (of the Réseau group when
    the helpdesk's MAILBOT_DEFAULT_GROUP says so):
    #1 Loïc's printer, taken by Camille, with a private note, a planned task and a PDF;
    #2 Inès's projector, new; #3 Loïc's Wi-Fi, solved by Sami; #4 Inès's keyboard, planned by Sami."""
    helpdesk.cli("users", "add", TECH, "--technician", "--group", "Réseau", "--name", "Camille Tech")
    helpdesk.cli("users", "add", TECH2, "--technician", "--group", "Réseau", "--name", "Sami Tech")
    helpdesk.cli("users", "add", PROF, "--name", "Loïc Médori")
    helpdesk.cli("users", "add", OTHER, "--name", "Inès Prof", "--language", "en")
    send_with_attachment(helpdesk, PROF, "Imprimante en panne", "Elle affiche une erreur.", "relevé d'erreur.pdf",
                         b"%PDF-1.4 erreur 0x42")
    helpdesk.clock.advance(minutes=5)
    helpdesk.send(OTHER, "Projector broken", "The projector in room 12 does not start.")
    helpdesk.clock.advance(minutes=5)
    helpdesk.send(PROF, "Wifi lent", "Le wifi est lent en salle 203.")
    helpdesk.clock.advance(minutes=5)
    helpdesk.send(TECH, "Re: [Ticket #1] Imprimante en panne",
                  "#take\n#task todo 1h30 @ 01/12/2026 14h00 Changer le toner")
    helpdesk.clock.advance(minutes=2)
    helpdesk.send(TECH, "Re: [Ticket #1] Imprimante en panne", "#private\nLe fournisseur facture trop cher.")
    helpdesk.clock.advance(minutes=2)
    helpdesk.send(TECH2, "Re: [Ticket #3] Wifi lent", "#task 0h20 Borne redémarrée\n#solve Borne redémarrée.")
    helpdesk.send(OTHER, "Keyboard", "Some keys do not work.")
    helpdesk.send(TECH2, "Re: [Ticket #4] Keyboard", "#task todo 0h30 @ 02/12/2026 10h00 Check the cable")
    helpdesk.clock.advance(minutes=5)
    helpdesk.new_mails()


HOSTILE_TITLE = 'Pronote <script>alert("titre")</script>'
HOSTILE_TEXT = 'Mot de passe Pronote oublié <img src=x onerror=alert("texte")> : le réinitialiser depuis l\'ENT.'


def _article(helpdesk: Helpdesk, subject: str, solution: str, category: str) -> None:
    """Loïc asks, Camille solves with `#kb CATEGORY`: a draft article titled like the ticket."""
    helpdesk.send(PROF, subject, "Bonjour, pouvez-vous regarder ?")
    ticket_id = max(t["id"] for t in helpdesk.cli_json("tickets", "list"))
    helpdesk.send(TECH, f"Re: [Ticket #{ticket_id}] {subject}", f"#solve\n#kb {category}\n{solution}")
    helpdesk.clock.advance(minutes=1)


def seed_articles(helpdesk: Helpdesk) -> None:
    """After seed_school, three articles saved by Camille from solved tickets (#5–#7):
    #1 published (paper jam), #2 a draft (printer offline), #3 published, with HTML in its
    title and text (HOSTILE_TITLE, HOSTILE_TEXT)."""
    _article(helpdesk, "Imprimante bloquée", "En cas de bourrage papier, ouvrir le capot arrière et retirer "
             "la feuille coincée.", "Imprimantes")
    _article(helpdesk, "Imprimante hors ligne", "Redémarrer l'imprimante, puis vérifier son câble réseau.",
             "Imprimantes")
    _article(helpdesk, HOSTILE_TITLE, HOSTILE_TEXT, "Pronote")
    helpdesk.send(TECH, "Publication", "#kb publish 1\n#kb publish 3")
    helpdesk.new_mails()
