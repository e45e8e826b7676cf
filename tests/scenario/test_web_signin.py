"""Signing in to the web desk by mail (SPEC §9): a one-time link valid 15 minutes, stored
hashed, then an HttpOnly SameSite session cookie; strangers get the same page and no mail;
asking too often is limited per address and per client."""

import hashlib

from sqlalchemy import select

from mailbot.web.limits import SignInLimits
from mailbot.web.models import SignInLink, WebSession
from mailbot.workflow.models import User
from tests.scenario.web import PROF, TECH, client, delivered, sign_in_link, signed_in, text_of


def _users(helpdesk):
    helpdesk.cli("users", "add", TECH, "--technician", "--name", "Camille Tech")
    helpdesk.cli("users", "add", PROF, "--name", "Loïc Médori", "--language", "en")


def test_the_link_from_the_mail_signs_in_with_an_httponly_samesite_cookie(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    assert browser.get("/").headers["location"] == "/signin"  # not signed in: to the form

    link = sign_in_link(helpdesk, browser, TECH)
    assert link.startswith("/signin/")
    confirm = browser.get(link)
    assert confirm.status_code == 200 and "Se connecter" in confirm.text  # a button, the link is not spent yet
    signed = browser.post(link)

    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    home = browser.get("/")
    assert home.status_code == 200 and "Vos tickets en cours (0)" in text_of(home.text)


def test_the_mail_comes_in_the_persons_language_with_the_configured_base_url(tmp_path):
    from tests.scenario.helpdesk import Helpdesk

    helpdesk = Helpdesk(tmp_path, web_url="https://desk.lycee.example/")
    try:
        _users(helpdesk)
        browser = client(helpdesk)
        browser.post("/signin", data={"email": PROF})
        (mail,) = delivered(helpdesk)
        assert mail.subject == "Your sign-in link to the helpdesk"
        assert "valid for 15 minutes and works once" in mail.text
        assert "https://desk.lycee.example/signin/" in mail.text
    finally:
        helpdesk.close()


def test_the_link_points_to_the_configured_desk_never_to_the_requests_host(helpdesk):
    _users(helpdesk)
    forged = client(helpdesk, base_url="http://evil.example")  # a forged Host header
    forged.post("/signin", data={"email": TECH})
    (mail,) = delivered(helpdesk)
    assert "evil.example" not in mail.text
    assert "http://127.0.0.1:8025/signin/" in mail.text  # MAILBOT_WEB_LISTEN without MAILBOT_WEB_URL


def test_over_https_the_cookie_is_secure(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk, base_url="https://desk.lycee.example")
    signed = browser.post(sign_in_link(helpdesk, browser, TECH))
    assert "secure" in signed.headers["set-cookie"].lower().split("; ")


def test_a_link_works_once(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    link = sign_in_link(helpdesk, browser, TECH)
    assert browser.post(link).status_code == 303

    other = client(helpdesk)
    again = other.post(link)
    assert again.status_code == 410 and "set-cookie" not in again.headers
    assert "n'est plus valable" in text_of(again.text)
    assert other.get("/").headers["location"] == "/signin"


def test_a_link_expires_after_15_minutes(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    link = sign_in_link(helpdesk, browser, TECH)
    helpdesk.clock.advance(minutes=15, seconds=1)
    assert browser.get(link).status_code == 410
    assert browser.post(link).status_code == 410
    assert browser.get("/").headers["location"] == "/signin"


def test_a_link_of_14_minutes_still_works(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    link = sign_in_link(helpdesk, browser, TECH)
    helpdesk.clock.advance(minutes=14)
    assert browser.post(link).status_code == 303


def test_only_hashes_of_links_and_sessions_are_stored(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    link = sign_in_link(helpdesk, browser, TECH)
    secret = link.rsplit("/", 1)[1]
    cookie = browser.post(link).cookies["mailbot_session"]
    with helpdesk.app.db.transaction() as session:
        stored = session.scalars(select(SignInLink.token_hash)).all()
        sessions = session.scalars(select(WebSession.token_hash)).all()
    assert stored == [hashlib.sha256(secret.encode()).hexdigest()]
    assert sessions == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert secret not in stored and cookie not in sessions


def test_a_stranger_gets_the_same_page_and_no_mail_and_no_account(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    known = browser.post("/signin", data={"email": TECH})
    delivered(helpdesk)
    stranger = browser.post("/signin", data={"email": "intrus@ailleurs.example"})

    assert stranger.status_code == known.status_code == 200
    assert stranger.text == known.text
    assert delivered(helpdesk) == []
    with helpdesk.app.db.transaction() as session:
        assert session.scalar(select(User).where(User.email == "intrus@ailleurs.example")) is None


def test_signing_out_ends_the_session(helpdesk):
    _users(helpdesk)
    browser = signed_in(helpdesk, TECH)
    cookie = browser.cookies["mailbot_session"]
    assert browser.post("/signout").status_code == 200
    stolen = client(helpdesk)
    stolen.cookies.set("mailbot_session", cookie)
    assert stolen.get("/").headers["location"] == "/signin"


def test_three_links_per_address_in_15_minutes_then_none(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    pages = [browser.post("/signin", data={"email": TECH}) for _ in range(5)]
    assert len(delivered(helpdesk)) == 3
    assert {page.status_code for page in pages} == {200}
    assert len({page.text for page in pages}) == 1  # the same neutral page: nothing tells the limit


def test_too_many_requests_from_one_client_get_429(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk, limits=SignInLimits(per_client="4/15minutes"))
    answers = [browser.post("/signin", data={"email": f"someone{n}@lycee.example"}).status_code for n in range(4)]
    assert answers == [200] * 4
    refused = browser.post("/signin", data={"email": TECH})
    assert refused.status_code == 429 and "Trop de demandes" in refused.text
    assert delivered(helpdesk) == []  # not even the known address got a link


def test_a_form_posted_from_another_site_is_refused(helpdesk):
    _users(helpdesk)
    browser = client(helpdesk)
    link = sign_in_link(helpdesk, browser, TECH)
    forged = browser.post(link, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    assert browser.post("/signin", data={"email": TECH}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert browser.post(link, headers={"Origin": "null"}).status_code == 403  # a sandboxed frame
    assert browser.post(link, headers={"Origin": "http://desk.lycee.example"}).status_code == 303  # the desk's own


def test_expired_sessions_are_forgotten_at_the_next_sign_in(helpdesk):
    _users(helpdesk)
    signed_in(helpdesk, TECH)
    helpdesk.clock.advance(days=31)
    signed_in(helpdesk, TECH)
    with helpdesk.app.db.transaction() as session:
        assert len(session.scalars(select(WebSession)).all()) == 1
        assert len(session.scalars(select(SignInLink)).all()) == 1


def test_before_signing_in_the_page_speaks_the_browsers_language(helpdesk):
    browser = client(helpdesk)
    assert "Send me the link" in browser.get("/signin", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.8"}).text
    assert "Recevoir le lien" in browser.get("/signin", headers={"Accept-Language": "de-DE,fr;q=0.5,en;q=0.4"}).text
    assert "Recevoir le lien" in browser.get("/signin", headers={"Accept-Language": "de"}).text  # MAILBOT_LANGUAGE
