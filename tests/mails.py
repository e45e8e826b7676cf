"""Building the plain mails tests send to the helpdesk."""

from email.message import EmailMessage
from email.utils import make_msgid


def a_mail(subject: str, *, sender: str = "prof@lycee.example", to: str = "helpdesk@localhost",
           body: str = "Ça ne marche pas.", in_reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = make_msgid(domain="client.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()
