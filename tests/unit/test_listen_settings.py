"""MAILBOT_LISTEN's forms (SMTP or LMTP, TCP or unix socket) and the listener's STARTTLS
certificate: what each value means, and one line naming the setting for a bad one."""

import os
import subprocess

import pytest

from mailbot.config import load_settings
from mailbot.errors import ConfigError
from mailbot.inbound.listen_target import ListenTarget
from tests.certs import self_signed


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in [n for n in os.environ if n.startswith("MAILBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("value", "target"), [
    ("127.0.0.1:2525", ListenTarget("smtp", host="127.0.0.1", port=2525)),
    ("smtp://127.0.0.1:2525", ListenTarget("smtp", host="127.0.0.1", port=2525)),
    ("lmtp://127.0.0.1:2424", ListenTarget("lmtp", host="127.0.0.1", port=2424)),
    ("lmtp://[::1]:2424/", ListenTarget("lmtp", host="::1", port=2424)),
    ("lmtp:///run/mailbot/lmtp.sock", ListenTarget("lmtp", socket_path="/run/mailbot/lmtp.sock")),
    ("smtp:///run/mailbot/smtp.sock", ListenTarget("smtp", socket_path="/run/mailbot/smtp.sock")),
])
def test_each_form_of_mailbot_listen_names_a_protocol_and_an_address(monkeypatch, value, target):
    monkeypatch.setenv("MAILBOT_LISTEN", value)

    assert load_settings().listen_target == target


def test_without_imap_the_listener_takes_smtp_on_port_2525():
    assert load_settings().listen_target == ListenTarget("smtp", host="127.0.0.1", port=2525)


@pytest.mark.parametrize("value", [
    "http://127.0.0.1:2525",
    "127.0.0.1",
    "lmtp://127.0.0.1",
    "lmtp://127.0.0.1:70000",
    "lmtp://127.0.0.1:2424/inbox",
    "lmtp://run/mailbot/lmtp.sock",
    "lmtp:///run/mailbot/",
    "lmtp:run/mailbot/lmtp.sock",
    "lmtp:///" + "x" * 120,
])
def test_a_bad_mailbot_listen_is_one_line_naming_it(monkeypatch, value):
    monkeypatch.setenv("MAILBOT_LISTEN", value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value).startswith("MAILBOT_LISTEN: ") and "\n" not in str(caught.value)


def test_a_certificate_and_its_key_give_the_listener_starttls(monkeypatch, tmp_path):
    pair = self_signed(tmp_path)
    monkeypatch.setenv("MAILBOT_LISTEN_TLS_CERT", str(pair.cert))
    monkeypatch.setenv("MAILBOT_LISTEN_TLS_KEY", str(pair.key))

    context = load_settings().listen_tls_context

    assert context is not None and context.get_ca_certs() == []  # clients are not asked for one
    assert load_settings(listen_tls_cert="", listen_tls_key="").listen_tls_context is None


def _mismatched(tmp_path):
    return self_signed(tmp_path, "one").cert, self_signed(tmp_path, "two").key


def _encrypted(tmp_path):
    pair = self_signed(tmp_path)
    encrypted = tmp_path / "encrypted.key"
    subprocess.run(["openssl", "pkey", "-in", str(pair.key), "-aes256", "-passout", "pass:secret",
                    "-out", str(encrypted)], check=True, capture_output=True)
    return pair.cert, encrypted


@pytest.mark.parametrize(("files", "message"), [
    (lambda tmp: (self_signed(tmp).cert, ""), "MAILBOT_LISTEN_TLS_KEY: not set, but MAILBOT_LISTEN_TLS_CERT is"),
    (lambda tmp: ("", self_signed(tmp).key), "MAILBOT_LISTEN_TLS_KEY: set without MAILBOT_LISTEN_TLS_CERT"),
    (lambda tmp: (tmp / "missing.crt", self_signed(tmp).key), "cannot read '"),
    (lambda tmp: (self_signed(tmp).key, self_signed(tmp).key), "holds no PEM certificate"),
    (lambda tmp: (self_signed(tmp).cert, self_signed(tmp).cert), "holds no PEM private key"),
    (_mismatched, "KEY_VALUES_MISMATCH"),
    (_encrypted, "protected by a passphrase"),
])
def test_a_certificate_that_cannot_be_used_is_one_line_naming_the_setting(monkeypatch, tmp_path, files, message):
    cert, key = files(tmp_path)
    monkeypatch.setenv("MAILBOT_LISTEN_TLS_CERT", str(cert))
    monkeypatch.setenv("MAILBOT_LISTEN_TLS_KEY", str(key))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value).startswith("MAILBOT_LISTEN_TLS_") and "\n" not in str(caught.value)
    assert message in str(caught.value)
