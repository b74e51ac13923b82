"""The install pages as a person's browser shows them: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium against the running app. The Add to Slack button links to
Slack's authorize URL with the app's client id, the manifest's scopes and a state held in a
cookie; Slack's redirect back installs the workspace and says what to do next; a reused or
forged state gets a page that says so, with the way to start again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from tests.support.installs import AUTHORIZE_URL, SECOND_NAME, SECOND_TEAM
from ticketbot.slack.install import BOT_SCOPES
from ticketbot.store.models import BOTS

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="headless Chromium needs Debian's chromium and chromium-driver "
        "(apt-get install -y chromium chromium-driver)",
    ),
    # The pages are the same on both databases (test_installs.py runs the flow on both).
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def _browser(language: str) -> Iterator:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1000,800"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser() -> Iterator:
    yield from _browser("en-US,en")


@pytest.fixture
def french_browser() -> Iterator:
    yield from _browser("fr-FR,fr")


def _button(browser) -> dict[str, str]:
    link = browser.find_element("id", "add-to-slack")
    assert link.is_displayed() and "Add to Slack" in link.text
    href = link.get_attribute("href")
    assert href.startswith(AUTHORIZE_URL + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}


def _text(browser) -> str:
    return browser.find_element("tag name", "main").text


def test_install_then_reuse_the_link(installs, browser, tmp_path: Path):
    browser.get(installs.url + "/slack/install")
    assert browser.title == "Add ticketbot to Slack"
    query = _button(browser)
    assert query["client_id"] == installs.fake.client_id
    assert query["scope"].split(",") == list(BOT_SCOPES)
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    assert cookies["slack-app-oauth-state"] == query["state"]  # the browser holds the state
    browser.save_screenshot(str(tmp_path / "install.png"))

    # Slack's page approved, Slack sends the browser back with a code and the state.
    code = installs.fake.authorize(SECOND_TEAM, SECOND_NAME, scopes=query["scope"].split(","))
    back = installs.url + "/slack/oauth_redirect?" + urlencode(
        {"code": code, "state": query["state"]}
    )
    browser.get(back)
    assert browser.title == "ticketbot is installed"
    page = _text(browser)
    assert f"ticketbot was added to {SECOND_NAME}." in page
    assert "What to do next:" in page and "/invite @ticketbot" in page
    opens = browser.find_element("id", "open-slack").get_attribute("href")
    assert opens.startswith("https://slack.com/app_redirect?") and SECOND_TEAM in opens
    browser.save_screenshot(str(tmp_path / "installed.png"))
    with installs.database.transaction() as session:
        assert list(session.execute(select(BOTS.c.team_id)).scalars()) == [SECOND_TEAM]

    # The same link again (back button, a second tab): refused, and nothing installed twice.
    browser.get(back)
    assert browser.title == "ticketbot was not installed"
    assert "expired or was used already" in browser.find_element("id", "problem").text
    browser.find_element("id", "start-again").click()
    assert browser.title == "Add ticketbot to Slack"
    assert _button(browser)["state"] != query["state"]  # a new link, good once
    with installs.database.transaction() as session:
        assert len(list(session.execute(select(BOTS.c.id)).scalars())) == 1


def test_a_forged_state_gets_a_clear_page(installs, browser):
    browser.get(installs.url + "/slack/install")
    query = _button(browser)
    code = installs.fake.authorize(SECOND_TEAM, SECOND_NAME, scopes=query["scope"].split(","))
    browser.get(
        installs.url + "/slack/oauth_redirect?" + urlencode({"code": code, "state": "forged"})
    )
    assert browser.title == "ticketbot was not installed"
    problem = browser.find_element("id", "problem").text
    assert "does not match the one this browser started" in problem
    with installs.database.transaction() as session:
        assert session.execute(select(BOTS.c.id)).first() is None


def test_the_pages_speak_the_browsers_language(installs, french_browser):
    french_browser.get(installs.url + "/slack/install")
    assert french_browser.title == "Ajouter ticketbot à Slack"
    assert "Ajouter à Slack" in french_browser.find_element("id", "add-to-slack").text
    assert french_browser.find_element("tag name", "html").get_attribute("lang") == "fr"
