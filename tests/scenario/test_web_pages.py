"""The web desk's pages as technicians and requesters read them (SPEC §9): the home page's tabs
and tables, a ticket's whole history with its mailto actions, “Mes demandes” with the
approve/refuse links, and the week's planning."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

from tests.scenario.web import OTHER, PROF, TECH, TECH2, signed_in, text_of


def _mailtos(html):
    links = {}
    for part in html.split('href="mailto:')[1:]:
        href = "mailto:" + part[:part.index('"')].replace("&amp;", "&")
        query = parse_qs(urlsplit(href).query)
        links[href] = (query["subject"][0], query.get("body", [""])[0])
    return links


def test_the_personal_view_has_the_two_tables_of_the_seed_and_the_coming_planning(school):
    page = text_of(signed_in(school, TECH).get("/").text)
    assert "Vue personnelle Vue groupe Vue globale Flux RSS Tous" in page
    assert ("Vos tickets en cours (1) ID Demandeur Éléments associés Description Statut Dernière modification "
            "#1 Loïc Médori Imprimante en panne 1 suivi(s), 1 tâche(s) en cours (planifié)") in page
    assert "Tickets à traiter (1) ID Demandeur Éléments associés Description Statut Dernière modification " \
           "#2 Inès Prof Projector broken 0 suivi(s), 0 tâche(s) nouveau" in page
    assert "Votre planning mardi 1er décembre, 14 h–15 h 30 #1 Imprimante en panne Changer le toner" in page
    assert "Check the cable" not in page  # Sami's task is not in Camille's own planning


def test_each_line_links_to_its_ticket(school):
    html = signed_in(school, TECH).get("/?view=global").text
    html = html[:html.index('id="planning"')]  # the tables only
    assert html.count('href="/tickets/1"') == 2 and html.count('href="/tickets/4"') == 2  # ID and description


def test_group_and_global_views_and_all(school):
    camille = signed_in(school, TECH)
    group = text_of(camille.get("/?view=group").text)
    assert "Tickets en cours du groupe (2)" in group and "#4 Inès Prof Keyboard" in group
    everything = text_of(camille.get("/?view=global").text)
    assert "Tickets en cours (2)" in everything and "#4 Inès Prof Keyboard" in everything
    assert "Tickets à traiter (1)" in everything
    every_ticket = text_of(camille.get("/?view=all").text)
    assert "Tous les tickets (4)" in every_ticket and "résolu" in every_ticket
    assert camille.get("/?view=nope").status_code == 404


def test_the_ticket_page_shows_everything_in_time_order(school):
    page = text_of(signed_in(school, TECH).get("/tickets/1").text)
    order = ["Demande", "Elle affiche une erreur.", "relevé d'erreur.pdf", "nouveau → en cours (attribué)",
             "en cours (attribué) → en cours (planifié)", "Changer le toner", "Le fournisseur facture trop cher."]
    positions = [page.index(words) for words in order]
    assert positions == sorted(positions), list(zip(order, positions, strict=True))
    assert "à faire · 1 h 30 · planifiée mardi 1er décembre 2026 à 14 h – 15 h 30" in page
    assert "Suivi privé" in page
    assert "Temps passé 1 h 30" in page
    # status changes in the reader's words only: the history's English audit notes stay out
    assert "opened by mail" not in page and "assigned to" not in page and "task planned for" not in page


def test_a_technician_acts_by_prepared_mail_replies(school):
    html = signed_in(school, TECH).get("/tickets/2").text  # a new ticket
    replies = _mailtos(html)
    assert all(href.startswith("mailto:helpdesk@lycee.example?") for href in replies)
    subjects = {subject for subject, _body in replies.values()}
    assert subjects == {"Re: [Ticket #2] Projector broken"}
    bodies = [body for _subject, body in replies.values()]
    assert "#take" in bodies and "#solve " in bodies and "#task 0h15 " in bodies
    assert "#resume" not in bodies  # not waiting

    school.send(TECH, "Re: [Ticket #2] Projector broken", "#hold En attente de la pièce")
    waiting = [body for _s, body in _mailtos(signed_in(school, TECH).get("/tickets/2").text).values()]
    assert "#resume" in waiting and "#take" not in waiting


def test_a_prepared_reply_sent_as_is_does_what_it_says(school):
    html = signed_in(school, TECH).get("/tickets/2").text
    subject, body = next(v for v in _mailtos(html).values() if v[1] == "#take")
    school.send(TECH, subject, body)
    assert school.show(2)["assignees"] == [TECH]


def test_mes_demandes_lists_only_ones_own_tickets_with_the_approval_links(school):
    loic = signed_in(school, PROF)
    html = loic.get("/requests").text
    page = text_of(html)
    assert "Mes demandes (2)" in page
    assert "Imprimante en panne" in page and "Wifi lent" in page
    assert "Projector" not in page and "Keyboard" not in page
    links = _mailtos(html)
    assert sorted(subject for subject, _ in links.values()) == ["[Ticket #3] APPROVE", "[Ticket #3] REFUSE"]
    ticket = loic.get("/tickets/3").text
    assert sorted(s for s, _ in _mailtos(ticket).values()) == ["[Ticket #3] APPROVE", "[Ticket #3] REFUSE"]
    assert "#take" not in unquote(ticket)  # no technician action for a requester


def test_the_requester_reads_in_their_language(school):
    ines = signed_in(school, OTHER)
    page = text_of(ines.get("/requests").text)
    assert "My requests (2)" in page and "Sign out" in page


def test_the_week_planning_shows_ones_own_and_the_groups_tasks(school):
    camille = signed_in(school, TECH)
    page = text_of(camille.get("/planning?week=2026-11-30").text)
    assert "Semaine du lundi 30 novembre" in page
    tuesday = page[page.index("mardi 1er décembre"):page.index("mercredi 2 décembre")]
    wednesday = page[page.index("mercredi 2 décembre"):page.index("jeudi 3 décembre")]
    assert "14 h–15 h 30 #1 Imprimante en panne Changer le toner Camille Tech · à faire" in tuesday
    assert "10 h–10 h 30 #4 Keyboard Check the cable Sami Tech · à faire" in wednesday
    next_week = text_of(camille.get("/planning?week=2026-12-07").text)
    assert "Changer le toner" not in next_week
    assert camille.get("/planning?week=hier").status_code == 404


def test_a_technician_without_a_group_sees_only_their_own_planning(school):
    school.cli("users", "add", "solo.tech@lycee.example", "--technician")
    page = text_of(signed_in(school, "solo.tech@lycee.example").get("/planning?week=2026-11-30").text)
    assert "Changer le toner" not in page and "Check the cable" not in page


def test_the_pages_are_made_for_a_phone_too(school):
    html = signed_in(school, TECH2).get("/").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    css = signed_in(school, TECH2).get("/static/desk.css")
    assert css.status_code == 200 and "@media (max-width: 640px)" in css.text


def test_the_all_tab_lists_every_ticket_newest_first(school):
    html = signed_in(school, TECH).get("/?view=all").text
    html = html[:html.index('id="planning"')]
    links = [int(part.split('"')[0]) for part in html.split('<td><a href="/tickets/')[1:]]
    assert list(dict.fromkeys(links)) == [4, 3, 2, 1]  # each line links twice: its ID and its title


def test_the_personal_tab_has_the_tables_of_the_tickets_mail(school):
    """One definition of the two tables: workflow/desk.py's, which the `#tickets` answer shows."""
    from mailbot.workflow.desk import technician_desk
    from mailbot.workflow.tickets import user_by_email

    school.send(TECH, "Ma souris", "Elle ne clique plus.")  # Camille's own new request: hers, not to handle
    with school.app.db.transaction() as session:
        desk = technician_desk(session, user_by_email(session, TECH), school.clock.now)
    page = text_of(signed_in(school, TECH).get("/").text)
    mine, to_handle = page.split("Tickets à traiter")
    for table, words in ((desk["in_progress"], mine), (desk["to_handle"], to_handle.split("Votre planning")[0])):
        assert [int(n) for n in re.findall(r"#(\d+) ", words)] == [row["id"] for row in table["tickets"]]
    assert f"Vos tickets en cours ({desk['in_progress']['count']})" in page
    assert f"Tickets à traiter ({desk['to_handle']['count']})" in page
    assert [row["id"] for row in desk["in_progress"]["tickets"]] == [5, 1]
