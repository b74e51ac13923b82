"""What a Web API call can raise once slack_sdk's own retries are spent, and how to name it in
a log line or an outbox row (Slack's error code, never a token or a payload)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError

SLACK_FAILURES = (SlackApiError, SlackClientError, OSError)


def failure_reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or type(error).__name__)[:200]
