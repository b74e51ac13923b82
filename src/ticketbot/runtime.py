"""Everything a request or a job needs, built once per process and handed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketbot.clock import Clock, SystemClock
from ticketbot.config import Settings, TicketbotConfig, load_config, load_settings
from ticketbot.directory import Directory
from ticketbot.mailer import Mailer
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.services.webhooks import SESSION_KEY, Outbound
from ticketbot.store.db import Database
from ticketbot.webhooks import Dispatcher


@dataclass
class Runtime:
    settings: Settings
    config: TicketbotConfig
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    policy: DeadlinePolicy = field(init=False)
    directory: Directory = field(init=False)
    mailer: Mailer | None = field(init=False)  # None: SMTP not configured, no Email button
    dispatcher: Dispatcher | None = field(init=False)  # None: no webhooks configured

    def __post_init__(self) -> None:
        self.policy = DeadlinePolicy.from_config(self.config.sla)
        self.directory = Directory(self.config, self.clock)
        self.mailer = Mailer.from_settings(self.settings)
        self.dispatcher = None
        self.database.session_info.pop(SESSION_KEY, None)
        if self.config.webhooks:
            self.dispatcher = Dispatcher(self)
            outbound = Outbound(tuple(self.config.webhooks), nudge=self.dispatcher.kick)
            self.database.session_info[SESSION_KEY] = outbound

    @classmethod
    def from_environment(cls, clock: Clock | None = None) -> Runtime:
        settings = load_settings()
        return cls(
            settings=settings,
            config=load_config(settings),
            database=Database(settings.database_url),
            clock=clock or SystemClock(),
        )
