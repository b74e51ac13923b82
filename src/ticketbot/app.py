"""The Bolt app, built once per process from a Runtime."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from ticketbot.handlers import register_all
from ticketbot.runtime import Runtime

logger = logging.getLogger("ticketbot")


def slack_client(runtime: Runtime) -> WebClient:
    """A Web API client that honours 429 Retry-After and retries 5xx and dropped connections."""
    settings = runtime.settings
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(runtime: Runtime, *, listener_executor: Executor | None = None) -> App:
    settings = runtime.settings
    settings.require("slack_bot_token", "slack_signing_secret")
    assert settings.slack_bot_token and settings.slack_signing_secret
    client = slack_client(runtime)
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        logger=logger,
        # Listeners ack first and keep working after the HTTP response has gone back to Slack.
        process_before_response=False,
        listener_executor=listener_executor,
    )

    @app.middleware
    def _provide_runtime(context, next):
        context["runtime"] = runtime
        return next()

    register_all(app)
    return app
