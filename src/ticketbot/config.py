"""Configuration: secrets and endpoints from the environment, team settings from a YAML file."""

from __future__ import annotations

import os
import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticketbot.addresses import mailbox
from ticketbot.config_errors import ConfigError, describe, read_yaml
from ticketbot.mailer import parse_smtp_url
from ticketbot.vocabulary import Priority, RelatedKind, Status, WebhookEvent

DEFAULT_DATABASE_URL = "sqlite:///ticketbot.db"
DEFAULT_CONFIG_PATH = Path("ticketbot.yml")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_CURRENCY = "EUR"
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")  # the shape of an ISO 4217 code


_PLACEHOLDER = re.compile(r"X{3,}|YOUR|CHANGE.?ME|REPLACE|TODO|\.\.\.", re.IGNORECASE)
# In free-form values (URLs, secrets, addresses) only a template's loud markers count:
# "help@yourcompany.com" is real, "help@YOUR-DOMAIN.com" and "CHANGE-ME" are not.
_TEMPLATE_MARK = re.compile(r"YOUR[-_]|X{3,}|\.\.\.|(?i:change.?me|replace.?me)")


def _slack_id(prefixes: str, what: str):
    pattern = re.compile(rf"^[{prefixes}][A-Z0-9]{{2,}}$")

    def check(value: str) -> str:
        if _PLACEHOLDER.search(value):
            raise ValueError(f"{value!r} is a placeholder: put a real {what} here")
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not a Slack {what}")
        return value

    return AfterValidator(check)


ChannelId = Annotated[str, _slack_id("CGD", "channel id (C...)")]
UserOrGroupId = Annotated[str, _slack_id("UWS", "user id (U...) or user group id (S...)")]
UserGroupId = Annotated[str, _slack_id("S", "user group id (S...)")]


def _priority_key(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessHoursConfig(_Strict):
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


class SlaRoute(_Strict):
    """Alerts for tickets matching any of these categories or priorities go to `channel`."""

    channel: ChannelId
    categories: list[str] = Field(default_factory=list)
    priorities: list[Annotated[Priority, _priority_key]] = Field(default_factory=list)

    @field_validator("priorities", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return [_priority_key(v) for v in value] if isinstance(value, list) else value


class SlaConfig(_Strict):
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
            return {_priority_key(k): v for k, v in value.items()}
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


class WeeklyReportConfig(_Strict):
    """The weekly report: posted on `day` at `time` (in the business-hours time zone, else
    UTC) to `channel`, which defaults to the SLA alert channel."""

    day: Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] = "Mon"
    time: TimeOfDay = TimeOfDay(9, 0)
    channel: ChannelId | None = None


class ReportsConfig(_Strict):
    weekly: WeeklyReportConfig | None = None


WEBHOOK_SECRET_MIN = 16


class WebhookConfig(_Strict):
    """Where to POST ticket events, signed with `secret` (HMAC-SHA256 of the body)."""

    url: str
    secret: SecretStr
    events: list[WebhookEvent] = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if _TEMPLATE_MARK.search(value):
            raise ValueError(f"{value!r} is a placeholder: put the receiver's real URL here")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value

    @field_validator("secret")
    @classmethod
    def _real_secret(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if _TEMPLATE_MARK.search(text):
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


class TicketbotConfig(_Strict):
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
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    # en, fr, or auto: each person in their Slack language. Channels hear workspace_language.
    language: Literal["en", "fr", "auto"] = "en"
    workspace_language: Literal["en", "fr"] | None = None
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    # Related-item kinds switched on or off, e.g. {expense: false}; unlisted kinds are on.
    modules: dict[RelatedKind, bool] = Field(default_factory=dict)
    # The currency an expense, quote or purchase order starts from, e.g. EUR or USD.
    currency: str = DEFAULT_CURRENCY

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


class Settings(BaseSettings):
    """Environment variables. Tokens are secrets: they never print, even in a repr."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = DEFAULT_DATABASE_URL
    ticketbot_config: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Email from a ticket (see mailer.py for the SMTP_URL schemes).
    smtp_url: str | None = None
    smtp_from: str | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = None

    @field_validator(
        "smtp_url", "smtp_from", "smtp_username", "smtp_password", "smtp_ca_file", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is not None:
            parse_smtp_url(value)
        return value

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if _TEMPLATE_MARK.search(value):
            raise ValueError(f"{value!r} is a placeholder: put the real sender address here")
        if mailbox(value) is None:
            raise ValueError(f"{value!r} is not an email address (e.g. Support <help@acme.com>)")
        return value.strip()

    @model_validator(mode="after")
    def _smtp_complete(self) -> Settings:
        if self.smtp_url and not self.smtp_from:
            raise ValueError("SMTP_FROM is required when SMTP_URL is set")
        if self.smtp_password and not self.smtp_username:
            raise ValueError("SMTP_PASSWORD is set but SMTP_USERNAME is not")
        if self.smtp_password and self.smtp_url:
            endpoint = parse_smtp_url(self.smtp_url)
            if endpoint.security == "plain" and not endpoint.on_loopback:
                raise ValueError(
                    "SMTP_PASSWORD would travel unencrypted: use smtp+starttls:// or smtps://"
                )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    def require(self, *names: str) -> None:
        """Fail with one line naming the missing environment variables."""
        missing = [n.upper() for n in names if not getattr(self, n)]
        if missing:
            raise ConfigError(f"missing environment variable(s): {', '.join(missing)}")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    try:
        if env is None:
            return Settings()
        lowered = {k.lower(): v for k, v in env.items()}
        return Settings(**{k: v for k, v in lowered.items() if k in Settings.model_fields})
    except ValidationError as error:
        raise describe(error, "environment") from None


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
