"""Everything a request or a job needs, built once per process and handed down explicitly.

A plain bag of built collaborators: it imports no job and no listener. What runs in the
background (the webhook dispatcher) is wired in by whoever starts the process (cli.py)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from ticketbot.clock import Clock, SystemClock
from ticketbot.config import Settings, TicketbotConfig, load_config, load_settings
from ticketbot.directory import Directory
from ticketbot.mailer import Mailer
from ticketbot.pacing import Pacer
from ticketbot.services.deadlines import Policies
from ticketbot.services.settings import StoredSettings
from ticketbot.services.webhooks import Outbound
from ticketbot.store.db import Database


class Nudgeable(Protocol):
    """Background work that a request can start early (the webhook dispatcher, the card
    deliverer)."""

    def kick(self) -> None: ...

    def wait_idle(self, timeout: float) -> bool: ...


_ACTING_FOR: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ticketbot_workspace", default=None
)


@contextmanager
def acting_for(workspace_id: str | None) -> Iterator[None]:
    """Run the block for one workspace: `runtime.config` (and what follows from it) is that
    workspace's. The request middleware sets it from the payload, each job for each
    workspace it serves."""
    token = _ACTING_FOR.set(workspace_id or None)
    try:
        yield
    finally:
        _ACTING_FOR.reset(token)


def acting_workspace() -> str | None:
    return _ACTING_FOR.get()


class SettingsSource(Protocol):
    """Where a workspace's settings come from when they are kept in the database
    (services/settings.py); None from `config_of`: none stored, the file's apply."""

    def config_of(self, workspace_id: str) -> TicketbotConfig | None: ...

    def forget(self, workspace_id: str) -> None: ...


@dataclass(frozen=True)
class Team:
    """What one configuration makes: the config itself, each queue's deadlines, the webhooks
    changes are emitted to (None: none configured)."""

    config: TicketbotConfig
    policy: Policies
    outbound: Outbound | None

    @classmethod
    def of(cls, config: TicketbotConfig, nudge=None) -> Team:
        hooks = tuple(config.webhooks)
        return cls(
            config, Policies.from_config(config), Outbound(hooks, nudge=nudge) if hooks else None
        )


class Runtime:
    """`config`, `policy` and `outbound` are those of the workspace acted for (acting_for):
    the settings stored for it in the database when there are some, else ticketbot.yml's."""

    def __init__(
        self,
        settings: Settings,
        config: TicketbotConfig,
        database: Database,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.file_config = config
        self.database = database
        self.clock: Clock = clock or SystemClock()
        # Each workspace's settings as stored in the database (services/settings.py).
        self.stored: SettingsSource | None = StoredSettings(database, self.clock, config)
        # The workspace that installed the bot, when it is one (single-workspace mode): what
        # jobs act for. Learned at start (slack/settings.py) or from the first request.
        self.home_workspace: str | None = None
        self._nudge = None
        self._teams: dict[int, Team] = {}  # by id() of the config they were made from
        self.directory = Directory(lambda: self.config, self.clock)
        self.mailer: Mailer | None = Mailer.from_settings(settings)  # None: no Email button
        # Paces this process's Web API calls to its share of Slack's rate limits.
        processes = settings.ticketbot_replicas * settings.ticketbot_workers
        self.pacer = Pacer(share=1 / processes)
        # Delivers webhook events right after the change that emitted them (see cli.py).
        self.dispatcher: Nudgeable | None = None
        # Shows each change in Slack (cards, status messages, queued messages) moments after
        # it commits (see cli.py).
        self.deliverer: Nudgeable | None = None

    def __repr__(self) -> str:
        return f"Runtime(database={self.database.url.render_as_string()!r})"

    @property
    def config(self) -> TicketbotConfig:
        workspace = _ACTING_FOR.get() or self.home_workspace
        if self.stored is not None and workspace:
            found = self.stored.config_of(workspace)
            if found is not None:
                return found
        return self.file_config

    def _team(self) -> Team:
        config = self.config
        team = self._teams.get(id(config))
        if team is None or team.config is not config:
            team = Team.of(config, self._nudge)
            if len(self._teams) > 64:  # configurations replaced by newer versions
                self._teams.clear()
            self._teams[id(config)] = team
        return team

    @property
    def policy(self) -> Policies:
        """Each queue's deadlines."""
        return self._team().policy

    @property
    def outbound(self) -> Outbound | None:
        """The webhooks changes are emitted to; None when none is configured."""
        return self._team().outbound

    def nudge_with(self, dispatcher: Nudgeable) -> None:
        """Have every change that emits webhook events start `dispatcher` once committed."""
        self.dispatcher = dispatcher
        self._nudge = dispatcher.kick
        self._teams.clear()

    def slack_changed(self) -> None:
        """A transaction that marked cards or queued messages has committed: deliver them
        now, not at the next scheduled pass."""
        if self.deliverer is not None:
            self.deliverer.kick()

    @classmethod
    def from_environment(cls, clock: Clock | None = None) -> Runtime:
        settings = load_settings()
        return cls(
            settings=settings,
            config=load_config(settings),
            database=Database(settings.database_url),
            clock=clock or SystemClock(),
        )
