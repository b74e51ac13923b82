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

from ticketbot.concurrency import ContextExecutor
from ticketbot.handlers import register_all
from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.slack_http import KeepAliveWebClient

logger = logging.getLogger("ticketbot")


def slack_client(runtime: Runtime) -> WebClient:
    """A Web API client that keeps its connections open between calls, honours 429
    Retry-After and retries 5xx and dropped connections."""
    settings = runtime.settings
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return KeepAliveWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class _TicketbotApp(App):
    """Bolt's App, with every listener run in the language chosen for its request.

    Bolt runs global middleware to completion before the listener, on another thread, so a
    middleware cannot wrap the listener in a context; the chosen language travels in the
    request context and is applied around each listener here."""

    def _register_listener(self, *args, **kwargs):
        registered = super()._register_listener(*args, **kwargs)
        listener = self._listeners[-1]
        run = listener.run_ack_function

        def run_in_language(*, request, response):
            with speaking(request.context.get("language") or "en"):
                return run(request=request, response=response)

        listener.run_ack_function = run_in_language
        return registered


def _actor(body: dict) -> str | None:
    """Who is acting, whatever the kind of request."""
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    event = body.get("event") or {}
    return body.get("user_id") or event.get("user") or (user if isinstance(user, str) else None)


def build_app(runtime: Runtime, *, listener_executor: Executor | None = None) -> App:
    settings = runtime.settings
    settings.require("slack_bot_token", "slack_signing_secret")
    assert settings.slack_bot_token and settings.slack_signing_secret
    client = slack_client(runtime)
    if listener_executor is None:
        listener_executor = ContextExecutor(max_workers=10, thread_name_prefix="listener")
    app = _TicketbotApp(
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

    @app.middleware
    def _choose_language(body, client, context, next):
        context["language"] = runtime.directory.language(client, _actor(body))
        return next()

    register_all(app)
    return app
