"""The technicians' views of `mailbot tickets list` (SPEC §7)."""

TECH, TECH2 = "camille.tech@lycee.example", "sami.tech@lycee.example"


def test_personal_group_and_global_views(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician", "--group", "Réseau")
    helpdesk.cli("users", "add", TECH2, "--technician")
    for n, subject in enumerate(["Wifi", "Imprimante", "ENT", "Clavier"], 1):
        helpdesk.send(f"prof{n}@lycee.example", subject, "Ça ne marche pas.")
        helpdesk.clock.advance(minutes=1)
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi", "#take")
    helpdesk.clock.advance(minutes=1)
    helpdesk.send(TECH, "Re: [Ticket #3] ENT", "#take")
    helpdesk.clock.advance(minutes=1)
    helpdesk.send(TECH2, "Re: [Ticket #2] Imprimante", "#take")
    helpdesk.send(TECH, "Re: [Ticket #4] Clavier", "#close Doublon")

    personal = helpdesk.cli_json("tickets", "list", "--view", "personal", "--as", TECH)
    assert [t["id"] for t in personal] == [3, 1]  # open ones only, most recently updated first
    assert all(t["assignees"] == [TECH] for t in personal)
    everyone = helpdesk.cli_json("tickets", "list")
    assert [t["id"] for t in everyone] == [2, 3, 1]
    assert set(everyone[0]) >= {"id", "status", "title", "requester", "assignees", "updated_at"}
    assert [t["id"] for t in helpdesk.cli_json("tickets", "list", "--status", "closed")] == [4]
    assert helpdesk.cli_json("tickets", "list", "--view", "group", "--as", TECH2) == []
