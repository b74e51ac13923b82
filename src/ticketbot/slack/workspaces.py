"""Which workspaces the bot serves, and the Web API client of each.

One workspace (SLACK_BOT_TOKEN): its one client, and its tickets are every ticket. Many
(SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, Slack's OAuth install): one kept-alive, paced client
per installed workspace, with that workspace's bot token from the installation store. With
token rotation a token that expires within ROTATE_BEFORE is refreshed before it is used, the
new one stored and put in that workspace's client, which requests (Bolt refreshes theirs
in its authorize step) and scheduled passes share."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation import TokenRotator

from ticketbot.config import Settings
from ticketbot.pacing import Pacer
from ticketbot.slack.client import SLACK_FAILURES, failure_reason, slack_client
from ticketbot.store.db import Database
from ticketbot.store.installations import (
    InstallationStore,
    Sealer,
    UnreadableToken,
    Workspace,
)

logger = logging.getLogger("ticketbot.installs")
ROTATE_BEFORE_MINUTES = 120  # Slack's tokens live 12 hours; refreshed in their last two


@dataclass(frozen=True)
class Served:
    """A workspace a pass works for: its id (None: the one workspace of SLACK_BOT_TOKEN,
    whose tickets are all there are) and its client."""

    workspace_id: str | None
    client: WebClient


class Workspaces:
    """The one workspace of SLACK_BOT_TOKEN."""

    oauth = False

    def __init__(self, client: WebClient, quick: WebClient | None = None) -> None:
        self._client, self._quick = client, quick or client

    def serving(self, only: set[str] | None = None) -> list[Served]:
        return [Served(None, self._client)]

    def client_for(self, team_id: str | None, token: str | None = None) -> WebClient:
        return self._client

    def quick_for(self, team_id: str | None, token: str | None = None) -> WebClient:
        return self._quick

    def forget(self, team_id: str) -> None:
        """Nothing to remove: SLACK_BOT_TOKEN is the one installation."""
        logger.warning(
            "workspace %s uninstalled the bot or revoked its token; SLACK_BOT_TOKEN no "
            "longer works there",
            team_id,
        )


class Installations(Workspaces):
    """Every workspace installed through Slack's OAuth flow."""

    oauth = True

    def __init__(self, settings: Settings, database: Database, pacer: Pacer) -> None:
        assert settings.slack_client_id and settings.slack_client_secret
        self._settings, self._pacer = settings, pacer
        key = settings.ticketbot_secret_key
        self.store = InstallationStore(
            client_id=settings.slack_client_id,
            engine=database.engine,
            sealer=Sealer(key.get_secret_value() if key else None),
        )
        self._rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            client=slack_client(settings, token=None, pacer=pacer),
        )
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, bool], WebClient] = {}

    def serving(self, only: set[str] | None = None) -> list[Served]:
        """Each installed workspace (of `only`, when given) with its client; one whose token
        cannot be had now (its refresh failed) is left out of this pass, logged, and tried
        again next time."""
        served = []
        for workspace in self.store.installed():
            if only is not None and workspace.team_id not in only:
                continue
            try:
                served.append(Served(workspace.team_id, self._client_of(workspace)))
            except (*SLACK_FAILURES, UnreadableToken) as error:
                reason = str(error) if isinstance(error, UnreadableToken) else failure_reason(error)
                logger.warning("workspace %s skipped this pass: %s", workspace.team_id, reason)
        return served

    def client_for(self, team_id: str | None, token: str | None = None) -> WebClient:
        """The workspace's client; `token`: its bot token as the request's authorize step
        found it (fresh), else the store's, refreshed first when it is about to expire."""
        return self._cached(team_id, token, quick=False)

    def quick_for(self, team_id: str | None, token: str | None = None) -> WebClient:
        return self._cached(team_id, token, quick=True)

    def _cached(self, team_id: str | None, token: str | None, *, quick: bool) -> WebClient:
        if not team_id:
            raise LookupError("a request from no workspace")
        if token is None:
            token = self._token(Workspace(team_id, self.store.enterprise_of(team_id), None))
        with self._lock:
            client = self._clients.get((team_id, quick))
            if client is None:
                client = slack_client(
                    self._settings, token, quick=quick, pacer=self._pacer, workspace=team_id
                )
                self._clients[(team_id, quick)] = client
            elif client.token != token:
                client.token = token  # rotated: every holder of the client gets the new one
            other = self._clients.get((team_id, not quick))
            if other is not None and other.token != token:
                other.token = token
        return client

    def _client_of(self, workspace: Workspace) -> WebClient:
        return self._cached(workspace.team_id, self._token(workspace), quick=False)

    def _token(self, workspace: Workspace) -> str:
        bot = self.store.find_bot(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
        if bot is None:
            raise LookupError(f"workspace {workspace.team_id} has not installed the bot")
        if bot.bot_refresh_token:
            bot = self._rotated(bot)
        return bot.bot_token

    def _rotated(self, bot: Bot) -> Bot:
        """The bot with a token good for ROTATE_BEFORE_MINUTES more (refreshed and stored
        when it was not)."""
        try:
            fresh = self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
        except SlackTokenRotationError:
            # Another worker or replica (or a request's authorize step) may have used the
            # same refresh token a moment before: its new token is in the store by now.
            stored = self.store.find_bot(enterprise_id=bot.enterprise_id, team_id=bot.team_id)
            if stored is not None and stored.bot_token != bot.bot_token:
                return stored
            raise
        if fresh is None:
            return bot
        self.store.save_bot(fresh)
        expires = datetime.fromtimestamp(fresh.bot_token_expires_at or 0, tz=UTC)
        logger.info("bot token of %s refreshed, good until %s", bot.team_id, expires.isoformat())
        return fresh

    def forget(self, team_id: str) -> None:
        """The workspace uninstalled the bot (or revoked its token): its installation goes,
        and with it its scheduled passes; its tickets stay."""
        self.store.forget(team_id, self.store.enterprise_of(team_id))
        with self._lock:
            for quick in (False, True):
                self._clients.pop((team_id, quick), None)
        logger.info("workspace %s uninstalled the bot: installation removed, data kept", team_id)


def workspaces_of(settings: Settings, database: Database, pacer: Pacer) -> Workspaces:
    """The workspaces this process serves, as the environment says."""
    if settings.oauth:
        return Installations(settings, database, pacer)
    settings.require("slack_bot_token")
    client = slack_client(settings, pacer=pacer)
    return Workspaces(client, slack_client(settings, quick=True, pacer=pacer))
