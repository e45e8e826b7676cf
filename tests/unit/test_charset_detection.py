"""Bytes in a non-Latin charset, undeclared or wrongly declared, come out as the text that was
written; French cp1252/Latin-1 text stays French (docs/BEHAVIOUR.md, "Charsets")."""

import pytest

from mailbot.parsers import charset
from mailbot.parsers.charset import decode_bytes, decode_header

FRENCH = "Merci, l'imprimante de la salle 203 est réparée. Cordialement, Loïc"
JAPANESE_SUBJECT = "プリンターの故障について"  # 12 characters
JAPANESE = "三階のプリンターが動きません。至急確認してください。"
CHINESE_SUBJECT = "打印机坏了请修理"
CHINESE = "三楼的打印机坏了，请尽快修理。谢谢！"
RUSSIAN_SUBJECT = "Не работает принтер"
RUSSIAN = "Здравствуйте, принтер в кабинете 12 не печатает с утра. Спасибо, Ольга"

# (text, the codec it was written in, the label the mail put on it)
CASES = [
    (FRENCH, "cp1252", None),
    (FRENCH, "cp1252", "us-ascii"),
    (FRENCH, "latin-1", None),
    ("Problème d'impression", "cp1252", None),
    ("Écran noir — salle 203", "cp1252", None),
    ("Ça ne marche pas", "latin-1", "unknown-8bit"),
    ("“Merci” pour le café à 2 €", "cp1252", None),
    (JAPANESE_SUBJECT, "shift_jis", None),
    (JAPANESE, "shift_jis", None),
    (JAPANESE, "shift_jis", "iso-2022-jp"),
    (JAPANESE_SUBJECT, "shift_jis", "iso-2022-jp"),
    (CHINESE_SUBJECT, "gb2312", None),
    (CHINESE, "gb2312", None),
    (CHINESE, "gbk", "us-ascii"),
    (RUSSIAN_SUBJECT, "koi8-r", None),
    (RUSSIAN, "koi8-r", None),
    (RUSSIAN, "koi8-r", "iso-8859-1"),
    (RUSSIAN_SUBJECT, "koi8-r", "iso-8859-1"),
    (RUSSIAN_SUBJECT, "cp1251", None),
    (RUSSIAN, "cp1251", None),
    (RUSSIAN, "cp1251", "iso-8859-1"),
    (RUSSIAN, "cp1251", "us-ascii"),
]


@pytest.mark.parametrize("text, codec, label", CASES, ids=lambda v: str(v)[:12])
def test_undeclared_and_mislabelled_bytes_read_as_written(text, codec, label):
    assert decode_bytes(text.encode(codec), label) == text


@pytest.mark.parametrize("text, codec", [(JAPANESE_SUBJECT, "shift_jis"), (CHINESE_SUBJECT, "gb2312"),
                                         (RUSSIAN_SUBJECT, "koi8-r"), (RUSSIAN_SUBJECT, "cp1251"),
                                         ("Imprimante réparée", "cp1252")])
def test_raw_8bit_subject_reads_as_written(text, codec):
    raw = text.encode(codec).decode("ascii", "surrogateescape")  # as compat32 keeps it
    assert decode_header(raw) == text


def test_encoded_word_labelled_iso_2022_jp_over_shift_jis_bytes():
    import base64

    word = "=?ISO-2022-JP?B?" + base64.b64encode(JAPANESE_SUBJECT.encode("shift_jis")).decode() + "?="
    assert decode_header(word) == JAPANESE_SUBJECT


def test_real_iso_2022_jp_still_reads():
    assert decode_bytes(JAPANESE.encode("iso-2022-jp"), "ISO-2022-JP") == JAPANESE


def test_a_declared_non_western_charset_is_believed():
    """A Cyrillic name ending in a Latin letter is odd, but windows-1251 was chosen on purpose."""
    assert decode_bytes("Атиковa".encode("cp1251"), "windows-1251") == "Атиковa"


def test_utf8_labelled_latin1_reads_as_utf8():
    assert decode_bytes("DISCOVER® Æ".encode(), "iso-8859-1") == "DISCOVER® Æ"


def test_french_wins_over_the_detectors_first_guess():
    """charset-normalizer alone calls this short French text cp1250 (è read as č)."""
    assert decode_bytes("Problème".encode("cp1252")) == "Problème"


def test_the_detector_never_runs_on_ascii_or_utf8(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("detector called")

    monkeypatch.setattr(charset, "from_bytes", forbidden)
    assert decode_bytes(b"plain ASCII", None) == "plain ASCII"
    assert decode_bytes(JAPANESE.encode(), None) == JAPANESE
    assert decode_bytes(FRENCH.encode("cp1252"), "windows-1252") == FRENCH


def test_a_big_body_is_read_whole_after_detection_on_its_start():
    body = (RUSSIAN + "\n") * 5000  # ~360 kB in KOI8-R, past the detected prefix
    assert decode_bytes(body.encode("koi8-r"), None) == body


@pytest.mark.parametrize(
    "text, odd",
    [
        ("Problème d'impression", False),
        ("Ïðèâåò", True),  # cp1251 read as cp1252
        ("rйparйe", True),  # French read as cp1251
        ("рТЙЧЕФ", True),  # KOI8-R read as cp1251
        ("ﾒﾁﾂﾏﾔﾁﾅﾔ", True),  # KOI8-R read as Shift_JIS
        ("Привет", False),
        (JAPANESE, False),
        (CHINESE, False),
    ],
)
def test_oddities_tell_mojibake_from_text(text, odd):
    assert (charset.oddities(text) > 0) == odd
