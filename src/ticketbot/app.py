"""The Bolt app, built once per process from a Runtime.

Middleware puts into every request's context what listeners declare as arguments: the
`runtime`, the `viewer` (who is acting, with their role) and the language they are answered
in."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App

from ticketbot.concurrency import ContextExecutor
from ticketbot.handlers import register_all
from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.slack import errors
from ticketbot.slack.client import slack_client
from ticketbot.slack.request import actor_of

logger = logging.getLogger("ticketbot")


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


def build_app(runtime: Runtime, *, listener_executor: Executor | None = None) -> App:
    settings = runtime.settings
    settings.require("slack_bot_token", "slack_signing_secret")
    assert settings.slack_bot_token and settings.slack_signing_secret
    if listener_executor is None:
        listener_executor = ContextExecutor(max_workers=10, thread_name_prefix="listener")
    app = _TicketbotApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=slack_client(settings),
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
    def _know_the_viewer(body, client, context, next):
        actor = actor_of(body)
        context["viewer"] = runtime.directory.viewer(client, actor) if actor else None
        context["language"] = runtime.directory.language(client, actor)
        return next()

    errors.register(app)
    register_all(app)
    return app
