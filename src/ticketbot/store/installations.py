"""Where the workspaces that installed the bot are kept: slack_sdk's SQLAlchemy installation
and state stores, over the bot's own database and tables (models/installs.py).

With a secret key (TICKETBOT_SECRET_KEY) every token is written encrypted (Fernet: AES with
an HMAC, so a changed or foreign value is refused rather than read as a token) and read back
decrypted; the rest of the row stays readable. A token is never logged."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, and_, select

from ticketbot.store.models.installs import BOTS, INSTALLATIONS, OAUTH_STATES

logger = logging.getLogger("ticketbot.installs")
STATE_SECONDS = 10 * 60  # an install link is good for ten minutes, once
_TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


class UnreadableToken(RuntimeError):
    """A stored token that the secret key does not open (another key, or none then)."""


class Sealer:
    """Encrypts and decrypts tokens with a Fernet key; with none, passes them through."""

    def __init__(self, key: str | None) -> None:
        self._fernet = Fernet(key.encode()) if key else None

    def seal(self, token: str | None) -> str | None:
        if token is None or self._fernet is None:
            return token
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, stored: str | None) -> str | None:
        if stored is None or self._fernet is None:
            return stored
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise UnreadableToken(
                "a stored Slack token does not open with TICKETBOT_SECRET_KEY: it was written "
                "with another key, or before the key was set; reinstall the app from "
                "/slack/install to store it again"
            ) from None


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on our tables, its tokens sealed at rest."""

    def __init__(self, client_id: str, engine: Engine, sealer: Sealer) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logger)
        self.bots, self.installations = BOTS, INSTALLATIONS
        self.metadata = BOTS.metadata
        self._sealer = sealer

    def create_tables(self) -> None:  # the migrations do
        raise NotImplementedError("the tables come from the migrations: ticketbot db upgrade")

    def _sealed(self, entity, kind: type):
        sealed = copy.copy(entity)
        sealed.__class__ = kind  # marks it sealed (and what it makes, for a bot)
        for name in _TOKENS:
            if hasattr(sealed, name):
                setattr(sealed, name, self._sealer.seal(getattr(sealed, name)))
        return sealed

    def save(self, installation: Installation) -> None:
        super().save(self._sealed(installation, _SealedInstallation))

    def save_bot(self, bot: Bot) -> None:
        # save() hands over the bot of its sealed installation: sealed already
        super().save_bot(bot if isinstance(bot, _SealedBot) else self._sealed(bot, _SealedBot))

    def build_installation_entity(self, row) -> Installation:  # type: ignore[override]
        entity = SQLAlchemyInstallationStore.build_installation_entity(row)
        return self._opened(entity)

    def build_bot_entity(self, row) -> Bot:  # type: ignore[override]
        return self._opened(SQLAlchemyInstallationStore.build_bot_entity(row))

    def _opened(self, entity):
        for name in _TOKENS:
            if hasattr(entity, name):
                setattr(entity, name, self._sealer.open(getattr(entity, name)))
        return entity

    def installed(self) -> list[Workspace]:
        """Every workspace with a bot installed now, in the order they installed."""
        c = BOTS.c
        query = (
            select(c.team_id, c.enterprise_id, c.team_name)
            .where(c.client_id == self.client_id, c.bot_token.is_not(None))
            .group_by(c.team_id, c.enterprise_id, c.team_name)
            .order_by(c.team_id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        found: dict[str, Workspace] = {}
        for team_id, enterprise_id, name in rows:
            if team_id:
                found.setdefault(team_id, Workspace(team_id, enterprise_id, name))
        return list(found.values())

    def enterprise_of(self, team_id: str) -> str | None:
        c = BOTS.c
        with self.engine.connect() as connection:
            return connection.execute(
                select(c.enterprise_id)
                .where(and_(c.client_id == self.client_id, c.team_id == team_id))
                .limit(1)
            ).scalar()

    def forget(self, team_id: str, enterprise_id: str | None) -> None:
        """The workspace's bot and installations go; its tickets stay."""
        self.delete_all(enterprise_id=enterprise_id, team_id=team_id)


@dataclass(frozen=True)
class Workspace:
    team_id: str
    enterprise_id: str | None
    name: str | None


class _SealedBot(Bot):
    """A Bot whose tokens are sealed already."""


class _SealedInstallation(Installation):
    """An Installation whose tokens are sealed already; its bot is too."""

    def to_bot(self) -> Bot:
        bot = super().to_bot()
        bot.__class__ = _SealedBot
        return bot


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """The install links under way: each state is good once, for STATE_SECONDS."""
    store = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_SECONDS, engine=engine, logger=logger
    )
    store.oauth_states, store.metadata = OAUTH_STATES, OAUTH_STATES.metadata
    return store
