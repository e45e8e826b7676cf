"""Who may write (SPEC §3.6, §4): unknown-sender policy, allowed domains, participants only,
and technician commands only when the trusted server vouches for the mail."""

from tests.scenario.helpdesk import Helpdesk

LOIC = "loic.medori@lycee.example"
TECH = "camille.tech@lycee.example"


def desk_with(tmp_path, **settings):
    return Helpdesk(tmp_path, **settings)


def test_reject_policy_sends_a_polite_refusal_and_opens_nothing(tmp_path):
    desk = desk_with(tmp_path, unknown_senders="reject")
    try:
        result = desk.send("inconnu@ailleurs.example", "Bonjour", "Pouvez-vous m'aider ?")
        assert (result.outcome, result.ticket_id) == ("refused", None)
        (notice,) = desk.new_mails()
        assert notice.to == "inconnu@ailleurs.example" and "Bonjour" in notice.text
        assert desk.cli_json("tickets", "list") == []
    finally:
        desk.close()


def test_ignore_policy_answers_nothing(tmp_path):
    desk = desk_with(tmp_path, unknown_senders="ignore")
    try:
        assert desk.send("inconnu@ailleurs.example", "Bonjour", "Aide").outcome == "ignored"
        assert desk.new_mails() == [] and desk.cli_json("tickets", "list") == []
    finally:
        desk.close()


def test_only_allowed_domains_may_open_tickets(tmp_path):
    desk = desk_with(tmp_path, allowed_domains="lycee.example")
    try:
        assert desk.send(LOIC, "Imprimante", "En panne").outcome == "ticket"
        refused = desk.send("pirate@ailleurs.example", "Imprimante", "En panne")
        assert refused.outcome == "refused" and "ailleurs.example" in refused.reason
        assert len(desk.cli_json("tickets", "list")) == 1
    finally:
        desk.close()


def test_a_strangers_reply_is_refused_with_a_notice_and_kept_only_as_a_private_note(helpdesk):
    helpdesk.send(LOIC, "Imprimante", "En panne")
    ack = next(m for m in helpdesk.new_mails() if m.to == LOIC)
    before = helpdesk.show(1)
    result = helpdesk.send("voisin@lycee.example", "Re: " + ack.subject, "Moi aussi !", in_reply_to=ack.message_id)
    assert result.outcome == "refused"
    after = helpdesk.show(1)
    assert after["status"] == before["status"]
    assert [(f["private"], "Moi aussi !" in f["content"]) for f in after["followups"]] == [(True, True)]
    (notice,) = helpdesk.new_mails()  # no technician yet: nobody else to tell
    assert notice.to == "voisin@lycee.example"


def solve_as_tech(tmp_path, auth_results):
    desk = desk_with(tmp_path, trusted_authserv_id="mx.lycee.example")
    desk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician")
    desk.send(LOIC, "Imprimante", "En panne")
    desk.new_mails()
    headers = {"Authentication-Results": auth_results} if auth_results else {}
    desk.send(TECH, "Re: [Ticket #1] Imprimante", "#solve Toner remplacé", headers=headers)
    return desk


def test_a_forged_technician_mail_from_another_server_runs_no_command(tmp_path):
    desk = solve_as_tech(tmp_path, "mx.pirate.example; dkim=pass header.d=lycee.example")
    try:
        assert desk.show(1)["status"] == "new"
        told = [m for m in desk.new_mails() if m.to == TECH]
        assert told and "mx.lycee.example" in told[0].text
    finally:
        desk.close()


def test_a_technician_mail_failing_dkim_runs_no_command(tmp_path):
    desk = solve_as_tech(tmp_path, "mx.lycee.example; dkim=fail header.d=lycee.example")
    try:
        assert desk.show(1)["status"] == "new"
        assert any(m.to == TECH for m in desk.new_mails())
    finally:
        desk.close()


def test_a_technician_mail_vouched_by_the_trusted_server_is_applied(tmp_path):
    desk = solve_as_tech(tmp_path, "mx.lycee.example; dkim=pass header.d=lycee.example")
    try:
        assert desk.show(1)["status"] == "solved"
    finally:
        desk.close()
