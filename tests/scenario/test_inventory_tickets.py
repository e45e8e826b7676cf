"""Machines on tickets, through real mails (SPEC §11): a new mail that names a known machine
gets it linked (or proposed), the requester's own machine is proposed, technicians link and
unlink with #asset, and the items show as `Ordinateur - 203-02` everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenario.helpdesk import Helpdesk

INVENTORY = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"
LOIC = "loic.medori@lycee.example"
CLAIRE = "claire.petit@lycee.example"
TECH = "camille.tech@lycee.example"
NBSP = "\u00a0"


def to(address, mails):  # type: ignore[no-untyped-def]
    mail, = (m for m in mails if m.to == address)
    return mail


def prepare(desk: Helpdesk, *tech_options: str) -> None:
    desk.cli("users", "add", TECH, "--name", "Camille Tech", "--technician", *tech_options)
    desk.cli("inventory", "import", str(INVENTORY))


def test_a_mail_naming_a_known_machine_gets_it_linked_and_everyone_sees_the_item(helpdesk):
    prepare(helpdesk)
    helpdesk.send(f"Loïc Medori <{LOIC}>", "Ordinateur très lent",
                  "Bonjour,\nLe poste 203-02 est très lent depuis lundi.\nLoïc")
    ticket = helpdesk.show(1)
    assert ticket["items"] == ["Computer - 203-02"]
    assert [m["serial"] for m in ticket["machines"]] == ["7H2KQ93"]
    mails = helpdesk.new_mails()
    tech = to(TECH, mails).text
    assert (f"Matériel associé automatiquement{NBSP}: Ordinateur - 203-02 (nommé dans le message)"
            f"\u202f; pour le retirer{NBSP}: #asset -203-02") in tech
    assert f"Éléments associés{NBSP}: Ordinateur - 203-02" in tech
    ack = to(LOIC, mails).text
    assert "associé automatiquement" not in ack  # the requester is not told how technicians work
    assert f"Éléments associés{NBSP}: Ordinateur - 203-02" in ack
    listed = helpdesk.cli("tickets", "list")
    assert "[Computer - 203-02]" in listed
    assert helpdesk.cli_json("tickets", "list")[0]["items"] == ["Computer - 203-02"]
    assert "items: Computer - 203-02" in helpdesk.cli("tickets", "show", "1")


def test_a_serial_number_or_an_ip_address_names_a_machine_too(helpdesk):
    prepare(helpdesk)
    helpdesk.send(LOIC, "Imprimante", "L'imprimante 10.2.3.250 ne répond plus.")
    helpdesk.send(LOIC, "Écran noir", "Numéro de série de l'unité centrale : 7H2KQ93")
    assert helpdesk.show(1)["items"] == ["Printer - IMPRIMANTE-203"]
    assert helpdesk.show(2)["items"] == ["Computer - 203-02"]
    mails = helpdesk.new_mails()
    texts = [m.text for m in mails if m.to == TECH]
    assert any("Imprimante - IMPRIMANTE-203 (son adresse IP est dans le message)" in t for t in texts)
    assert any("Ordinateur - 203-02 (son numéro de série est dans le message)" in t for t in texts)


def test_without_autolink_the_machine_is_only_proposed_with_the_command_to_link_it(tmp_path):
    desk = Helpdesk(tmp_path, inventory_autolink=False)
    try:
        prepare(desk, "--language", "en")
        desk.send(LOIC, "Slow computer", "Computer 203-02 is slow.")
        assert desk.show(1)["items"] == []
        tech = to(TECH, desk.new_mails()).text
        assert "Item possibly concerned: Computer - 203-02 (named in the mail); to link it: #asset 203-02" in tech
        assert "Associated items" not in tech
    finally:
        desk.close()


def test_the_requesters_own_machine_is_proposed_but_not_linked(helpdesk):
    prepare(helpdesk)
    helpdesk.send(f"Claire Petit <{CLAIRE}>", "Plus de son", "Je n'ai plus de son depuis ce matin.")
    assert helpdesk.show(1)["items"] == []
    tech = to(TECH, helpdesk.new_mails()).text
    assert (f"Matériel peut-être concerné{NBSP}: Ordinateur - PROF-PORTABLE-12 (dernier poste utilisé par le"
            f" demandeur)\u202f; pour l'associer{NBSP}: #asset PROF-PORTABLE-12") in tech


def test_two_machines_named_are_both_proposed_and_none_is_linked(helpdesk):
    prepare(helpdesk)
    helpdesk.send(LOIC, "Salle 203", "Le poste 203-02 n'imprime plus sur IMPRIMANTE-203.")
    assert helpdesk.show(1)["items"] == []
    tech = to(TECH, helpdesk.new_mails()).text
    assert "#asset 203-02" in tech and "#asset IMPRIMANTE-203" in tech
    assert "associé automatiquement" not in tech


def test_a_mail_naming_no_machine_proposes_nothing(helpdesk):
    prepare(helpdesk)
    helpdesk.send("anne.martin@lycee.example", "Mot de passe 2026", "J'ai oublié mon mot de passe de l'ENT.")
    assert helpdesk.show(1)["items"] == []
    tech = to(TECH, helpdesk.new_mails()).text
    assert "Matériel" not in tech and "#asset" not in tech


@pytest.mark.parametrize("alias", ["#asset", "#element", "#élément"])
def test_a_technician_links_and_unlinks_machines_and_the_machine_lists_its_tickets(helpdesk, alias):
    prepare(helpdesk)
    helpdesk.send(LOIC, "Souris", "La souris ne marche plus.")
    mails = helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Souris", f"{alias} cdi-05\n{alias} IMPRIMANTE-203",
                  in_reply_to=to(TECH, mails).message_id)
    assert helpdesk.show(1)["items"] == ["Computer - CDI-05", "Printer - IMPRIMANTE-203"]
    confirmation = to(TECH, helpdesk.new_mails()).text
    assert f"matériel lié{NBSP}: Ordinateur - CDI-05" in confirmation
    shown = helpdesk.cli("inventory", "show", "CDI-05")
    assert "#1 " in shown and "Souris" in shown
    assert [t["id"] for t in helpdesk.cli_json("inventory", "show", "IMPRIMANTE-203")["tickets"]] == [1]
    helpdesk.send(TECH, "Re: [Ticket #1] Souris", f"{alias} -CDI-05")
    assert helpdesk.show(1)["items"] == ["Printer - IMPRIMANTE-203"]
    assert f"matériel retiré{NBSP}: Ordinateur - CDI-05" in to(TECH, helpdesk.new_mails()).text
    assert helpdesk.cli_json("inventory", "show", "CDI-05")["tickets"] == []


def test_an_unknown_machine_is_refused_with_the_nearest_names(helpdesk):
    prepare(helpdesk)
    helpdesk.send(LOIC, "Souris", "La souris ne marche plus.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Souris", "#asset 203-2\n#urgency 4")
    ticket = helpdesk.show(1)
    assert ticket["items"] == [] and ticket["urgency"] == 3
    errors = to(TECH, helpdesk.new_mails()).text
    assert "machine inconnue «\u00a0203-2\u00a0» (les plus proches\u00a0: 203-02)" in errors  # the technician reads French


def test_an_english_technician_reads_the_english_labels(helpdesk):
    prepare(helpdesk, "--language", "en")
    helpdesk.send(LOIC, "Imprimante", "IMPRIMANTE-203 bourrage papier")
    tech = to(TECH, helpdesk.new_mails()).text
    assert ("Item linked automatically: Printer - IMPRIMANTE-203 (named in the mail);"
            " to unlink it: #asset -IMPRIMANTE-203") in tech
    assert "Associated items: Printer - IMPRIMANTE-203" in tech
