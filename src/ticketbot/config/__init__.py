"""Configuration: secrets and endpoints from the environment (environment.py), the team's
settings from a YAML file (team.py), and every problem with either worded for the person
running the bot (errors.py)."""

from ticketbot.config.environment import DEFAULT_DATABASE_URL, Settings, load_settings
from ticketbot.config.errors import ConfigError
from ticketbot.config.queues import DEFAULT_QUEUE, Queue, QueueConfig
from ticketbot.config.team import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_CURRENCY,
    WEEKDAYS,
    BusinessHoursConfig,
    ConversationConfig,
    ReportsConfig,
    SlaConfig,
    SlaRoute,
    TicketbotConfig,
    WebhookConfig,
    WeeklyReportConfig,
    config_path,
    load_config,
    parse_config,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_CURRENCY",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_QUEUE",
    "WEEKDAYS",
    "BusinessHoursConfig",
    "ConfigError",
    "ConversationConfig",
    "Queue",
    "QueueConfig",
    "ReportsConfig",
    "Settings",
    "SlaConfig",
    "SlaRoute",
    "TicketbotConfig",
    "WebhookConfig",
    "WeeklyReportConfig",
    "config_path",
    "load_config",
    "load_settings",
    "parse_config",
]
