"""Everything a request or a job needs, built once per process and handed down explicitly.

A plain bag of built collaborators: it imports no job and no listener. What runs in the
background (the webhook dispatcher) is wired in by whoever starts the process (cli.py)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from ticketbot.clock import Clock, SystemClock
from ticketbot.config import Settings, TicketbotConfig, load_config, load_settings
from ticketbot.directory import Directory
from ticketbot.mailer import Mailer
from ticketbot.pacing import Pacer
from ticketbot.services.deadlines import Policies
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


@dataclass
class Runtime:
    settings: Settings
    config: TicketbotConfig
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    policy: Policies = field(init=False)  # each queue's deadlines
    directory: Directory = field(init=False)
    mailer: Mailer | None = field(init=False)  # None: SMTP not configured, no Email button
    # Paces this process's Web API calls to its share of Slack's rate limits.
    pacer: Pacer = field(init=False)
    # The webhooks changes are emitted to; None when none is configured.
    outbound: Outbound | None = field(init=False)
    # Delivers webhook events right after the change that emitted them (see cli.py).
    dispatcher: Nudgeable | None = field(init=False, default=None)
    # Shows each change in Slack (cards, status messages, queued messages) moments after it
    # commits (see cli.py).
    deliverer: Nudgeable | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.policy = Policies.from_config(self.config)
        self.directory = Directory(self.config, self.clock)
        self.mailer = Mailer.from_settings(self.settings)
        processes = self.settings.ticketbot_replicas * self.settings.ticketbot_workers
        self.pacer = Pacer(share=1 / processes)
        self.outbound = Outbound(tuple(self.config.webhooks)) if self.config.webhooks else None

    def nudge_with(self, dispatcher: Nudgeable) -> None:
        """Have every change that emits webhook events start `dispatcher` once committed."""
        if self.outbound is None:
            return
        self.dispatcher = dispatcher
        self.outbound = Outbound(self.outbound.hooks, nudge=dispatcher.kick)

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
