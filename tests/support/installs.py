"""The app installed by many workspaces, as Slack's OAuth flow installs it: the install page,
Slack's authorize page (the fake's `authorize`, which hands out a code), the redirect back
with that code, the code exchanged on the fake's oauth.v2.access."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from pydantic import SecretStr

from tests.support.scenario import SIGNING_SECRET, SlackScenario, start_scenario
from tests.support.slack_requests import SlackSender

SECOND_TEAM, SECOND_NAME = "T0TEAM002", "Second Co"
AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
_BUTTON = re.compile(r'<a id="add-to-slack" class="add" href="([^"]+)"')


def oauth_environment(fake, **more) -> dict:
    """Settings of an app installed by workspaces: no SLACK_BOT_TOKEN, the app's client id
    and secret, and a key that encrypts the stored tokens."""
    return {
        "slack_bot_token": None,
        "slack_client_id": fake.client_id,
        "slack_client_secret": SecretStr(fake.client_secret),
        "ticketbot_secret_key": SecretStr(Fernet.generate_key().decode()),
        **more,
    }


@pytest.fixture
def installs(database, fake_slack, clock, config) -> Iterator[SlackScenario]:
    """The running app in OAuth mode, no workspace installed yet."""
    yield from start_scenario(database, fake_slack, clock, config, **oauth_environment(fake_slack))


def install_link(slack: SlackScenario, session: requests.Session | None = None):
    """GET /slack/install: (the page, the Add to Slack link's query, the state cookie)."""
    page = (session or requests).get(slack.url + "/slack/install", timeout=10)
    assert page.status_code == 200, page.text
    href = html.unescape(_BUTTON.search(page.text).group(1))
    assert href.startswith(AUTHORIZE_URL + "?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}
    cookie = page.headers["set-cookie"].split(";")[0]  # Secure: requests keeps it for https
    return page, query, cookie


def install(slack: SlackScenario, team_id: str, name: str, *, user: str = "U0ADMIN01"):
    """A person of the workspace installs the app from the install page; the after-install
    page Slack's redirect lands on."""
    _page, query, cookie = install_link(slack)
    code = slack.fake.authorize(team_id, name, user=user, scopes=query["scope"].split(","))
    done = requests.get(
        slack.url + "/slack/oauth_redirect",
        params={"code": code, "state": query["state"]},
        headers={"Cookie": cookie},
        timeout=10,
    )
    assert done.status_code == 200, done.text
    return done


def as_team(slack: SlackScenario, team_id: str) -> SlackScenario:
    """The same app, with requests from another workspace's people."""
    sender = SlackSender(
        slack.url, SIGNING_SECRET, team_id=team_id, response_url=slack.fake.response_url
    )
    return dataclasses.replace(slack, send=sender)
