"""The technician's feeds (SPEC §9): RSS and Atom of each view and an iCalendar feed of their
planned tasks, at personal URLs with a token they renew or delete; conditional GET answers
304 when nothing changed. Parsed back with feedparser and icalendar, independent of feedgen."""

import re
from datetime import UTC, datetime

import feedparser
from icalendar import Calendar

from tests.scenario.web import PROF, TECH, signed_in

FEED = re.compile(r"http://desk\.lycee\.example/feeds/[A-Za-z0-9_-]+/[a-z]+\.(?:rss|atom|ics)")


def _feed_urls(browser):
    page = browser.post("/feeds/renew")
    assert page.status_code == 200
    return sorted(set(FEED.findall(page.text)))


def test_the_feeds_page_gives_a_feed_per_view_and_format_and_a_calendar(school):
    urls = _feed_urls(signed_in(school, TECH))
    names = sorted(url.rsplit("/", 1)[1] for url in urls)
    assert names == ["global.atom", "global.rss", "group.atom", "group.rss", "personal.atom", "personal.rss",
                     "planning.ics"]
    assert len({url.split("/")[4] for url in urls}) == 1  # one token for all


def test_rss_and_atom_of_the_global_view_parse_back(school):
    camille = signed_in(school, TECH)
    urls = _feed_urls(camille)
    for fmt, version in (("rss", "rss20"), ("atom", "atom10")):
        url = next(u for u in urls if u.endswith(f"/global.{fmt}"))
        answer = camille.get(url)
        assert answer.status_code == 200
        feed = feedparser.parse(answer.content)
        assert feed.bozo == 0 and feed.version == version
        assert feed.feed.title == "Vue globale – Helpdesk"
        titles = [entry.title for entry in feed.entries]
        assert sorted(titles) == ["#1 Imprimante en panne (en cours (planifié))", "#2 Projector broken (nouveau)",
                                  "#4 Keyboard (en cours (planifié))"]
        links = {entry.link for entry in feed.entries}
        assert "http://desk.lycee.example/tickets/1" in links


def test_the_personal_feed_has_the_personal_views_tickets(school):
    camille = signed_in(school, TECH)
    url = next(u for u in _feed_urls(camille) if u.endswith("/personal.atom"))
    feed = feedparser.parse(camille.get(url).content)
    assert sorted(entry.title for entry in feed.entries) == ["#1 Imprimante en panne (en cours (planifié))",
                                                             "#2 Projector broken (nouveau)"]


def test_the_calendar_holds_the_planned_tasks_in_utc(school):
    camille = signed_in(school, TECH)
    url = next(u for u in _feed_urls(camille) if u.endswith("/planning.ics"))
    answer = camille.get(url)
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    (event,) = calendar.walk("VEVENT")
    # 01/12/2026 14h00 Europe/Paris, 1 h 30
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "#1 Imprimante en panne"
    assert str(event["DESCRIPTION"]) == "Changer le toner"
    assert str(event["UID"]).startswith("mailbot-task-") and "DTSTAMP" in event
    assert str(event["URL"]) == "http://desk.lycee.example/tickets/1"


def test_nothing_changed_answers_304_by_etag_and_by_date(school):
    camille = signed_in(school, TECH)
    url = next(u for u in _feed_urls(camille) if u.endswith("/global.rss"))
    first = camille.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert camille.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert camille.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert camille.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    school.clock.advance(minutes=10)
    school.send(PROF, "Re: [Ticket #1] Imprimante en panne", "Toujours en panne ce matin.")
    changed = camille.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert camille.get(url, headers={"If-Modified-Since": modified}).status_code == 200


def test_the_calendar_answers_304_when_no_task_changed(school):
    camille = signed_in(school, TECH)
    url = next(u for u in _feed_urls(camille) if u.endswith("/planning.ics"))
    etag = camille.get(url).headers["etag"]
    assert camille.get(url, headers={"If-None-Match": etag}).status_code == 304
    school.send(TECH, "Re: [Ticket #2] Projector broken", "#task todo 1h @ 03/12/2026 09h00 Lampe")
    assert camille.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_renewing_the_token_revokes_the_old_urls_and_deleting_revokes_all(school):
    camille = signed_in(school, TECH)
    old = _feed_urls(camille)
    new = _feed_urls(camille)
    assert set(old).isdisjoint(new)
    for url in old:
        assert camille.get(url).status_code == 404
    assert camille.get(new[0]).status_code == 200
    page = camille.get("/feeds").text
    assert FEED.search(page) is None  # shown once, at creation only
    assert camille.post("/feeds/revoke").status_code == 303
    for url in new:
        assert camille.get(url).status_code == 404


def test_a_feed_needs_no_session_but_a_right_token(school):
    from tests.scenario.web import client

    url = next(u for u in _feed_urls(signed_in(school, TECH)) if u.endswith("/personal.rss"))
    anonymous = client(school)
    assert anonymous.get(url).status_code == 200  # a feed reader has no cookie
    token = url.split("/")[4]
    assert anonymous.get(url.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert anonymous.get(url.replace("personal.rss", "secret.rss")).status_code == 404
