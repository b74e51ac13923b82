"""The team's configuration: the validated YAML file (who works tickets, where cards go,
how deadlines run)."""

from __future__ import annotations

import os
import re
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from ticketbot.config.environment import Settings
from ticketbot.config.errors import ConfigError, describe, read_yaml
from ticketbot.config.fields import (
    TEMPLATE_MARK,
    ChannelId,
    Strict,
    UserGroupId,
    UserOrGroupId,
    priority_key,
)
from ticketbot.config.queues import Queue, QueueConfig
from ticketbot.config.queues import problems as queue_problems
from ticketbot.config.queues import resolve as resolve_queues
from ticketbot.vocabulary import Priority, RelatedKind, Status, WebhookEvent

DEFAULT_CONFIG_PATH = Path("ticketbot.yml")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_CURRENCY = "EUR"
DEFAULT_RETENTION_DAYS = 30
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")  # the shape of an ISO 4217 code


class BusinessHoursConfig(Strict):
    timezone: str = "UTC"
    days: list[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]] = Field(
        default_factory=lambda: ["Mon", "Tue", "Wed", "Thu", "Fri"], min_length=1
    )
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHoursConfig:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self


class SlaRoute(Strict):
    """Alerts for tickets matching any of these categories or priorities go to `channel`."""

    channel: ChannelId
    categories: list[str] = Field(default_factory=list)
    priorities: list[Annotated[Priority, priority_key]] = Field(default_factory=list)

    @field_validator("priorities", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return [priority_key(v) for v in value] if isinstance(value, list) else value


class SlaConfig(Strict):
    alert_channel: ChannelId | None = None
    warn_at: list[Annotated[float, Field(gt=0, lt=1)]] = Field(default_factory=lambda: [0.75])
    standard_hours: dict[Priority, Annotated[float, Field(gt=0, le=8760)]] = Field(
        default_factory=lambda: {
            Priority.URGENT: 4,
            Priority.HIGH: 8,
            Priority.NORMAL: 24,
            Priority.LOW: 72,
        }
    )
    business_hours: BusinessHoursConfig | None = None
    pause_statuses: list[Status] = Field(default_factory=lambda: [Status.WAITING])
    routes: list[SlaRoute] = Field(default_factory=list)
    dm_assignee: bool = False
    escalate_every_hours: Annotated[float, Field(gt=0)] | None = None
    escalation_usergroup: UserGroupId | None = None
    digest_threshold: Annotated[int, Field(ge=2)] = 5
    check_interval_seconds: Annotated[int, Field(ge=5, le=3600)] = 60

    @field_validator("standard_hours", mode="before")
    @classmethod
    def _priority_names(cls, value: object) -> object:
        if isinstance(value, dict):
            return {priority_key(k): v for k, v in value.items()}
        return value

    @field_validator("pause_statuses", mode="before")
    @classmethod
    def _status_names(cls, value: object) -> object:
        names = {"open": "open", "waiting on reply": "waiting", "in progress": "in_progress"}
        if isinstance(value, list):
            return [names.get(v.lower(), v.lower()) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("standard_hours")
    @classmethod
    def _every_priority(cls, value: dict[Priority, float]) -> dict[Priority, float]:
        missing = [p.value for p in Priority if p not in value]
        if missing:
            raise ValueError(f"missing hours for {', '.join(missing)}")
        return value

    @field_validator("pause_statuses")
    @classmethod
    def _closed_never_pauses(cls, value: list[Status]) -> list[Status]:
        if Status.CLOSED in value:
            raise ValueError("closed tickets are not tracked, so Closed cannot pause")
        return value


TimeOfDay = time  # the weekly report has a field named `time`


class WeeklyReportConfig(Strict):
    """The weekly report: posted on `day` at `time` (in the business-hours time zone, else
    UTC) to `channel`, which defaults to the SLA alert channel."""

    day: Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] = "Mon"
    time: TimeOfDay = TimeOfDay(9, 0)
    channel: ChannelId | None = None


class ReportsConfig(Strict):
    weekly: WeeklyReportConfig | None = None


class ConversationConfig(Strict):
    """The conversation with the requester. `card_thread_replies`: replies in the card's
    thread are `internal` notes (the default) or `public`, relayed to the requester.
    `auto_close_days`: a ticket waiting on the requester's reply this long is closed (they
    are reminded halfway); unset, tickets wait as long as it takes."""

    card_thread_replies: Literal["internal", "public"] = "internal"
    auto_close_days: Annotated[int, Field(ge=2, le=365, strict=True)] | None = None


WEBHOOK_SECRET_MIN = 16


class WebhookConfig(Strict):
    """Where to POST ticket events, signed with `secret` (HMAC-SHA256 of the body)."""

    url: str
    secret: SecretStr
    events: list[WebhookEvent] = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if TEMPLATE_MARK.search(value):
            raise ValueError(f"{value!r} is a placeholder: put the receiver's real URL here")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value

    @field_validator("secret")
    @classmethod
    def _real_secret(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if TEMPLATE_MARK.search(text):
            raise ValueError("the secret is a placeholder: generate one (openssl rand -hex 32)")
        if len(text.strip()) < WEBHOOK_SECRET_MIN:
            raise ValueError(
                f"the secret must be at least {WEBHOOK_SECRET_MIN} characters "
                "(openssl rand -hex 32 makes a good one)"
            )
        return value

    @field_validator("events", mode="before")
    @classmethod
    def _known_events(cls, value: object) -> object:
        known = [e.value for e in WebhookEvent]
        for event in value if isinstance(value, list) else []:
            if event not in known:
                raise ValueError(f"unknown event {event!r}: use any of {', '.join(known)}")
        return list(dict.fromkeys(value)) if isinstance(value, list) else value


class TicketbotConfig(Strict):
    """The validated YAML file: who works tickets, where cards go, how deadlines run."""

    agents: list[UserOrGroupId] = Field(default_factory=list)
    admins: list[UserOrGroupId] = Field(default_factory=list)
    triage_channel: ChannelId | None = None
    categories: list[Annotated[str, Field(min_length=1, max_length=75)]] = Field(
        default_factory=lambda: ["Hardware", "Software", "Network", "Access", "Billing"]
    )
    products: list[Annotated[str, Field(min_length=1, max_length=75)]] = Field(default_factory=list)
    reaction_emoji: Annotated[str, Field(pattern=r"^[a-z0-9_+\-']+$")] = "ticket"
    sla: SlaConfig = Field(default_factory=SlaConfig)
    # Several teams, each its own tickets (config/queues.py); unset: one queue of the above.
    queues: list[QueueConfig] = Field(default_factory=list)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    conversation: ConversationConfig = Field(default_factory=ConversationConfig)
    # en, fr, or auto: each person in their Slack language. Channels hear workspace_language.
    language: Literal["en", "fr", "auto"] = "en"
    workspace_language: Literal["en", "fr"] | None = None
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    # Related-item kinds switched on or off, e.g. {expense: false}; unlisted kinds are on.
    modules: dict[RelatedKind, bool] = Field(default_factory=dict)
    # The currency an expense, quote or purchase order starts from, e.g. EUR or USD.
    currency: str = DEFAULT_CURRENCY
    # Days a delivered or given-up outbox row (deadline warnings, webhook deliveries, cards)
    # is kept before the scheduled pass purges it; 100 years at most. A whole number: `true`
    # or "30" is refused rather than read as 1 or 30.
    retention_days: Annotated[int, Field(ge=1, le=36500, strict=True)] = DEFAULT_RETENTION_DAYS

    @field_validator("queues")
    @classmethod
    def _workable_queues(cls, value: list[QueueConfig], info) -> list[QueueConfig]:
        sla = info.data.get("sla")
        if sla is None:  # the top-level sla is wrong: said already
            return value
        found = queue_problems(value, info.data.get("triage_channel"), sla)
        if found:
            raise ValueError("; ".join(found))
        return value

    @cached_property
    def desks(self) -> tuple[Queue, ...]:
        """Every queue, resolved (the default one when none is listed)."""
        return resolve_queues(self, SlaConfig)

    def queue(self, key: str | None) -> Queue:
        """A ticket's queue by its key; a key no longer configured is the first queue's."""
        return next((q for q in self.desks if q.key == key), self.desks[0])

    def queue_of_channel(self, channel_id: str | None) -> Queue | None:
        """The queue a channel is a request channel of."""
        return next((q for q in self.desks if channel_id in q.request_channels), None)

    @property
    def channel_language(self) -> str:
        """The language of what is posted where many read: cards, alerts, reports."""
        if self.workspace_language:
            return self.workspace_language
        return "en" if self.language == "auto" else self.language

    @field_validator("categories", "products")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len({v.casefold() for v in value}) != len(value):
            raise ValueError("names must be unique")
        return value

    @field_validator("reports")
    @classmethod
    def _weekly_report_has_a_channel(cls, value: ReportsConfig, info) -> ReportsConfig:
        sla = info.data.get("sla")  # validated before: declared first
        weekly = value.weekly
        if weekly is not None and weekly.channel is None and sla and sla.alert_channel is None:
            raise ValueError("weekly.channel is needed when sla.alert_channel is not set")
        return value

    @property
    def weekly_report_channel(self) -> str | None:
        weekly = self.reports.weekly
        return None if weekly is None else weekly.channel or self.sla.alert_channel

    @property
    def report_timezone(self) -> str:
        """Reports count local days of the business-hours zone, else UTC days."""
        hours = self.sla.business_hours
        return hours.timezone if hours is not None else "UTC"

    @field_validator("webhooks")
    @classmethod
    def _one_entry_per_url(cls, value: list[WebhookConfig]) -> list[WebhookConfig]:
        # Deliveries name their receiver by URL, so each URL has exactly one secret.
        urls = [hook.url for hook in value]
        for url in urls:
            if urls.count(url) > 1:
                raise ValueError(f"{url!r} is listed twice: merge its events into one entry")
        return value

    @field_validator("modules", mode="before")
    @classmethod
    def _known_kinds(cls, value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("must be a mapping of kind: true/false, e.g. {expense: false}")
        known = [kind.value for kind in RelatedKind]
        cleaned = {}
        for key, enabled in value.items():
            name = str(key).strip().lower().replace(" ", "_").replace("-", "_")
            if name not in known:
                raise ValueError(f"unknown kind {key!r}: use {', '.join(known)}")
            if not isinstance(enabled, bool):
                raise ValueError(f"{key}: say true or false (got {enabled!r})")
            cleaned[name] = enabled
        return cleaned

    @field_validator("currency", mode="before")
    @classmethod
    def _currency_code(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        code = value.strip().upper()
        if not _CURRENCY_CODE.match(code):
            raise ValueError(
                f"{value!r} is not a currency code: use three letters (ISO 4217), like EUR"
            )
        return code

    @property
    def related_kinds(self) -> tuple[RelatedKind, ...]:
        """The related-item kinds switched on, in their usual order."""
        return tuple(kind for kind in RelatedKind if self.modules.get(kind, True))


def config_path(settings: Settings) -> Path | None:
    if settings.ticketbot_config is not None:
        return settings.ticketbot_config
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def parse_config(text: str, source: str = "config") -> TicketbotConfig:
    data, document = read_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys")
    try:
        return TicketbotConfig.model_validate(data)
    except ValidationError as error:
        raise describe(error, source, document) from None


def load_config(settings: Settings) -> TicketbotConfig:
    path = config_path(settings)
    if path is None:
        return TicketbotConfig()
    try:
        text = Path(os.path.expanduser(path)).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    return parse_config(text, str(path))
