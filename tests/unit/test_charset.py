"""Every text comes out as valid UTF-8, whatever charset a mail declares."""

import pytest

from mailbot.parsers.charset import (
    decode_bytes,
    decode_header,
    one_line,
    resolve_charset,
)

CAFE_LATIN1 = "café à l'école".encode("latin-1")


@pytest.mark.parametrize("label", ["x-unknown", "text/html", "unknown-8bit", "", None, "base64", "rot13", "utf-99"])
def test_unusable_charsets_fall_back_to_utf8_then_cp1252(label):
    assert decode_bytes(CAFE_LATIN1, label) == "café à l'école"
    assert decode_bytes("café".encode(), label) == "café"


@pytest.mark.parametrize(
    "label, text",
    [
        ("iso-gb2312", "中文"),
        ("gb2312", "中文"),
        ("ks_c_5601-1987", "한국어"),
        ("iso-8859-8-i", "שלום"),
        ("koi8-r", "проверка"),
        ("windows-1251", "тест"),
        ("shift_jis", "まみむめも"),
        ("ISO-2022-JP", "まみむめも"),
    ],
)
def test_charset_aliases_of_real_mail_decode(label, text):
    codec = resolve_charset(label)
    assert codec is not None
    assert decode_bytes(text.encode(codec), label) == text


def test_latin1_label_reads_windows_quotes_and_euro():
    assert decode_bytes(b"\x93Merci\x94 \x80", "iso-8859-1") == "\u201cMerci\u201d €"


def test_bytes_invalid_in_the_declared_charset_do_not_raise():
    assert decode_bytes(b"caf\xe9", "utf-8") == "café"
    noise = decode_bytes(b"\x81\x8d\x8f", "utf-8")  # no charset reads these as words
    assert len(noise) == 3 and noise.isprintable()


def test_nul_and_lone_surrogates_never_reach_the_text():
    text = decode_bytes(b"a\x00b+2D3cAQ-", "utf-7")
    text.encode("utf-8")
    assert "\x00" not in text and text.startswith("ab")


@pytest.mark.parametrize(
    "raw, text",
    [
        ("=?UTF-8?Q?Probl=C3=A8me_d'impression?=", "Problème d'impression"),
        ("=?iso-8859-1?q?Ren=E9e?= =?iso-8859-1?q?Fa=E7on?=", "RenéeFaçon"),
        ("=?iso-8859-1?q?Ren=E9e?= Fa=?iso-8859-1?q?=E7on?=", "Renée Façon"),
        ("=?utf-8?B?w6k=?= =?utf-8?B?w6k=?=", "éé"),
        ("=?utf-8?B?4oKs?=\r\n =?utf-8?Q?_et_plus?=", "€ et plus"),
        ("=?utf-8?B?4g==?= =?utf-8?B?gqw=?=", "€"),
        ("=?x-unknown?Q?Cl=E9?= USB", "Clé USB"),
        ("=?iso-gb2312?B?1tDOxA==?=", "中文"),
        ("=?utf-8*fr?Q?d=C3=A9j=C3=A0?=", "déjà"),
        ("=?utf-8?B?###?=", ""),
        ("plain\r\n\tfolded", "plain folded"),
        ("Jérôme".encode().decode("ascii", "surrogateescape"), "Jérôme"),
        ("Jérôme".encode("latin-1").decode("ascii", "surrogateescape"), "Jérôme"),
    ],
)
def test_headers_decode_robustly(raw, text):
    assert decode_header(raw) == text


def test_one_line_joins_lines_and_drops_control_characters():
    assert one_line("a\r\nb\x1ec\x07d\u2028e") == "a b c d e"
