"""`mailbot inventory import`: machines from OCS Inventory and GLPI Agent files, updated on
re-import and never duplicated; broken files reported while the rest goes in."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mailbot.errors import MailbotError
from tests.scenario.helpdesk import Helpdesk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "inventory"
BROKEN = FIXTURES / "inventory-broken"


def run(desk: Helpdesk, *args: str, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
    """The command line on the helpdesk's database, whatever its exit status."""
    from mailbot.cli import cli

    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MAILBOT_")}
    env.update({"MAILBOT_DATABASE_URL": desk.settings.database_url, "MAILBOT_TIMEZONE": "Europe/Paris"})
    folder = desk.tmp / "cli-cwd"
    folder.mkdir(exist_ok=True)
    with contextlib.chdir(folder):
        return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def machines(desk: Helpdesk) -> dict[str, dict]:  # type: ignore[type-arg]
    return {m["name"]: m for m in desk.cli_json("inventory", "list")}


def test_a_folder_of_both_formats_gives_one_machine_per_file(helpdesk):
    result = run(helpdesk, "inventory", "import", str(GOOD))
    assert result.exit_code == 0, result.output
    assert "4 file(s): 4 machine(s) added, 0 updated" in result.output
    found = machines(helpdesk)
    assert set(found) == {"203-02", "CDI-05", "PROF-PORTABLE-12", "IMPRIMANTE-203"}
    pc = found["203-02"]
    assert (pc["type"], pc["serial"], pc["model"], pc["ip_addresses"], pc["last_user"], pc["location"]) == (
        "computer", "7H2KQ93", "OptiPlex 7010", ["10.2.3.42"], "loic.medori", "Salle 203")
    assert pc["inventoried_at"] == "2026-11-29T07:12:03+00:00"  # the agent's Paris time, stored in UTC
    assert found["IMPRIMANTE-203"]["label"] == "Printer - IMPRIMANTE-203"


def test_re_importing_updates_the_machines_and_never_duplicates_them(helpdesk, tmp_path):
    run(helpdesk, "inventory", "import", str(GOOD))
    newer = tmp_path / "203-02.xml"
    text = (GOOD / "ocs_203-02.xml").read_text()
    newer.write_text(text.replace("10.2.3.42", "10.2.3.99").replace("2026-11-29 08:12:03", "2026-11-30 08:00:00"))
    result = run(helpdesk, "inventory", "import", str(GOOD), str(newer))
    assert "5 file(s): 0 machine(s) added, 4 updated" in result.output
    found = machines(helpdesk)
    assert len(found) == 4
    assert found["203-02"]["ip_addresses"] == ["10.2.3.99"]


def test_an_older_inventory_does_not_undo_a_newer_one(helpdesk, tmp_path):
    run(helpdesk, "inventory", "import", str(GOOD / "ocs_203-02.xml"))
    older = tmp_path / "old.xml"
    older.write_text((GOOD / "ocs_203-02.xml").read_text().replace("10.2.3.42", "10.2.3.7")
                     .replace("2026-11-29 08:12:03", "2026-10-01 08:00:00"))
    result = run(helpdesk, "inventory", "import", str(older))
    assert "1 older than what is stored (left as is)" in result.output
    assert machines(helpdesk)["203-02"]["ip_addresses"] == ["10.2.3.42"]


def test_a_reinstalled_agent_or_a_renamed_machine_is_still_the_same_machine(helpdesk, tmp_path):
    run(helpdesk, "inventory", "import", str(GOOD / "ocs_203-02.xml"), str(GOOD / "ocs_cdi-05_windows.xml"))
    text = (GOOD / "ocs_203-02.xml").read_text().replace("2026-11-29 08:12:03", "2026-11-30 08:00:00")
    # a new agent install: a new device id, the same serial number, another name
    (tmp_path / "a.xml").write_text(text.replace("203-02-2026-09-01-07-55-12", "NEW-ID")
                                    .replace("<NAME>203-02</NAME>", "<NAME>203-02B</NAME>"))
    # no serial number (a placeholder): the name says which machine it is
    cdi = (GOOD / "ocs_cdi-05_windows.xml").read_bytes().replace(b"CDI-05-2025-10-02-10-00-00", b"OTHER-ID")
    (tmp_path / "b.xml").write_bytes(cdi.replace(b"2026-11-28 16:40:00", b"2026-11-30 08:00:00"))
    result = run(helpdesk, "inventory", "import", str(tmp_path / "a.xml"), str(tmp_path / "b.xml"))
    assert "0 machine(s) added, 2 updated" in result.output
    assert set(machines(helpdesk)) == {"203-02B", "CDI-05"}


def test_the_same_name_with_another_serial_number_is_another_machine(helpdesk, tmp_path):
    run(helpdesk, "inventory", "import", str(GOOD / "ocs_203-02.xml"))
    replaced = (GOOD / "ocs_203-02.xml").read_text().replace("7H2KQ93", "9Z9ZZZ9").replace(
        "203-02-2026-09-01-07-55-12", "203-02-2026-11-30-08-00-00")
    (tmp_path / "new-pc.xml").write_text(replaced)
    result = run(helpdesk, "inventory", "import", str(tmp_path / "new-pc.xml"))
    assert "1 machine(s) added, 0 updated" in result.output
    assert sorted(m["serial"] for m in helpdesk.cli_json("inventory", "list")) == ["7H2KQ93", "9Z9ZZZ9"]


def test_a_full_import_marks_the_machines_it_lacks_and_keeps_them(helpdesk, tmp_path):
    run(helpdesk, "inventory", "import", str(GOOD))
    result = run(helpdesk, "inventory", "import", "--full", str(GOOD / "ocs_203-02.xml"),
                 str(GOOD / "glpi_prof-portable-12.json"))
    assert "--full: 2 machine(s) marked missing: CDI-05, IMPRIMANTE-203" in result.output
    found = machines(helpdesk)
    assert len(found) == 4
    assert found["CDI-05"]["missing_since"] is not None
    assert found["203-02"]["missing_since"] is None
    listed = helpdesk.cli("inventory", "list").splitlines()
    assert [line.split()[2] for line in listed if "(missing since" in line] == ["CDI-05", "IMPRIMANTE-203"]
    result = run(helpdesk, "inventory", "import", str(GOOD / "ocs_cdi-05_windows.xml"))
    assert "1 back in the inventory" in result.output
    assert machines(helpdesk)["CDI-05"]["missing_since"] is None


def test_a_broken_file_is_reported_with_its_reason_and_the_rest_goes_in(helpdesk, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(GOOD, folder)
    shutil.copy(BROKEN / "broken_unclosed.xml", folder / "203-03.xml")
    (folder / "notes.txt").write_text("not an inventory, and not read from a folder")
    other = tmp_path / "203-03-ok.xml"  # in the inventory before; its new file is the broken one
    other.write_text((GOOD / "ocs_203-02.xml").read_text().replace("203-02", "203-03").replace("7H2KQ93", "X1"))
    run(helpdesk, "inventory", "import", str(other))
    result = run(helpdesk, "inventory", "import", "--full", str(folder))
    assert result.exit_code == 1
    assert f"{folder / '203-03.xml'}: not well-formed XML: mismatched tag: line 4, column 2" in result.output
    assert "5 file(s): 4 machine(s) added, 0 updated, 1 file(s) refused" in result.output
    assert "--full: nothing marked missing, since some files could not be read" in result.output
    found = machines(helpdesk)
    assert len(found) == 5 and found["203-03"]["missing_since"] is None


def test_an_inventory_on_stdin(helpdesk):
    result = run(helpdesk, "inventory", "import", "-", stdin=(GOOD / "glpi_prof-portable-12.json").read_bytes())
    assert result.exit_code == 0, result.output
    assert list(machines(helpdesk)) == ["PROF-PORTABLE-12"]


def test_a_path_that_does_not_exist_imports_nothing(helpdesk):
    with pytest.raises(MailbotError, match="no such file or directory: /nowhere/x.xml"):
        run(helpdesk, "inventory", "import", str(GOOD / "ocs_203-02.xml"), "/nowhere/x.xml")
    assert helpdesk.cli("inventory", "list").startswith("no machines")


def test_show_finds_a_machine_by_serial_number_and_names_the_nearest_for_a_typo(helpdesk):
    run(helpdesk, "inventory", "import", str(GOOD))
    shown = helpdesk.cli("inventory", "show", "5cd3471qzx")
    assert shown.startswith("Computer - PROF-PORTABLE-12\n")
    assert "last user:    claire.petit" in shown and "no tickets" in shown
    with pytest.raises(MailbotError, match=r"unknown machine 'PROF-PORTABLE-21' \(nearest: PROF-PORTABLE-12\)"):
        run(helpdesk, "inventory", "show", "PROF-PORTABLE-21")
