"""Building the plain mails tests send to the helpdesk, and the reasons why bytes are not a mail."""

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


# The reasons the parser may give for bytes that are not a mail (recorded as failed with
# "not a mail: <reason>"). Any other failure of a mail is a bug.
NOT_A_MAIL_REASONS = (
    "empty input",
    "no header block",
    "an Outlook .msg",
    "MIME structure nested too deeply",
)


def is_a_not_a_mail_reason(reason: str) -> bool:
    return reason.removeprefix("not a mail: ").startswith(NOT_A_MAIL_REASONS)
