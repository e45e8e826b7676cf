"""The knowledge base as its users meet it: `#solve … #kb` drafts, `#kb edit/publish/unpublish`,
`#search` by mail, suggestions in new-ticket notifications, `mailbot kb search`."""

from __future__ import annotations

from tests.scenario.helpdesk import Helpdesk

TECH = "sami.tech@lycee.example"
PROF = "loic.medori@lycee.example"


def _solved_with_kb(helpdesk: Helpdesk, subject: str, solution: str, kb_line: str = "#kb") -> int:
    """Open a ticket as the teacher, solve it with #kb as the technician; the ticket's number."""
    helpdesk.send(PROF, subject, "Bonjour, pouvez-vous regarder ?")
    ticket_id = max(t["id"] for t in helpdesk.cli_json("tickets", "list"))
    helpdesk.send(TECH, f"Re: [Ticket #{ticket_id}] {subject}", f"#solve\n{kb_line}\n{solution}")
    helpdesk.new_mails()
    return ticket_id


def test_kb_search_on_the_command_line_ranks_and_marks_the_words_found(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Imprimante bloquée", "Ouvrir le capot et retirer la feuille coincée.")
    _solved_with_kb(helpdesk, "Pronote password", "Reset it from the ENT, then log in again.")

    [hit] = helpdesk.cli_json("kb", "search", "imprimantes", "bloquees")
    assert (hit["id"], hit["title"], hit["status"]) == (1, "Imprimante bloquée", "draft")
    printed = helpdesk.cli("kb", "search", "mots", "de", "passe", "Pronote")
    assert printed.splitlines()[0].split()[:3] == ["2", "Pronote", "password"]
    assert "*ENT*" not in printed and "Reset it from the ENT" in printed
    assert helpdesk.cli_json("kb", "search", "pronote", "--published") == []  # a draft
    assert helpdesk.cli("kb", "search", "cantine") == "no knowledge-base article matches 'cantine'\n"


def _to(mails, address):  # type: ignore[no-untyped-def]
    [mail] = [m for m in mails if m.to == address]
    return mail


def test_a_solution_saved_with_kb_is_a_draft_in_its_category_until_published(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    helpdesk.send(PROF, "Imprimante bloquée", "L'imprimante de la salle 12 affiche bourrage papier.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Imprimante bloquée",
                  "#solve\n#kb Imprimantes\nEn cas de bourrage papier, ouvrir le capot arrière et retirer la feuille.")
    confirmation = _to(helpdesk.new_mails(), TECH).text
    assert "brouillon dans la base de connaissances\u00a0: fiche n°\u00a01, catégorie «\u00a0Imprimantes\u00a0»" \
        in confirmation
    [article] = helpdesk.cli_json("kb", "list")
    assert (article["status"], article["category"], article["ticket"]) == ("draft", "Imprimantes", 1)

    # the next requester with the same problem is not shown a draft; the technicians are
    helpdesk.send("claire@lycee.example", "Bourrage imprimante", "L'imprimante fait un bourrage papier.")
    mails = helpdesk.new_mails()
    assert "Ces fiches peuvent déjà vous aider" not in _to(mails, "claire@lycee.example").text
    technician = _to(mails, TECH).text
    assert "Solutions possibles dans la base de connaissances\u00a0:\n  - fiche n°\u00a01\u00a0: Imprimante bloquée" \
        " (brouillon)\n" in technician

    helpdesk.send(TECH, "Re: [Ticket #2] Bourrage imprimante", "#kb publish 1")
    assert "fiche n°\u00a01 publiée" in _to(helpdesk.new_mails(), TECH).text
    assert helpdesk.show(2)["assignees"] == []  # publishing an article does not take the ticket
    helpdesk.send("marc@lycee.example", "Imprimante : bourrage", "Bourrage papier sur l'imprimante du CDI")
    requester = _to(helpdesk.new_mails(), "marc@lycee.example").text
    assert "Ces fiches peuvent déjà vous aider\u00a0:\n  - fiche n°\u00a01\u00a0: Imprimante bloquée\n" in requester
    assert "*bourrage*" in requester or "*feuille*" in requester or "*imprimante*" in requester.lower()


def test_kb_edit_replaces_title_and_text_and_every_change_is_kept(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Wifi", "Oublier le réseau puis se reconnecter.")
    helpdesk.clock.advance(hours=1)
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi",
                  "#kb edit 1\nWi-Fi élèves : la connexion échoue\nOublier le réseau EDU, puis se reconnecter"
                  " avec l'identifiant ENT.\n\nSami")
    assert "fiche n°\u00a01 remplacée\u00a0: «\u00a0Wi-Fi élèves : la connexion échoue\u00a0»" \
        in _to(helpdesk.new_mails(), TECH).text
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi", "#kb publish 1")
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi", "#kb dépublier 1")
    helpdesk.new_mails()
    article = helpdesk.cli_json("kb", "show", "1")
    assert article["title"] == "Wi-Fi élèves : la connexion échoue"
    assert article["content"] == "Oublier le réseau EDU, puis se reconnecter avec l'identifiant ENT."  # no sign-off
    assert article["status"] == "draft"
    assert [(r["action"], r["by"], r["status"]) for r in article["revisions"]] == [
        ("created", TECH, "draft"), ("edited", TECH, "draft"), ("published", TECH, "published"),
        ("unpublished", TECH, "draft")]
    assert article["revisions"][0]["at"] == "2026-11-30T09:00:00+00:00"
    assert article["revisions"][1]["at"] == "2026-11-30T10:00:00+00:00"
    assert helpdesk.show(1)["followups"] == []  # the new text went to the article, not to the ticket


def test_kb_commands_on_a_missing_article_or_without_text_are_refused(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    helpdesk.send(PROF, "Wifi", "Pas de wifi.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi", "#kb edit 3\n#kb publish")
    errors = _to(helpdesk.new_mails(), TECH).text
    assert "#kb edit demande le nouveau titre sur la première ligne du message et le nouveau texte en dessous" \
        in errors
    assert "#kb publish demande le numéro d'une fiche, par exemple #kb publish 12" in errors
    helpdesk.send(TECH, "Re: [Ticket #1] Wifi", "#kb publish 7")
    assert "il n'y a pas de fiche n°\u00a07 dans la base de connaissances" in _to(helpdesk.new_mails(), TECH).text
    assert helpdesk.show(1)["status"] == "new"


def test_search_by_mail_answers_with_the_best_articles(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Mot de passe Pronote oublié",
                    "Réinitialiser le mot de passe depuis l'ENT, rubrique Mon compte.")
    _solved_with_kb(helpdesk, "Vidéoprojecteur sans image", "Choisir la source HDMI avec la télécommande.")
    helpdesk.send(PROF, "Pronote", "Je n'arrive plus à me connecter à Pronote.")
    helpdesk.new_mails()
    helpdesk.send(TECH, "Re: [Ticket #3] Pronote", "#chercher mots de passe pronote")
    answer = _to(helpdesk.new_mails(), TECH)
    assert "Voici ce que la base de connaissances contient pour votre recherche." in answer.text
    assert "Base de connaissances, «\u00a0mots de passe pronote\u00a0»\u00a0:\n" in answer.text
    assert "fiche n°\u00a01\u00a0: Mot de passe Pronote oublié (brouillon)" in answer.text
    assert "Réinitialiser le *mot* de *passe*" in answer.text
    html = answer.message.get_body(("html",)).get_content()
    assert "Réinitialiser le <mark>mot</mark> de <mark>passe</mark>" in html
    ticket = helpdesk.show(3)
    assert (ticket["status"], ticket["assignees"], ticket["followups"]) == ("new", [], [])  # untouched


def test_search_sees_what_the_commands_before_it_in_the_mail_changed(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Mot de passe Pronote oublié", "Réinitialiser le mot de passe depuis l'ENT.")
    helpdesk.send(TECH, "Re: [Ticket #1] Mot de passe Pronote oublié",
                  "#kb publish 1\n#kb edit 1\n#search pronote\nPronote : mot de passe perdu\nPasser par l'ENT.")
    answer = _to(helpdesk.new_mails(), TECH).text
    assert "fiche n°\u00a01\u00a0: Pronote : mot de passe perdu\n" in answer  # published, edited


def test_search_in_a_new_mail_is_answered_and_opens_no_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Mot de passe Pronote oublié", "Réinitialiser le mot de passe depuis l'ENT.")
    result = helpdesk.send(TECH, "Une question", "#recherche mot de passe pronote\n#chercher cantine\n\nSami")
    assert (result.outcome, result.ticket_id) == ("answered", None)
    [answer] = helpdesk.new_mails()
    assert (answer.to, answer.subject) == (TECH, "Base de connaissances")
    assert "Base de connaissances, «\u00a0mot de passe pronote\u00a0»\u00a0:\n" \
           "  - fiche n°\u00a01\u00a0: Mot de passe Pronote oublié (brouillon)\n" in answer.text
    assert "Base de connaissances, «\u00a0cantine\u00a0»\u00a0: aucune fiche ne correspond." in answer.text
    assert [t["id"] for t in helpdesk.cli_json("tickets", "list")] == [1]  # no ticket opened

    # someone who is not a technician opens a ticket with the same words
    assert helpdesk.send(PROF, "Pronote", "#search mot de passe pronote").outcome == "ticket"
    # and with other text, a technician's mail opens a ticket as any new mail does
    assert helpdesk.send(TECH, "Salle 12", "#search vidéoprojecteur\nLe vidéoprojecteur est cassé.").outcome \
        == "ticket"


def test_kb_edit_and_publish_in_a_new_mail_change_the_article_without_a_ticket(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician")
    _solved_with_kb(helpdesk, "Wifi", "Oublier le réseau puis se reconnecter.")
    result = helpdesk.send(TECH, "Fiche wifi", "#kb edit 1\n#kb publier 1\n#search wifi\nWi-Fi élèves\n"
                                               "Oublier le réseau EDU, puis se reconnecter.\n\nSami")
    assert (result.outcome, result.ticket_id) == ("answered", None)
    [answer] = helpdesk.new_mails()
    assert answer.to == TECH
    assert "Vos commandes pour la base de connaissances ont été appliquées\u00a0:" in answer.text
    assert "fiche n°\u00a01 remplacée\u00a0: «\u00a0Wi-Fi élèves\u00a0»" in answer.text
    assert "fiche n°\u00a01 publiée" in answer.text
    assert "  - fiche n°\u00a01\u00a0: Wi-Fi élèves\n" in answer.text  # the search sees the new title
    article = helpdesk.cli_json("kb", "show", "1")
    assert (article["title"], article["content"], article["status"]) == (
        "Wi-Fi élèves", "Oublier le réseau EDU, puis se reconnecter.", "published")
    assert [t["id"] for t in helpdesk.cli_json("tickets", "list")] == [1]

    # a missing article: the error answer, nothing applied, still no ticket
    result = helpdesk.send(TECH, "Fiche", "#kb unpublish 1\n#kb publish 9")
    assert (result.outcome, result.ticket_id) == ("answered", None)
    [errors] = helpdesk.new_mails()
    assert errors.subject == "Commandes refusées"
    assert "il n'y a pas de fiche n°\u00a09 dans la base de connaissances" in errors.text
    assert helpdesk.cli_json("kb", "show", "1")["status"] == "published"
    # saving a solution needs a ticket: a new mail with #kb opens one, as any new mail
    assert helpdesk.send(TECH, "Imprimante", "#kb").outcome == "ticket"
