"""The web desk in a real browser: headless Chromium (Debian's chromium and chromium-driver)
driven by Selenium against the desk served by uvicorn. A technician signs in through the link
read from the outbox, opens the home page, a ticket, a document, the planning and the
knowledge-base search of a ticket; a requester who types another person's ticket number, or a draft article's, gets the
404 page, and finds only published articles with the search box.

With MAILBOT_WEB_SCREENSHOTS=FOLDER the test also saves the screenshots of the docs there."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from services import require

from mailbot.web.server import WebThread
from tests.scenario.helpdesk import Helpdesk
from tests.scenario.web import LINK, OTHER, TECH, delivered, seed_articles, seed_school

CHROMIUM = os.environ.get("MAILBOT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MAILBOT_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = os.environ.get("MAILBOT_WEB_SCREENSHOTS", "")

pytestmark = pytest.mark.integration


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The seeded school's helpdesk with its web desk on a free port of 127.0.0.1."""
    port = _free_port()
    helpdesk = Helpdesk(tmp_path, web_listen=f"127.0.0.1:{port}", helpdesk_name="Helpdesk du lycée",
                        default_group="Réseau")
    seed_school(helpdesk)
    web = WebThread(helpdesk.app)
    web.start()
    yield helpdesk, f"http://127.0.0.1:{port}"
    web.stop()
    helpdesk.close()


@pytest.fixture
def browser_factory(tmp_path):
    def check() -> None:
        for path in (CHROMIUM, CHROMEDRIVER):
            if not (Path(path).is_file() and os.access(path, os.X_OK)):
                raise FileNotFoundError(f"{path} not found (Debian packages chromium and chromium-driver)")

    require("Chromium for the browser tests not available", check)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(width: int = 1200, height: int = 900, phone: bool = False):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         f"--window-size={width},{height}", "--lang=fr-FR"):
            options.add_argument(argument)
        if phone:  # a phone's screen, as Chromium's device emulation draws it
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
                "width": width, "height": height, "pixelRatio": 2}})
        downloads = tmp_path / f"downloads-{len(drivers)}"
        downloads.mkdir()
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False,
                                                  "intl.accept_languages": "fr-FR,fr"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.downloads = downloads
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


def _until(driver, condition) -> None:  # type: ignore[no-untyped-def]
    """Waits for `condition(driver)` after a click: the page it leads to may still be loading."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
        condition)


def _sign_in(helpdesk, driver, base: str, address: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/")
    assert driver.current_url == f"{base}/signin"  # not signed in yet: to the form
    driver.find_element(By.ID, "email").send_keys(address)
    driver.find_element(By.CSS_SELECTOR, "form.signin button").click()
    _until(driver, lambda d: "Regardez votre messagerie" in d.find_element(By.TAG_NAME, "h1").text)
    (mail,) = [m for m in delivered(helpdesk) if m.to == address and LINK.search(m.text)]
    driver.get(LINK.search(mail.text).group(0))
    driver.find_element(By.ID, "confirm").click()
    _until(driver, lambda d: "/signin" not in d.current_url)


def _shot(driver, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(driver.get_window_size()["width"], max(600, min(int(height) + 40, 2200)))
        driver.save_screenshot(str(Path(SCREENSHOTS) / name))


def test_a_technician_signs_in_by_mail_and_reads_the_desk(browser_factory, served):
    from selenium.webdriver.common.by import By

    helpdesk, base = served
    driver = browser_factory()
    _sign_in(helpdesk, driver, base, TECH)

    assert driver.current_url == f"{base}/"
    headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section h2")]
    assert headings == ["Vos tickets en cours (1)", "Tickets à traiter (1)", "Votre planning"]
    _shot(driver, "web-home.png")

    driver.find_element(By.LINK_TEXT, "Imprimante en panne").click()
    _until(driver, lambda d: d.current_url == f"{base}/tickets/1")
    assert driver.find_element(By.TAG_NAME, "h1").text == "#1 Imprimante en panne"
    timeline = driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
    assert "Le fournisseur facture trop cher." in timeline and "Changer le toner" in timeline
    take = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "section.actions a")]
    assert any(href.startswith("mailto:helpdesk@lycee.example?subject=Re%3A%20%5BTicket%20%231%5D") for href in take)
    _shot(driver, "web-ticket.png")

    driver.find_element(By.CSS_SELECTOR, "a.document").click()
    wanted = driver.downloads / "relevé d'erreur.pdf"
    deadline = time.monotonic() + 20
    while not wanted.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert wanted.read_bytes() == b"%PDF-1.4 erreur 0x42"

    driver.get(f"{base}/planning?week=2026-11-30")
    days = driver.find_elements(By.CSS_SELECTOR, ".day")
    assert len(days) == 7
    assert "Changer le toner" in days[1].text and "Check the cable" in days[2].text
    _shot(driver, "web-planning.png")

    # "Rechercher une solution" on the ticket: the knowledge base searched with its title
    seed_articles(helpdesk)
    driver.get(f"{base}/tickets/1")
    driver.find_element(By.LINK_TEXT, "Rechercher une solution").click()
    _until(driver, lambda d: "/kb?q=" in d.current_url)
    found = [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".kb-result .head a")]
    assert sorted(found) == ["Imprimante bloquée", "Imprimante hors ligne"]  # the draft too
    assert driver.find_elements(By.CSS_SELECTOR, ".kb-result mark")
    _shot(driver, "web-kb.png")
    driver.find_element(By.LINK_TEXT, "Imprimante hors ligne").click()
    _until(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Imprimante hors ligne")
    publish = driver.find_element(By.PARTIAL_LINK_TEXT, "#kb publish").get_attribute("href")
    assert publish.startswith("mailto:helpdesk@lycee.example?") and publish.endswith("%23kb%20publish%202")
    _shot(driver, "web-kb-article.png")


def test_a_requester_sees_only_their_requests_and_gets_404_for_another_ticket(browser_factory, served):
    from selenium.webdriver.common.by import By

    helpdesk, base = served
    driver = browser_factory(width=390, height=844, phone=True)
    _sign_in(helpdesk, driver, base, OTHER)

    assert driver.current_url == f"{base}/requests"
    assert "My requests (2)" in driver.find_element(By.CSS_SELECTOR, "section h2").text
    driver.get(f"{base}/tickets/1")  # Loïc's printer
    assert driver.find_element(By.TAG_NAME, "h1").text == "Page not found"
    assert "Imprimante" not in driver.page_source
    # the page fits the phone's width: nothing to scroll sideways
    assert driver.execute_script("return window.innerWidth") == 390
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
    _shot(driver, "web-requester-phone.png")

    # the search box of the page: published articles only, a draft's page is "not found"
    seed_articles(helpdesk)
    driver.get(f"{base}/requests")
    box = driver.find_element(By.CSS_SELECTOR, "header form.kb-search input[name=q]")
    box.send_keys("imprimante")
    box.submit()
    _until(driver, lambda d: "/kb?q=imprimante" in d.current_url)
    assert [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".kb-result .head a")] == ["Imprimante bloquée"]
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
    driver.get(f"{base}/kb/2")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Page not found"
