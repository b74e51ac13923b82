"""Everything a request or a job needs, built once per process and handed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketbot.clock import Clock, SystemClock
from ticketbot.config import Settings, TicketbotConfig, load_config, load_settings
from ticketbot.directory import Directory
from ticketbot.mailer import Mailer
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.store.db import Database


@dataclass
class Runtime:
    settings: Settings
    config: TicketbotConfig
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    policy: DeadlinePolicy = field(init=False)
    directory: Directory = field(init=False)
    mailer: Mailer | None = field(init=False)  # None: SMTP not configured, no Email button

    def __post_init__(self) -> None:
        self.policy = DeadlinePolicy.from_config(self.config.sla)
        self.directory = Directory(self.config, self.clock)
        self.mailer = Mailer.from_settings(self.settings)

    @classmethod
    def from_environment(cls, clock: Clock | None = None) -> Runtime:
        settings = load_settings()
        return cls(
            settings=settings,
            config=load_config(settings),
            database=Database(settings.database_url),
            clock=clock or SystemClock(),
        )
