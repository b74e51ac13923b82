"""Configuration: one clear message naming the bad key, placeholders refused, secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketbot.config import ConfigError, Settings, load_config, load_settings, parse_config
from ticketbot.vocabulary import Priority, Status

EXAMPLE = Path(__file__).resolve().parents[1] / "ticketbot.example.yml"


def test_the_shipped_example_is_valid():
    config = parse_config(EXAMPLE.read_text(), str(EXAMPLE))
    assert config.sla.standard_hours[Priority.URGENT] == 4
    assert config.sla.business_hours is not None


def test_defaults_without_a_file():
    config = load_config(Settings(ticketbot_config=None))
    assert config.categories == ["Hardware", "Software", "Network", "Access", "Billing"]
    assert config.sla.warn_at == [0.75]
    assert config.sla.standard_hours == {
        Priority.URGENT: 4,
        Priority.HIGH: 8,
        Priority.NORMAL: 24,
        Priority.LOW: 72,
    }
    assert config.sla.pause_statuses == [Status.WAITING]


def test_contract_keys_from_the_issue():
    config = parse_config(
        """
agents: [U0AGT0001]
admins: [U0MGR0001]
triage_channel: C0SUPPORT1
categories: [Hardware, Software]
sla:
  alert_channel: C0SLAALERT
  warn_at: [0.5, 0.75]
  standard_hours: {Urgent: 2, High: 8, Normal: 24, Low: 72}
  pause_statuses: [Waiting on reply]
"""
    )
    assert config.triage_channel == "C0SUPPORT1"
    assert config.sla.standard_hours[Priority.URGENT] == 2
    assert config.sla.pause_statuses == [Status.WAITING]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agents: [UXXXXXXXX]", "ticketbot.yml: agents.0: 'UXXXXXXXX' is a placeholder"),
        ("triage_channel: '#support'", "triage_channel: '#support' is not a Slack channel id"),
        ("sla: {warn_at: [1.5]}", "sla.warn_at.0: Input should be less than 1"),
        ("sla: {standard_hours: {Urgent: 4}}", "sla.standard_hours: missing hours for low"),
        ("sla: {alert_chanel: C0SLAALERT}", "sla.alert_chanel: unknown key"),
        ("sla: {business_hours: {timezone: Mars/Base}}", "unknown time zone 'Mars/Base'"),
        ("sla: {business_hours: {start: '18:00', end: '09:00'}}", "end must be later than start"),
        ("categories: [A, a]", "categories: names must be unique"),
        ("agents: [", "ticketbot.yml: line 1 is not valid YAML"),
        ("- a list", "ticketbot.yml: the top level must be a mapping"),
    ],
)
def test_bad_files_get_one_clear_message(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "ticketbot.yml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(Settings(ticketbot_config=tmp_path / "nope.yml"))


def test_settings_from_environment_hide_secrets():
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-secret",
            "SLACK_SIGNING_SECRET": "abc123",
            "LOG_LEVEL": "debug",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
        }
    )
    assert settings.log_level == "DEBUG"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "sqlite:///ticketbot.db"
    assert "xoxb-1-secret" not in repr(settings) and "abc123" not in str(settings)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        settings.require("slack_bot_token", "slack_app_token")


SEVERAL = """\
sla:
  warn_at: [2]
  standard_hours: {Urgent: -1, High: 8, Normal: 24, Low: 72}
webhooks:
  - url: https://hooks.example.org/ticketbot
    events: [ticket.created]
triage_channel: '#support'
colour: blue
agents: [U0AGT0001, UXXXXXXXX]
"""


def test_a_file_with_several_problems_names_each_in_the_order_it_is_written():
    with pytest.raises(ConfigError) as caught:
        parse_config(SEVERAL, "ticketbot.yml")
    assert caught.value.problems == (
        "ticketbot.yml: sla.warn_at.0: Input should be less than 1",
        "ticketbot.yml: sla.standard_hours.urgent: Input should be greater than 0",
        "ticketbot.yml: webhooks.0.secret: Field required",
        "ticketbot.yml: triage_channel: '#support' is not a Slack channel id (C...)",
        "ticketbot.yml: colour: unknown key (see ticketbot.example.yml for the keys)",
        "ticketbot.yml: agents.1: 'UXXXXXXXX' is a placeholder: put a real user id (U...) or "
        "user group id (S...) here",
    )
    # One line for callers that show one: the first problem, with no count of the others.
    assert str(caught.value) == caught.value.problems[0]


def test_a_file_with_one_problem_has_one_line():
    with pytest.raises(ConfigError) as caught:
        parse_config("sla: {warn_at: [2]}", "ticketbot.yml")
    assert caught.value.problems == ("ticketbot.yml: sla.warn_at.0: Input should be less than 1",)


def test_every_bad_environment_setting_is_named():
    with pytest.raises(ConfigError) as caught:
        load_settings({"LOG_LEVEL": "loud", "SMTP_FROM": "nope", "LOG_FORMAT": "xml"})
    assert caught.value.problems == (
        "environment: log_level: Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or "
        "'CRITICAL'",
        "environment: log_format: Input should be 'text' or 'json'",
        "environment: smtp_from: 'nope' is not an email address (e.g. Support <help@acme.com>)",
    )
    assert str(caught.value) == caught.value.problems[0]


@pytest.mark.parametrize(("written", "kept"), [(None, "EUR"), ("USD", "USD"), (" gbp ", "GBP")])
def test_the_default_currency_is_an_iso_4217_code(written, kept):
    text = "" if written is None else f"currency: {written!r}"
    assert parse_config(text).currency == kept


@pytest.mark.parametrize("written", ["EURO", "E1R", "'€'", "''", "123"])
def test_a_currency_that_is_not_three_letters_is_refused(written):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"currency: {written}", "ticketbot.yml")
    assert str(caught.value).startswith("ticketbot.yml: currency: ")


@pytest.mark.parametrize(("written", "kept"), [(None, 30), (1, 1), (7, 7), (365, 365)])
def test_retention_is_thirty_days_unless_told(written, kept):
    text = "" if written is None else f"retention_days: {written}"
    assert parse_config(text).retention_days == kept


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("0", "Input should be greater than or equal to 1"),
        ("-3", "Input should be greater than or equal to 1"),
        ("2.5", "Input should be a valid integer"),
        ("true", "Input should be a valid integer"),  # not read as 1 day
        ("'30'", "Input should be a valid integer"),
        ("", "Input should be a valid integer"),
        ("100000", "Input should be less than or equal to 36500"),
    ],
)
def test_a_bad_retention_is_named(written, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"retention_days: {written}", "ticketbot.yml")
    assert caught.value.problems == (f"ticketbot.yml: retention_days: {message}",)


def test_a_bad_currency_says_what_a_code_looks_like():
    with pytest.raises(ConfigError) as caught:
        parse_config("currency: euro", "ticketbot.yml")
    assert str(caught.value) == (
        "ticketbot.yml: currency: 'euro' is not a currency code: use three letters (ISO 4217), "
        "like EUR"
    )
