"""The knowledge base on the web desk (SPEC §9, §10): the search box of every page, the results
page (ranked, extracts with the words found marked, drafts for technicians only), an article's
page with its changes and the `mailto:` links of `#kb publish/unpublish/edit N`, and the
ticket page's “Rechercher une solution”."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenario.helpdesk import Helpdesk
from tests.scenario.web import OTHER, PROF, TECH, client, seed_articles, seed_school, signed_in, text_of


@pytest.fixture
def school(tmp_path):
    """The seeded school (tickets #1–#4) and its three articles (seed_articles)."""
    helpdesk = Helpdesk(tmp_path, default_group="Réseau")
    seed_school(helpdesk)
    seed_articles(helpdesk)
    yield helpdesk
    helpdesk.close()


def _results(html: str) -> list[str]:
    """The results' lines as a reader sees them: title, then number, category and status."""
    return [text_of(re.sub(r"</?mark>", "", item))
            for item in re.findall(r'<li class="kb-result">(.*?)</li>', html, re.S)]


def _mailtos(html: str) -> dict[str, tuple[str, str]]:
    links = {}
    for part in html.split('href="mailto:')[1:]:
        href = "mailto:" + part[:part.index('"')].replace("&amp;", "&")
        query = parse_qs(urlsplit(href).query)
        links[urlsplit(href).path] = (query["subject"][0], query.get("body", [""])[0])
    return links


def test_a_technician_finds_drafts_too_best_first_with_the_words_marked(school):
    html = signed_in(school, TECH).get("/kb", params={"q": "bourrage imprimante"}).text
    assert _results(html) == [
        "Imprimante bloquée fiche n° 1 · Imprimantes · publiée "
        "En cas de bourrage papier, ouvrir le capot arrière et retirer la feuille coincée.",
        "Imprimante hors ligne fiche n° 2 · Imprimantes · brouillon "
        "Redémarrer l'imprimante, puis vérifier son câble réseau.",
    ]
    assert "<mark>bourrage</mark> papier" in html and "Redémarrer l&#39;<mark>imprimante</mark>" in html
    assert 'href="/kb/1"' in html and 'href="/kb/2"' in html
    assert "fiche n°\u00a01" in html  # French spacing (text_of squeezes it)
    assert "2 fiche(s) pour « bourrage imprimante »." in text_of(html)


def test_a_requester_finds_only_published_articles(school):
    loic = signed_in(school, PROF)
    html = loic.get("/kb", params={"q": "imprimante"}).text
    assert [line.split(" fiche")[0] for line in _results(html)] == ["Imprimante bloquée"]
    assert "hors ligne" not in html and "/kb/2" not in html
    assert "Seules les fiches publiées sont montrées." in text_of(html)
    assert "Aucune fiche ne correspond." in text_of(loic.get("/kb", params={"q": "hors ligne"}).text)


def test_a_draft_is_a_404_for_a_requester_like_an_article_that_does_not_exist(school):
    loic = signed_in(school, PROF)
    draft, missing = loic.get("/kb/2"), loic.get("/kb/999")
    assert draft.status_code == missing.status_code == 404
    assert draft.text == missing.text and "Redémarrer" not in draft.text
    published = loic.get("/kb/1")
    assert published.status_code == 200
    page = text_of(published.text)
    assert "Imprimante bloquée fiche n° 1 · publiée Catégorie Imprimantes" in page
    assert "ouvrir le capot arrière" in page
    assert "mailto:" not in published.text and "Modifications" not in page  # technicians' parts
    assert signed_in(school, TECH).get("/kb/2").status_code == 200


def test_html_in_an_article_is_shown_as_text_everywhere(school):
    camille = signed_in(school, TECH)
    results = camille.get("/kb", params={"q": "pronote mot de passe"}).text
    article = camille.get("/kb/3").text
    for html in (results, article):
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;alert(&#34;titre&#34;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(&#34;texte&#34;)&gt;" in html
    tags = re.findall(r"<(\w+)", results.split('class="extract">')[1].split("</div>")[0])
    assert tags and set(tags) == {"mark"}  # the words found, and nothing else of the article, as HTML


def test_an_article_page_shows_its_changes_and_the_mail_commands(school):
    camille = signed_in(school, TECH)
    page = text_of(camille.get("/kb/1").text)
    assert re.search(r"Modifications \S+ 30 novembre 2026 à \d+ h \d+ · créée · Camille Tech "
                     r"\S+ 30 novembre 2026 à \d+ h \d+ · publiée · Camille Tech", page), page
    html = camille.get("/kb/1").text
    assert set(_mailtos(html)) == {"helpdesk@lycee.example"}  # a new mail to the helpdesk
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="(mailto:[^"]+)"', html)]
    parsed = [parse_qs(urlsplit(h).query) for h in hrefs]
    assert [(q["subject"][0], q["body"][0]) for q in parsed] == [
        ("Base de connaissances – fiche 1", "#kb unpublish 1"),
        ("Base de connaissances – fiche 1", "#kb edit 1\nImprimante bloquée\nEn cas de bourrage papier, ouvrir "
         "le capot arrière et retirer la feuille coincée.\n"),
    ]
    draft_bodies = [parse_qs(urlsplit(h.replace("&amp;", "&")).query)["body"][0]
                    for h in re.findall(r'href="(mailto:[^"]+)"', camille.get("/kb/2").text)]
    assert draft_bodies[0] == "#kb publish 2"


def test_sending_the_prepared_mails_changes_the_article(school):
    camille = signed_in(school, TECH)
    for article_id, wanted in ((2, "#kb publish 2"), (1, "#kb edit 1")):
        html = camille.get(f"/kb/{article_id}").text
        [href] = [h.replace("&amp;", "&") for h in re.findall(r'href="(mailto:[^"]+)"', html)
                  if wanted in parse_qs(urlsplit(h.replace("&amp;", "&")).query)["body"][0]]
        query = parse_qs(urlsplit(href).query)
        body = query["body"][0].replace("retirer la feuille", "retirer doucement la feuille")
        school.send(TECH, query["subject"][0], body)
    assert school.cli_json("kb", "show", "2")["status"] == "published"
    assert "retirer doucement la feuille" in school.cli_json("kb", "show", "1")["content"]
    assert len(school.cli_json("tickets", "list")) == 7  # the mails opened no ticket
    assert "Redémarrer" in signed_in(school, PROF).get("/kb/2").text  # now published


def test_the_ticket_page_offers_a_search_with_its_title_to_technicians(school):
    camille = signed_in(school, TECH)
    html = camille.get("/tickets/1").text
    [href] = re.findall(r'<a class="kb-look" href="([^"]+)">Rechercher une solution</a>', html)
    assert href == "/kb?q=Imprimante%20en%20panne"
    found = _results(camille.get(href).text)
    assert sorted(line.split(" fiche")[0] for line in found) == ["Imprimante bloquée", "Imprimante hors ligne"]
    assert "kb-look" not in signed_in(school, PROF).get("/tickets/1").text


def test_every_page_has_the_search_box(school):
    camille, loic = signed_in(school, TECH), signed_in(school, PROF)
    for browser, path in ((camille, "/"), (camille, "/planning"), (camille, "/tickets/2"), (camille, "/kb/1"),
                          (loic, "/requests"), (loic, "/tickets/1"), (loic, "/kb/1")):
        html = browser.get(path).text
        assert '<form method="get" action="/kb" class="kb-search" role="search">' in html, path
        assert 'name="q"' in html


def test_in_english_and_signed_out(school):
    ines = signed_in(school, OTHER)
    page = text_of(ines.get("/kb", params={"q": "printer imprimante"}).text)
    assert "Knowledge base" in page and "article 1 · Imprimantes · published" in page
    assert "Only published articles are shown." in page
    anonymous = client(school)
    assert anonymous.get("/kb?q=imprimante").headers["location"] == "/signin"
    assert anonymous.get("/kb/1").headers["location"] == "/signin"


def test_a_query_is_words_only_and_shown_back_as_text(school):
    camille = signed_in(school, TECH)
    odd = camille.get("/kb", params={"q": '"* NEAR( OR <b>imprimante</b>'})
    assert odd.status_code == 200
    assert "<b>imprimante" not in odd.text and "&lt;b&gt;imprimante&lt;/b&gt;" in odd.text
    assert "Imprimante bloquée" in text_of(odd.text)
    empty = text_of(camille.get("/kb", params={"q": '"*()'}).text)
    assert "Aucune fiche ne correspond." in empty


def test_an_article_whose_text_has_lines_starting_with_a_hash_survives_the_prepared_edit_mail(school):
    """The `#kb edit N` link writes the article under the command; once its title has begun, a
    line of the article starting with `#` (a shell comment, `#include`, even `#hold`) is text."""
    from mailbot.workflow.models import KbArticle

    text = ("Sur le poste, éditer /etc/cups/cupsd.conf :\n#Listen localhost:631\nPort 631\n"
            "#hold\n  #include <printers.conf>\nPuis redémarrer cups.")
    with school.app.db.transaction() as session:
        article = session.get(KbArticle, 1)
        assert article is not None
        article.content = text
    camille = signed_in(school, TECH)
    [href] = [h.replace("&amp;", "&") for h in re.findall(r'href="(mailto:[^"]+)"', camille.get("/kb/1").text)
              if "#kb edit 1" in parse_qs(urlsplit(h.replace("&amp;", "&")).query)["body"][0]]
    query = parse_qs(urlsplit(href).query)
    body = query["body"][0].replace("Puis redémarrer cups.", "Puis redémarrer cups et imprimer un test.")
    result = school.send(TECH, query["subject"][0], body)
    assert (result.outcome, result.ticket_id) == ("answered", None)  # no ticket, no refused line
    [answer] = school.new_mails()
    assert "fiche n°\u00a01 remplacée" in answer.text
    article_now = school.cli_json("kb", "show", "1")
    assert article_now["title"] == "Imprimante bloquée"
    assert article_now["content"] == text.replace("Puis redémarrer cups.", "Puis redémarrer cups et imprimer un test.")
