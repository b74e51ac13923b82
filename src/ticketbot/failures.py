"""What a Web API call can raise once slack_sdk's own retries are spent, and how to name it in
a log line or an outbox row (Slack's error code, never a token or a payload), and when a
failed delivery is tried again: the one backoff rule every outbox follows."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.errors import SlackApiError, SlackClientError

SLACK_FAILURES = (SlackApiError, SlackClientError, OSError)
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes after the n-th failed attempt, at most an hour."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_CAP)


def failure_reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or type(error).__name__)[:200]
