"""Secrets and endpoints from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticketbot.addresses import mailbox
from ticketbot.config.errors import ConfigError, describe
from ticketbot.config.fields import TEMPLATE_MARK
from ticketbot.mailer import parse_smtp_url

DEFAULT_DATABASE_URL = "sqlite:///ticketbot.db"


class Settings(BaseSettings):
    """Environment variables. Tokens are secrets: they never print, even in a repr."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    # Both set: Slack's OAuth install flow, one installation per workspace (README, "Many
    # workspaces"); neither: the one workspace of SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # Encrypts the installations' tokens at rest (a Fernet key); unset: stored as Slack sent.
    ticketbot_secret_key: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = DEFAULT_DATABASE_URL
    ticketbot_config: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # How many processes share Slack's rate limits: replicas of the bot, each running
    # `workers` processes (set by `ticketbot serve`). Each process paces itself to its share.
    ticketbot_replicas: int = Field(default=1, ge=1, le=1000)
    ticketbot_workers: int = Field(default=1, ge=1, le=1000)
    # GET /metrics asks for `Authorization: Bearer <this>` when set (see README, Metrics).
    ticketbot_metrics_token: SecretStr | None = None
    # Email from a ticket (see mailer.py for the SMTP_URL schemes).
    smtp_url: str | None = None
    smtp_from: str | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = None

    @field_validator(
        "smtp_url",
        "smtp_from",
        "smtp_username",
        "smtp_password",
        "smtp_ca_file",
        "ticketbot_metrics_token",
        "slack_client_id",
        "slack_client_secret",
        "ticketbot_secret_key",
        mode="before",
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
        if TEMPLATE_MARK.search(value):
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

    @field_validator("ticketbot_secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from cryptography.fernet import Fernet

            try:
                Fernet(value.get_secret_value().encode())
            except ValueError:
                raise ValueError(
                    "not a Fernet key: 32 url-safe base64-encoded bytes, as printed by "
                    "`ticketbot workspace key`"
                ) from None
        return value

    @model_validator(mode="after")
    def _oauth_complete(self) -> Settings:
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ValueError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Slack's OAuth install)"
            )
        return self

    @property
    def oauth(self) -> bool:
        """Installed by each workspace through Slack's OAuth flow (not one SLACK_BOT_TOKEN)."""
        return bool(self.slack_client_id and self.slack_client_secret)

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
