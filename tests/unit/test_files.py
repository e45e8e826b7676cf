"""`mailbot ingest` sources: files, directories, Maildirs and stdin, each mail once, in order."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from mailbot.inbound.files import iter_sources


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_files_are_read_in_the_order_given(tmp_path):
    second = write(tmp_path / "b.eml", b"Subject: b\n\nB\n")
    first = write(tmp_path / "a.eml", b"Subject: a\n\nA\n")

    sources = list(iter_sources([str(second), str(first)]))

    assert sources == [(str(second), b"Subject: b\n\nB\n"), (str(first), b"Subject: a\n\nA\n")]


def test_a_directory_gives_its_mails_sorted_by_name_without_hidden_files(tmp_path):
    write(tmp_path / "mails" / "002.eml", b"two")
    write(tmp_path / "mails" / "001.eml", b"one")
    write(tmp_path / "mails" / ".DS_Store", b"junk")
    write(tmp_path / "mails" / "sub" / "003.eml", b"nested")

    contents = [raw for _name, raw in iter_sources([str(tmp_path / "mails")])]

    assert contents == [b"one", b"two"]


def test_a_maildir_gives_new_and_cur_mails_in_delivery_order(tmp_path):
    maildir = tmp_path / "Maildir"
    write(maildir / "cur" / "1700000002.M2.host:2,S", b"second")
    write(maildir / "new" / "1700000003.M3.host", b"third")
    write(maildir / "new" / "1700000001.M1.host", b"first")
    (maildir / "tmp").mkdir()
    write(maildir / "tmp" / "1700000004.M4.host", b"still being written")

    contents = [raw for _name, raw in iter_sources([str(maildir)])]

    assert contents == [b"first", b"second", b"third"]


def test_dash_reads_one_mail_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Subject: piped\r\n\r\nbody\r\n")))

    assert list(iter_sources(["-"])) == [("<stdin>", b"Subject: piped\r\n\r\nbody\r\n")]


def test_a_missing_path_is_reported_before_any_mail_is_read(tmp_path):
    present = write(tmp_path / "a.eml", b"a")

    with pytest.raises(FileNotFoundError, match="nope.eml"):
        iter_sources([str(present), str(tmp_path / "nope.eml")])
