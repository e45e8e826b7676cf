"""Random and mutated mails through the whole App.process path: never an unhandled error,
and every stored text is valid UTF-8 without NUL (SPEC §3.4, §8)."""

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.app import App
from mailbot.workflow.models import Followup, ProcessedMail, Ticket
from tests.conftest import EMAILS_DIR, clean_settings
from tests.corpus.glpi_desk import empty_database

SEEDS = sorted(p.read_bytes() for p in EMAILS_DIR.glob("*.eml"))
CHARSETS = ["utf-8", "koi8-r", "x-unknown", "text/html", "iso-2022-jp", "utf-7", "base64", "rot13", ""]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    schema = empty_database(tmp_path_factory.mktemp("schema"))
    shutil.copyfile(schema, tmp / "mailbot.db")
    app = App(clean_settings(database_url=f"sqlite:///{tmp / 'mailbot.db'}", outbox_dir=tmp / "outbox",
                       documents_dir=tmp / "documents", helpdesk_address="helpdesk@lycee.example"))
    yield app
    app.close()


@st.composite
def mutated(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "dup_header", "charset", "insert"]))
        if action == "flip" and raw:
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] = draw(st.integers(0, 255))
        elif action == "cut" and raw:
            raw = raw[: draw(st.integers(0, len(raw)))]
        elif action == "dup_header":
            end = raw.find(b"\n\n") if b"\n\n" in raw else raw.find(b"\r\n\r\n")
            lines = bytes(raw[: max(end, 0)]).splitlines(keepends=True)
            if lines:
                raw = bytearray(draw(st.sampled_from(lines))) + raw
        elif action == "charset":
            raw = raw.replace(b"charset=", b"charset=" + draw(st.sampled_from(CHARSETS)).encode() + b";x=", 1)
        else:
            i = draw(st.integers(0, len(raw)))
            raw[i:i] = draw(st.binary(max_size=40))
    return bytes(raw)


def assert_stored_texts_clean(app):
    with app.db.transaction() as session:
        texts = [t for row in session.query(ProcessedMail) for t in (row.subject, row.sender, row.reason)]
        texts += [t for row in session.query(Ticket) for t in (row.title, row.content)]
        texts += [row.content for row in session.query(Followup)]
    for text in texts:
        if text:
            text.encode("utf-8")
            assert "\x00" not in text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(raw=mutated())
def test_mutated_fixture_mails_never_raise_and_store_clean_text(app, raw):
    result = app.process(raw, "fuzz")
    assert result.outcome in ("ticket", "followup", "refused", "ignored", "failed", "duplicate")
    assert_stored_texts_clean(app)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=2000))
def test_random_bytes_never_raise(app, raw):
    result = app.process(raw, "random")
    assert result.outcome in ("ticket", "followup", "refused", "ignored", "failed", "duplicate")
