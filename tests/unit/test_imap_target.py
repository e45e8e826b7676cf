"""How mailbot reaches a mailbox: certificate checking, and the XOAUTH2 token command."""

import ssl

import pytest

from mailbot.inbound.imap_target import ImapLoginError, ImapTarget


def test_certificates_are_checked_unless_turned_off():
    checked = ImapTarget.from_url("imaps://bot:pw@mail.example.org").ssl_context()
    unchecked = ImapTarget.from_url("imaps://bot:pw@mail.example.org", tls_verify=False).ssl_context()
    assert (checked.verify_mode, checked.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert (unchecked.verify_mode, unchecked.check_hostname) == (ssl.CERT_NONE, False)


def test_the_access_token_is_what_the_command_prints():
    target = ImapTarget.from_url("imaps://bot%40lycee.example@outlook.office365.com",
                                 oauth2_command="printf 'eyJ0eXAi.token\\n'")
    assert target.access_token() == "eyJ0eXAi.token"
    assert "token" not in repr(target) and target.user == "bot@lycee.example"


@pytest.mark.parametrize(("command", "says"), [
    ("echo 'refresh token expired' >&2; exit 3", "refresh token expired"),
    ("true", "no token printed"),
])
def test_a_failing_token_command_says_why_in_one_line(command, says):
    target = ImapTarget.from_url("imaps://bot@imap.gmail.com", oauth2_command=command)
    with pytest.raises(ImapLoginError) as caught:
        target.access_token()
    assert says in str(caught.value) and "MAILBOT_IMAP_OAUTH2_COMMAND" in str(caught.value)
