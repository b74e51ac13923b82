"""Send the app signed requests shaped the way Slack sends them.

Slash commands arrive form-encoded; interactivity as a form with one `payload` field holding
JSON; Events API envelopes as JSON. Slack's JSON is compact and escapes "/" as "\\/" and
non-ASCII as \\uXXXX; the signature covers exactly those bytes, so they are reproduced. What
is sent is built by slack_builders.PayloadBuilder, which Socket Mode tests use as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import requests

from tests.support.slack_builders import PayloadBuilder
from tests.support.slack_payloads import (
    TEAM_ID,
    VERIFICATION_TOKEN,
    JsonDict,
    channels,
    checkboxes,
    conversations,
    datepicker,
    external,
    multi_conversations,
    multi_static,
    multi_users,
    number,
    plain,
    radio,
    static,
    timepicker,
    users,
)

__all__ = [
    "FORM",
    "JSON",
    "SlackSender",
    "channels",
    "checkboxes",
    "conversations",
    "datepicker",
    "external",
    "multi_conversations",
    "multi_static",
    "multi_users",
    "number",
    "plain",
    "radio",
    "sign",
    "slack_json",
    "static",
    "timepicker",
    "users",
]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def slack_json(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/")


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature of `body` sent at `timestamp`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        team_id: str = TEAM_ID,
        path: str = "/slack/events",
        timestamp: Callable[[], float] | None = None,
        response_url: Callable[..., str] | None = None,
    ) -> None:
        """`response_url` makes response URLs; pass `fake.response_url` so the app's
        respond() lands in the fake. The default points at a closed loopback port, so a
        forgotten one fails loudly instead of reaching anything real."""
        self.url = base_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.clock = timestamp or time.time
        self.build = PayloadBuilder(
            team_id=team_id, timestamp=self.clock, response_url=response_url
        )

    @property
    def last_trigger_id(self) -> str | None:
        return self.build.last_trigger_id

    # transport

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """POST raw bytes, signed unless `signature` is given (for bad-signature tests)."""
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": USER_AGENT,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(self.signing_secret, ts, body),
            **(headers or {}),
        }
        return requests.post(self.url, data=body, headers=all_headers, timeout=10)

    def _send_form(self, fields: Mapping[str, str]) -> requests.Response:
        return self.post(urlencode(fields).encode(), FORM)

    def _send_interaction(self, payload: JsonDict) -> requests.Response:
        return self._send_form({"payload": slack_json(payload)})

    def interaction(self, payload: JsonDict) -> requests.Response:
        """An interaction payload as given (built, then changed as a forger would)."""
        return self._send_interaction(payload)

    # what Slack sends: the options are PayloadBuilder's

    def command(self, text: str, **options: Any) -> requests.Response:
        return self._send_form(self.build.command(text, **options))

    def block_actions(
        self, actions: Sequence[Mapping[str, Any]], **options: Any
    ) -> requests.Response:
        return self._send_interaction(self.build.block_actions(actions, **options))

    def block_suggestion(
        self, action_id: str, block_id: str, value: str, **options: Any
    ) -> requests.Response:
        payload = self.build.block_suggestion(action_id, block_id, value, **options)
        return self._send_interaction(payload)

    def view_submission(
        self, view: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]], **options: Any
    ) -> requests.Response:
        return self._send_interaction(self.build.view_submission(view, values, **options))

    def view_closed(self, view: Mapping[str, Any], **options: Any) -> requests.Response:
        return self._send_interaction(self.build.view_closed(view, **options))

    def shortcut(self, callback_id: str, **options: Any) -> requests.Response:
        return self._send_interaction(self.build.shortcut(callback_id, **options))

    def message_action(self, callback_id: str, **options: Any) -> requests.Response:
        return self._send_interaction(self.build.message_action(callback_id, **options))

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> requests.Response:
        """An Events API delivery; retry_num/retry_reason mimic Slack's redeliveries
        (reasons: http_timeout, too_many_requests, http_error, unknown_error)."""
        envelope = self.build.event(event, event_id=event_id)
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.post(slack_json(envelope).encode(), JSON, headers=headers)

    def url_verification(self, challenge: str) -> requests.Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(slack_json(body).encode(), JSON)
