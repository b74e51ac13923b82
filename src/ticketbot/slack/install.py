"""Slack's OAuth install flow (Bolt's OAuthFlow): GET /slack/install shows the Add to Slack
button, GET /slack/oauth_redirect exchanges the code Slack sends back (oauth.v2.access) and
stores the workspace's installation; both answer with our own pages (views/install_pages.py),
in the reader's browser language.

Each install link carries a state issued for it, kept in the database for ten minutes and
tied to the browser by a cookie: a link used twice, too late or from another browser gets a
page that says so, and installs nothing."""

from __future__ import annotations

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from ticketbot.config import Settings
from ticketbot.i18n import language_of_locale, speaking
from ticketbot.slack.workspaces import ROTATE_BEFORE_MINUTES, Installations
from ticketbot.store.installations import STATE_SECONDS, state_store
from ticketbot.views import install_pages

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# What the bot asks each workspace for: exactly manifest.yml's bot scopes (a test compares).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "im:history",
    "reactions:read",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "im:write",
    "files:write",
    "files:read",
    "channels:read",
    "groups:read",
)
ORGANISATION = "organisation_install"  # the reason shown for an org-wide install
_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _language(request: BoltRequest) -> str:
    """The browser's first language, when it is one of ours."""
    values = request.headers.get("accept-language") or [""]
    first = (values[0] or "").split(",")[0].split(";")[0].strip()
    return language_of_locale(first)


class InstallFlow(OAuthFlow):
    """Bolt's flow with our pages."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        with speaking(_language(request)):
            return install_pages.install_page(url, list(BOT_SCOPES))

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        response = super().handle_installation(request)
        response.headers["cache-control"] = ["no-store"]  # a state is good once
        return response


def _succeeded(args: SuccessArgs, on_installed=None) -> BoltResponse:
    installation = args.installation
    if installation.is_enterprise_install or not installation.team_id:
        # One installation for a whole Enterprise Grid organisation: ticketbot serves (and
        # runs the passes of) workspaces, so it is undone and the admin told what to do.
        args.settings.installation_store.delete_all(
            enterprise_id=installation.enterprise_id, team_id=None
        )
        with speaking(_language(args.request)):
            page = install_pages.failed_page(ORGANISATION, INSTALL_PATH)
        return BoltResponse(status=400, body=page, headers=dict(_HTML))
    if on_installed is not None:
        on_installed(installation.team_id)
    app_url = (
        f"https://slack.com/app_redirect?app={installation.app_id}&team={installation.team_id}"
        if installation.app_id and installation.team_id
        else None
    )
    with speaking(_language(args.request)):
        page = install_pages.installed_page(installation.team_name, app_url)
    return BoltResponse(status=200, body=page, headers=dict(_HTML))


def _failed(args: FailureArgs) -> BoltResponse:
    with speaking(_language(args.request)):
        page = install_pages.failed_page(args.reason, INSTALL_PATH)
    return BoltResponse(status=args.suggested_status_code, body=page, headers=dict(_HTML))


def install_flow(
    settings: Settings, installations: Installations, client: WebClient, on_installed=None
) -> InstallFlow:
    """The flow of an app installed by many workspaces; `client` calls oauth.v2.access;
    `on_installed(team_id)` runs once a workspace's installation is stored."""
    assert settings.slack_client_id and settings.slack_client_secret
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations.store,
        installation_store_bot_only=True,  # the bot's token is all ticketbot uses
        token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
        state_store=state_store(installations.store.engine),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(
            success=lambda args: _succeeded(args, on_installed), failure=_failed
        ),
    )
    return InstallFlow(client=client, settings=oauth)
