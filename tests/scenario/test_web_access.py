"""Who may read what on the web desk (SPEC §9): checked on the server for every page and file.
A requester reads only their own tickets, never a private followup or task, and never a
document of another ticket: anything else is the same 404 as a ticket that does not exist."""


from tests.scenario.web import OTHER, PROF, TECH, client, signed_in, text_of


def _document_url(browser, ticket_id):
    page = browser.get(f"/tickets/{ticket_id}").text
    start = page.index('href="/documents/') + len('href="')
    return page[start:page.index('"', start)]


def test_a_requester_never_reads_another_persons_ticket(school):
    ines = signed_in(school, OTHER)
    missing = ines.get("/tickets/999")
    assert missing.status_code == 404
    for ticket_id in (1, 3):  # Loïc's tickets
        guessed = ines.get(f"/tickets/{ticket_id}")
        assert guessed.status_code == 404
        assert guessed.text == missing.text  # nothing tells an existing ticket from a missing one
    assert ines.get("/tickets/2").status_code == 200


def test_a_requester_never_downloads_a_document_of_another_ticket(school):
    url = _document_url(signed_in(school, TECH), 1)
    ines = signed_in(school, OTHER)
    assert ines.get(url).status_code == 404
    assert ines.get("/documents/1/anything.pdf").status_code == 404  # the name changes nothing
    assert ines.get("/documents/999/x").status_code == 404


def test_the_requester_downloads_their_own_document_under_its_original_name(school):
    loic = signed_in(school, PROF)
    url = _document_url(loic, 1)
    answer = loic.get(url)
    assert answer.status_code == 200
    assert answer.content == b"%PDF-1.4 erreur 0x42"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert "filename*=utf-8''relev%C3%A9%20d%27erreur.pdf" in answer.headers["content-disposition"]
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_requester_never_sees_a_private_followup_or_task(school):
    school.send(TECH, "Re: [Ticket #1] Imprimante en panne", "#private\n#task 0h10 Devis demandé au fournisseur")
    loic = text_of(signed_in(school, PROF).get("/tickets/1").text)
    camille = text_of(signed_in(school, TECH).get("/tickets/1").text)
    for private in ("Le fournisseur facture trop cher.", "Devis demandé au fournisseur"):
        assert private in camille
        assert private not in loic
    assert "Changer le toner" in loic  # the public task is there
    assert "Temps passé 1 h 30" in loic and "Temps passé 1 h 40" in camille  # private time not counted for him


def test_requesters_have_no_technician_pages(school):
    loic = signed_in(school, PROF)
    assert loic.get("/").headers["location"] == "/requests"
    for path in ("/planning", "/feeds", "/?view=global"):
        answer = loic.get(path)
        assert answer.status_code in (303, 404), path
        assert answer.status_code == 404 or answer.headers["location"] == "/requests"
    assert loic.post("/feeds/renew").status_code == 404


def test_without_a_session_every_page_and_file_sends_to_the_sign_in_form(school):
    browser = client(school)
    for path in ("/", "/requests", "/tickets/1", "/tickets/999", "/documents/1/x.pdf", "/planning", "/feeds"):
        answer = browser.get(path)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/signin"), path


def test_a_forged_cookie_is_no_session(school):
    browser = client(school)
    browser.cookies.set("mailbot_session", "not-a-session")
    assert browser.get("/tickets/1").headers["location"] == "/signin"


def test_an_observer_reads_the_ticket_they_follow(school):
    school.send(TECH, "Re: [Ticket #1] Imprimante en panne", f"#observer {OTHER}")
    ines = signed_in(school, OTHER)
    page = ines.get("/tickets/1")
    assert page.status_code == 200
    assert "Le fournisseur facture trop cher." not in text_of(page.text)


def test_pages_forbid_framing_and_scripts(school):
    answer = signed_in(school, TECH).get("/tickets/1")
    assert "script-src" not in answer.headers["content-security-policy"]
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "<script" not in answer.text
