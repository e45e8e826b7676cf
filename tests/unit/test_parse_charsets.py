"""Mails whose subject or body is in a non-Latin charset, undeclared or wrongly declared, are
read as their writer wrote them; French mail without a charset stays French."""

from pathlib import Path

import pytest

from mailbot.parsers.message import parse_message

FIXTURES = Path(__file__).parents[1] / "fixtures" / "emails"
HELPDESK = "helpdesk@lycee.example"

JA_SUBJECT, JA_BODY = "プリンターの故障について", "三階のプリンターが動きません。至急確認してください。\n山田"
ZH_SUBJECT, ZH_BODY = "打印机坏了请修理", "三楼的打印机坏了，请尽快修理。谢谢！\n王老师"
RU_SUBJECT, RU_BODY = "Не работает принтер", "Здравствуйте, принтер в кабинете 12 не печатает с утра.\nСпасибо, Ольга"


@pytest.mark.parametrize(
    "fixture, subject, text",
    [
        ("subject_raw_shift_jis_undeclared.eml", JA_SUBJECT, JA_BODY),
        ("body_iso2022jp_declared_over_shift_jis.eml", JA_SUBJECT, JA_BODY),
        ("subject_raw_gb2312_undeclared.eml", ZH_SUBJECT, ZH_BODY),
        ("body_koi8r_declared_latin1.eml", RU_SUBJECT, RU_BODY),
        ("body_cp1251_declared_us_ascii.eml", RU_SUBJECT, RU_BODY),
        ("body_cp1251_undeclared.eml", RU_SUBJECT, RU_BODY),
        ("body_cp1252_french_undeclared.eml", "Imprimante réparée",
         "Merci, l'imprimante de la salle 203 est réparée. Cordialement, Loïc"),
        ("body_latin1_french_declared_us_ascii.eml", "Écran noir à l'accueil",
         "Bonjour, l'écran de l'accueil reste noir ; ça recommence chaque matin.\nÉlodie"),
    ],
)
def test_subject_and_body_read_as_written(fixture, subject, text):
    parsed = parse_message((FIXTURES / fixture).read_bytes(), helpdesk_address=HELPDESK)
    assert parsed.subject == subject
    assert parsed.title == subject
    assert parsed.text == text
