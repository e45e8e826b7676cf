"""The `mailbot` console script's short way for `mailbot ingest -`: which arguments it takes, and
which mails it can hand to the listener byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.entry import is_pipe
from mailbot.handoff import on_the_wire, return_path
from mailbot.inbound.listen_target import LF_RECIPIENT


@pytest.mark.parametrize("args, pipe", [
    (["ingest", "-"], True),
    (["ingest"], True),  # no FILE: stdin, as the full command reads it
    (["ingest", "-", "-"], False),
    (["ingest", "mail.eml"], False),
    (["ingest", "--jobs", "1", "-"], False),
    (["ingest", "-", "--jobs", "2"], False),
    (["ingest", "--help"], False),
    (["ingest", "--", "-"], False),
    (["--version"], False),
    (["poll", "--once"], False),
    ([], False),
    (["Ingest", "-"], False),
])
def test_only_the_argument_lists_that_read_one_mail_from_stdin_take_the_short_way(args, pipe):
    assert is_pipe(args) is pipe


HEAD = b"Return-Path: <loic@lycee.example>\nFrom: loic@lycee.example\nSubject: Imprimante\n"


@pytest.mark.parametrize("raw, sender", [
    (HEAD + b"\nbody\n", "loic@lycee.example"),
    (b"From: x\r\nreturn-path :<>\r\n\r\nbody\r\n", ""),  # a bounce
    (b"From: x\nSubject: s\n\nReturn-Path: <in-the-body@x>\n", None),  # in the body: none
    (b"From: x\nSubject: s\n\nbody\n", None),
])
def test_the_return_path_is_read_from_the_header_block_only(raw, sender):
    assert return_path(raw) == sender


@pytest.mark.parametrize("raw, wire, recipient", [
    (HEAD + b"\n.\n..two dots\n", (HEAD + b"\n.\n..two dots\n").replace(b"\n", b"\r\n"), LF_RECIPIENT),
    (b"From: x\r\n\r\nbody\r\n", b"From: x\r\n\r\nbody\r\n", "ingest@localhost"),
    (b"From: x\r\n\r\nbody\n", b"", ""),  # LF and CRLF mixed
    (b"From: x\r\n\r\nbo\rdy\r\n", b"", ""),  # a lone CR
    (b"From: x\n\nbody", b"", ""),  # no line break at the end
    (b"From: x\n\n" + b"y" * 998 + b"\n", (b"From: x\n\n" + b"y" * 998 + b"\n").replace(b"\n", b"\r\n"), LF_RECIPIENT),
    (b"From: x\n\n" + b"y" * 999 + b"\n", b"", ""),  # longer than SMTP allows
])
def test_a_mail_goes_to_the_listener_only_in_a_form_it_gets_back_exactly(raw, wire, recipient):
    assert on_the_wire(raw) == (wire, recipient)


def test_the_short_way_imports_neither_typer_nor_sqlalchemy_nor_pydantic():
    code = ("import sys, mailbot.entry, mailbot.handoff, mailbot.pipe_settings, mailbot.logs; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'sqlalchemy', 'pydantic', 'click'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_invalid_mailbot_listen_gets_the_full_command_s_one_line_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("mailbot_")}
    env["MAILBOT_LISTEN"] = "pop3://127.0.0.1:110"
    mailbot = str(Path(sys.executable).with_name("mailbot"))
    done = subprocess.run([mailbot, "ingest", "-"], input=HEAD + b"\nbody\n", env=env, cwd=tmp_path,
                          capture_output=True, check=False)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "mailbot: configuration error: MAILBOT_LISTEN: protocol must be smtp or lmtp, got 'pop3' "
        "(expected smtp://HOST:PORT, lmtp://HOST:PORT, lmtp:///SOCKET/PATH or HOST:PORT)"]
