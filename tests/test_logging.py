"""Logs: one JSON object a line on request, and no token or secret ever written."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager

import pytest

from tests.support.scenario import BOT_TOKEN, start_scenario
from ticketbot.logs import configure_logging, redact


class _Err:
    def __init__(self, capsys) -> None:
        self._capsys = capsys

    def getvalue(self) -> str:
        return self._capsys.readouterr().err


@pytest.fixture
def captured(capsys):
    yield _Err(capsys)
    logging.getLogger().handlers.clear()


def test_json_lines_with_redacted_tokens(captured):
    configure_logging("INFO", "json")
    log = logging.getLogger("ticketbot.test")
    log.info("calling Slack with xoxb-1234-5678-abcdef and xapp-1-A0-99-zz")
    log.warning("header Authorization: Bearer xoxp-secret-token", extra={"error_id": "ab12"})
    try:
        raise RuntimeError("token xoxb-9-9-leak in a traceback")
    except RuntimeError:
        log.exception("boom")
    output = captured.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert [entry["level"] for entry in lines] == ["INFO", "WARNING", "ERROR"]
    assert lines[0]["message"] == "calling Slack with [redacted] and [redacted]"
    assert lines[1]["error_id"] == "ab12"
    assert "xox" not in output and "xapp-" not in output
    assert "[redacted]" in lines[2]["exception"]


def test_text_format_redacts_too(captured):
    configure_logging("DEBUG", "text")
    logging.getLogger("slack_sdk").debug("payload token=xoxb-77-88-99 signing_secret=s3cret")
    output = captured.getvalue()
    assert "xoxb-77" not in output and "s3cret" not in output
    assert output.count("[redacted]") == 2


@pytest.mark.parametrize(
    ("text", "secret"),
    [("xoxb-1-2-3", "xoxb-1"), ("xoxe.xoxp-1-abc", "xoxp-1"), ("Bearer abc.def", "abc.def")],
)
def test_redact_patterns(text, secret):
    cleaned = redact(f"before {text} after")
    assert secret not in cleaned and "[redacted]" in cleaned and cleaned.endswith(" after")


def test_the_app_starts_without_warnings_when_the_token_is_in_the_environment(
    database, fake_slack, clock, config, monkeypatch, caplog
):
    """As `ticketbot serve` runs: SLACK_BOT_TOKEN set, and the app given its client."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with (
        caplog.at_level(logging.INFO),
        contextmanager(start_scenario)(database, fake_slack, clock, config) as slack,
    ):
        assert slack.send.command("help").status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == []
