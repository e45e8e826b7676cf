"""Serving the web desk: `mailbot web` alone and `mailbot run` beside the mail, on
MAILBOT_WEB_LISTEN; bad settings and a port in use stop it with one line naming the setting."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

MAILBOT = str(Path(sys.executable).with_name("mailbot"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path, **values):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    return {**clean, "MAILBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'helpdesk.db'}",
            "MAILBOT_OUTBOX_DIR": str(tmp_path / "outbox"), **values}


def _mailbot(tmp_path, *args, **values):
    return subprocess.run([MAILBOT, *args], cwd=tmp_path, env=_env(tmp_path, **values), capture_output=True,
                          text=True, timeout=60)


def _get(url: str, timeout: float = 30) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("MAILBOT_WEB_LISTEN", "8025", "expected HOST:PORT, got '8025'"),
    ("MAILBOT_WEB_LISTEN", "127.0.0.1:99999", "expected HOST:PORT"),
    ("MAILBOT_WEB_URL", "desk.lycee.example", "expected an http:// or https:// URL"),
    ("MAILBOT_WEB_URL", "ftp://desk.lycee.example", "scheme must be one of http, https"),
])
def test_a_bad_web_setting_is_one_line_naming_it(tmp_path, variable, value, says):
    done = _mailbot(tmp_path, "web", **{variable: value})
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"mailbot: configuration error: {variable}: ") and says in line, line


def test_mailbot_web_with_the_desk_off_says_which_setting(tmp_path):
    done = _mailbot(tmp_path, "web", MAILBOT_WEB_LISTEN="")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "mailbot: configuration error: MAILBOT_WEB_LISTEN: empty (the web desk is off); set HOST:PORT to serve it"]


@pytest.mark.parametrize("command", ["web", "run"])
def test_a_port_in_use_is_one_line_naming_the_setting(tmp_path, command):
    port = _free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = _mailbot(tmp_path, command, MAILBOT_WEB_LISTEN=f"127.0.0.1:{port}",
                        MAILBOT_LISTEN=f"127.0.0.1:{_free_port()}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"mailbot: MAILBOT_WEB_LISTEN: cannot listen on 127.0.0.1:{port}: already in use by another program "
        "(choose another HOST:PORT, or set it empty to turn the web desk off)")


def test_mailbot_web_serves_the_sign_in_page_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    process = subprocess.Popen([MAILBOT, "web"], cwd=tmp_path, env=_env(tmp_path, MAILBOT_WEB_LISTEN=f"127.0.0.1:{port}"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        status, page = _get(f"http://127.0.0.1:{port}/signin")
        assert status == 200 and "Recevoir le lien" in page
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors


def test_mailbot_run_serves_the_desk_and_says_where(tmp_path):
    port = _free_port()
    env = _env(tmp_path, MAILBOT_WEB_LISTEN=f"127.0.0.1:{port}", MAILBOT_LISTEN=f"127.0.0.1:{_free_port()}",
               MAILBOT_WEB_URL="https://desk.lycee.example")
    process = subprocess.Popen([MAILBOT, "run"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines = []
    try:
        for line in process.stderr:
            lines.append(line)
            if "Ctrl-C stops it" in line:
                break
        status, page = _get(f"http://127.0.0.1:{port}/signin")
        assert status == 200 and "<form" in page
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert any(f"web desk: http://127.0.0.1:{port} (links in mails: https://desk.lycee.example)" in line
               for line in lines), lines
    assert process.returncode == 0


def test_listening_on_every_interface_without_a_public_address_is_warned(tmp_path):
    import logging

    from mailbot.app import App
    from mailbot.runner import banner
    from tests.conftest import clean_settings

    def lines(**web):
        app = App(clean_settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", **web))
        app.ensure_schema()
        try:
            return banner(app)
        finally:
            app.close()

    warned = [line for level, line in lines(web_listen="0.0.0.0:8025") if level == logging.WARNING]
    assert warned[0] == ("web desk: MAILBOT_WEB_URL is not set; sign-in links in mails will point to "
                         "http://0.0.0.0:8025, set it to the desk's public address")
    public = lines(web_listen="0.0.0.0:8025", web_url="https://desk.lycee.example")
    assert not any("MAILBOT_WEB_URL" in line for _level, line in public)
    assert (logging.INFO, "web desk: http://0.0.0.0:8025 (links in mails: https://desk.lycee.example)") in public
