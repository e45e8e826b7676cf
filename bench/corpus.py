"""A seeded, generated corpus that looks like a school helpdesk's mail: short French and
English requests, attachments, replies with quoted history and technicians' commands."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

DOMAIN = "school.example"
HELPDESK = "helpdesk@school.example"
TECHNICIANS = ("tech1@school.example", "tech2@school.example", "tech3@school.example")
START = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)

ROOMS = ("203", "B12", "CDI", "salle des profs", "labo de physique", "gym", "104", "A07")
REQUESTS = {
    "fr": [("Imprimante en panne en salle {room}", ("Bonjour,\n\nL'imprimante de la salle {room} affiche "
             "\"bourrage papier\" depuis ce matin alors qu'il n'y a plus de papier coincé.\n\nMerci,\n{name}")),
           ("Vidéoprojecteur {room}", ("Bonjour,\n\nLe vidéoprojecteur de la salle {room} ne détecte plus "
             "l'ordinateur. J'ai un cours à 10h.\n\nCordialement,\n{name}")),
           ("Mot de passe ENT oublié", ("Bonjour,\n\nJe n'arrive plus à me connecter à l'ENT, pouvez-vous "
             "réinitialiser mon mot de passe ?\n\n{name}")),
           ("Wifi très lent au {room}", ("Bonjour,\n\nLe wifi est inutilisable au {room} depuis lundi, les "
             "élèves n'arrivent pas à charger Pronote.\n\nBonne journée,\n{name}")),
           ("Demande d'installation de GeoGebra", ("Bonjour,\n\nPourriez-vous installer GeoGebra sur les "
             "postes de la salle {room} avant la rentrée ?\n\nMerci d'avance,\n{name}"))],
    "en": [("Printer jammed in room {room}", ("Hello,\n\nThe printer in room {room} says paper jam but "
             "there is no paper stuck anywhere.\n\nThanks,\n{name}")),
           ("Projector not working in {room}", ("Hi,\n\nThe projector in {room} does not see my laptop "
             "any more. I teach there at 10.\n\nBest,\n{name}")),
           ("Cannot log in to the school portal", ("Hello,\n\nMy account on the portal is locked, could "
             "you reset my password?\n\n{name}")),
           ("Please install Scratch in room {room}", ("Hi,\n\nCould you install Scratch 3 on the "
             "computers of room {room} before next week?\n\nThank you,\n{name}"))],
}
REPLIES = {"fr": ["Toujours en panne ce matin, malgré le redémarrage.", "Merci, c'est réparé !",
                  "Je serai en salle {room} de 14h à 16h si vous voulez passer.",
                  "Voici une photo de l'écran d'erreur."],
           "en": ["Still broken this morning, even after a restart.", "Thanks, it works now!",
                  "I will be in room {room} from 2 to 4 pm if you want to drop by.",
                  "Here is a picture of the error screen."]}
TECH_COMMANDS = [["#task 0h15 Redémarré le serveur d'impression", "Ça devrait remarcher."],
                 ["#take", "#task 0h30 Câble HDMI remplacé"],
                 ["#hold en attente de la pièce", ""],
                 ["#task 1h Réinstallation du poste", "#solve Poste réinstallé, tout fonctionne."],
                 ["#solve Mot de passe réinitialisé, voir la procédure jointe.", ""],
                 ["#task 0h15 Checked the access point", "Looks fine from here, can you try again?"]]
FIRST = ("Claire", "Julien", "Amina", "Thomas", "Sophie", "Karim", "Emma", "Lucas", "Inès", "Paul",
         "Sarah", "Hugo", "Léa", "Nathan", "Chloé", "Mehdi")
LAST = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Garcia",
        "Roux", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine")
ATTACHMENT_TYPES = (("application", "pdf", "pdf"), ("image", "png", "png"), ("image", "jpeg", "jpg"))


@dataclass(frozen=True)
class Mail:
    name: str
    kind: str  # new, reply, technician
    message_id: str
    sender: str
    raw: bytes


@dataclass
class _Thread:
    message_id: str
    subject: str
    sender: str
    name: str
    language: str
    body: str
    solved: bool = False


def requester(index: int) -> tuple[str, str]:
    name = f"{FIRST[index % len(FIRST)]} {LAST[(index // len(FIRST)) % len(LAST)]}"
    return f"{name}", f"user{index:04d}@{DOMAIN}"


def _quoted(thread: _Thread, when: datetime, style: str) -> str:
    stamp = format_datetime(when)
    if style == "outlook" and thread.language == "fr":
        return (f"\n\n________________________________\nDe : {thread.name} <{thread.sender}>\n"
                f"Envoyé : {stamp}\nÀ : {HELPDESK}\nObjet : {thread.subject}\n\n{thread.body}\n")
    if style == "outlook":
        return (f"\n\n-----Original Message-----\nFrom: {thread.name} <{thread.sender}>\nSent: {stamp}\n"
                f"To: {HELPDESK}\nSubject: {thread.subject}\n\n{thread.body}\n")
    lead = (f"Le {stamp}, {thread.name} <{thread.sender}> a écrit :" if thread.language == "fr"
            else f"On {stamp}, {thread.name} <{thread.sender}> wrote:")
    return "\n\n" + lead + "\n" + "\n".join("> " + line for line in thread.body.splitlines()) + "\n"


def build(sender: tuple[str, str], subject: str, body: str, message_id: str, when: datetime, *,
          in_reply_to: str = "", attachment: bytes = b"", attachment_type: tuple[str, str, str] | None = None,
          filename: str = "") -> bytes:
    """One mail as a mail client would send it to the helpdesk."""
    msg = EmailMessage()
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = HELPDESK
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    if attachment:
        main, sub, ext = attachment_type or ATTACHMENT_TYPES[0]
        msg.add_attachment(attachment, maintype=main, subtype=sub, filename=filename or f"piece.{ext}")
        # the stdlib draws MIME boundaries at random; the corpus must be the same on every run
        msg.set_boundary("=_" + hashlib.sha1(message_id.encode()).hexdigest())
    return bytes(msg)


def generate(count: int, seed: int = 6, *, requesters: int = 400, tag: str = "bench",
             text_only: bool = False) -> list[Mail]:
    """`count` mails in arrival order: about a third replies to earlier ones (some from
    technicians with commands), a fifth with an attachment of 100 KB to 2 MB (none with
    `text_only`: the same mails otherwise, since the random draws stay the same)."""
    rng = random.Random(seed)
    threads: list[_Thread] = []
    mails: list[Mail] = []
    for i in range(count):
        when = START + timedelta(seconds=37 * i)
        message_id = f"<{tag}-{seed}-{i}@{DOMAIN}>"
        kind = "new" if not threads or rng.random() < 0.66 else "reply"
        if kind == "reply" and rng.random() < 0.4:
            kind = "technician"
        attachment, att_type = b"", None
        if rng.random() < 0.2:
            attachment = rng.randbytes(rng.randint(100_000, 2_000_000))
            att_type = rng.choice(ATTACHMENT_TYPES)
            if text_only:
                attachment, att_type = b"", None
        room = rng.choice(ROOMS)
        if kind == "new":
            language = "fr" if rng.random() < 0.6 else "en"
            name, address = requester(rng.randrange(requesters))
            title, body = rng.choice(REQUESTS[language])
            subject, text = title.format(room=room), body.format(room=room, name=name)
            raw = build((name, address), subject, text, message_id, when,
                        attachment=attachment, attachment_type=att_type)
            threads.append(_Thread(message_id, subject, address, name, language, text))
            mails.append(Mail(f"{i:05d}-new.eml", kind, message_id, address, raw))
            continue
        thread = rng.choice(threads[-300:])
        prefix = "RE: " if rng.random() < 0.5 else ("Re: " if thread.language == "en" else "RE : ")
        style = rng.choice(("outlook", "gmail"))
        if kind == "technician" and not thread.solved:
            sender = ("Technicien", rng.choice(TECHNICIANS))
            lines = rng.choice(TECH_COMMANDS)
            thread.solved = any(line.startswith("#solve") for line in lines)
            text = "\n".join(lines).strip()
        else:
            kind = "reply"
            sender = (thread.name, thread.sender)
            text = rng.choice(REPLIES[thread.language]).format(room=room)
        body = text + _quoted(thread, when - timedelta(hours=1), style)
        raw = build(sender, prefix + thread.subject, body, message_id, when, in_reply_to=thread.message_id,
                    attachment=attachment, attachment_type=att_type)
        mails.append(Mail(f"{i:05d}-{kind}.eml", kind, message_id, sender[1], raw))
    return mails


def big_attachment_mail(size: int = 14 * 1024 * 1024, seed: int = 14) -> bytes:
    """A new request carrying one attachment of `size` bytes (incompressible)."""
    rng = random.Random(seed)
    return build(("Claire Martin", f"user0000@{DOMAIN}"), "Scan du registre d'appel",
                 "Bonjour,\n\nVoici le scan demandé.\n\nClaire", f"<big-{seed}@{DOMAIN}>", START,
                 attachment=rng.randbytes(size), attachment_type=ATTACHMENT_TYPES[0], filename="registre.pdf")


def big_text_mail(size: int = 30 * 1024 * 1024, seed: int = 30) -> bytes:
    """A new request whose plain-text body is one line of `size` bytes (a log pasted whole)."""
    rng = random.Random(seed)
    words = ("le", "serveur", "ne", "répond", "plus", "depuis", "ce", "matin", "erreur", "délai", "dépassé",
             "connexion", "refusée")
    line = " ".join(rng.choice(words) for _ in range(size // 6)).encode()[:size].decode(errors="ignore")
    head = (f"From: Claire Martin <user0000@{DOMAIN}>\nTo: {HELPDESK}\nSubject: Journal du serveur\n"
            f"Message-ID: <bigtext-{seed}@{DOMAIN}>\nDate: {format_datetime(START)}\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
    return head.encode() + line.encode() + b"\n"


def write(mails: list[Mail], folder) -> list:  # type: ignore[no-untyped-def]
    """Write the mails as .eml files named in arrival order; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for mail in mails:
        path = folder / mail.name
        path.write_bytes(mail.raw)
        paths.append(path)
    return paths
