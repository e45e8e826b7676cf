"""The file name `mailbot documents get` writes: the sender's name, never a path out of the folder."""

import pytest

from mailbot.workflow.documents import safe_filename


@pytest.mark.parametrize(("name", "written"), [
    ("photo écran.png", "photo écran.png"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\écran.png", "écran.png"),
    ("/tmp/x.pdf", "x.pdf"),
    ("a\x00b\x1b[31m.pdf", "ab[31m.pdf"),
    ("..", "document-3"),
    ("dossier/", "document-3"),
    ("", "document-3"),
])
def test_only_the_last_part_of_the_name_is_written(name, written):
    assert safe_filename(name, "document-3") == written
