"""The first ticket's story on the production stack: an IMAP mailbox (Dovecot), PostgreSQL,
a broker (Redis, then RabbitMQ) with a separate `mailbot worker` process, and an SMTP server
receiving the notifications."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mails import a_mail

pytestmark = pytest.mark.integration

MAILBOT = str(Path(sys.executable).with_name("mailbot"))
LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"
HELPDESK = "helpdesk@lycee.example"


@pytest.fixture(params=["redis_url", "rabbitmq_url"], ids=["redis", "rabbitmq"])
def broker_url(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def production(tmp_path, imap_mailbox, postgres_url, broker_url, smtp_sink):
    env = {**os.environ, "MAILBOT_DATABASE_URL": postgres_url, "MAILBOT_BROKER_URL": broker_url,
           "MAILBOT_IMAP_URL": imap_mailbox.imap_url, "MAILBOT_SMTP_URL": smtp_sink.smtp_url,
           "MAILBOT_HELPDESK_ADDRESS": "helpdesk@lycee.example"}

    def mailbot(*args):
        done = subprocess.run([MAILBOT, *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    mailbot("db", "upgrade")
    worker = subprocess.Popen([MAILBOT, "worker", "--threads", "2"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield mailbot
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def test_a_mail_in_the_mailbox_becomes_a_ticket_and_its_reply_a_followup(production, imap_mailbox, smtp_sink):
    production("users", "add", TECH, "--name", "Camille Tech", "--technician")
    imap_mailbox.append(a_mail("Ordinateur très lent", sender=f"Loïc Medori <{LOIC}>", to=HELPDESK,
                                body="Le poste 203-02 rame."))

    production("poll", "--once")

    received = smtp_sink.wait_for(2, timeout=30)
    by_recipient = {item.rcpt_tos[0]: item.message for item in received}
    assert sorted(by_recipient) == sorted([LOIC, TECH])
    ack = by_recipient[LOIC]
    assert ack["Subject"] == "[Ticket #1] Ordinateur très lent"
    assert ack["Auto-Submitted"] == "auto-replied"  # an acknowledgement answers a mail (RFC 3834)
    ticket = json.loads(production("tickets", "show", "1", "--json"))
    assert (ticket["status"], ticket["requester"], ticket["title"]) == ("new", LOIC, "Ordinateur très lent")
    assert imap_mailbox.folder_uids("INBOX") == [] and len(imap_mailbox.folder_uids("Processed")) == 1

    imap_mailbox.append(a_mail("Re: ça avance ?", sender=LOIC, to=HELPDESK, body="Toujours lent ce matin.",
                               in_reply_to=ack["Message-ID"]))
    production("poll", "--once")

    received = smtp_sink.wait_for(3, timeout=30)
    assert received[-1].rcpt_tos == [TECH]
    assert "Toujours lent ce matin." in received[-1].message.get_body(("plain",)).get_content()
    ticket = json.loads(production("tickets", "show", "1", "--json"))
    assert [(f["author"], f["content"]) for f in ticket["followups"]] == [(LOIC, "Toujours lent ce matin.")]
    assert len(imap_mailbox.folder_uids("Processed")) == 2
