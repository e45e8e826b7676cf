"""The web desk's knowledge base on PostgreSQL (ts_headline's extracts, the published-only
search): drafts for technicians only, the words found highlighted and nothing else as HTML."""

import re

import pytest

from tests.scenario.helpdesk import Helpdesk
from tests.scenario.web import PROF, TECH, seed_articles, seed_school, signed_in

pytestmark = pytest.mark.integration


@pytest.fixture
def school(tmp_path, postgres_url):
    helpdesk = Helpdesk(tmp_path, database_url=postgres_url, default_group="Réseau")
    seed_school(helpdesk)
    seed_articles(helpdesk)
    yield helpdesk
    helpdesk.close()


def _titles(html: str) -> list[str]:
    return re.findall(r'<div class="head"><a href="/kb/\d+">([^<]*)</a>', html)


def test_the_knowledge_base_pages_on_postgresql(school):
    camille, loic = signed_in(school, TECH), signed_in(school, PROF)
    found = camille.get("/kb", params={"q": "bourrage imprimante"}).text
    assert _titles(found) == ["Imprimante bloquée", "Imprimante hors ligne"]
    assert "<mark>bourrage</mark>" in found
    assert _titles(loic.get("/kb", params={"q": "imprimante"}).text) == ["Imprimante bloquée"]
    assert loic.get("/kb/2").status_code == 404 and camille.get("/kb/2").status_code == 200

    hostile = camille.get("/kb", params={"q": "pronote mot de passe"}).text
    extract = hostile.split('class="extract">')[1].split("</div>")[0]
    assert set(re.findall(r"<(\w+)", extract)) == {"mark"}
    assert "<script" not in hostile and "<img" not in hostile
    assert "&lt;script&gt;" in hostile
