"""The Bolt app, built once per process from a Runtime.

Listeners answer Slack on the request's own thread (`process_before_response`): they check
the payload, store what the person did, acknowledge, and hand what Slack must show next to
`later`, the bounded queue of work after the ack. Middleware puts into every request's
context what listeners declare as arguments: the `runtime`, the `viewer` (who is acting,
with their role), `later`, the client that keeps its connections open and the `quick` one
for what must be asked of Slack before the answer; and it sets the language the request is
answered in and the deadline of its database work."""

from __future__ import annotations

import logging

from slack_bolt import App

from ticketbot.concurrency import WorkQueue
from ticketbot.handlers import register_all
from ticketbot.i18n import answer_in
from ticketbot.runtime import Runtime, acting_for
from ticketbot.slack import errors
from ticketbot.slack.client import slack_client
from ticketbot.slack.request import actor_of, is_external, profile_of, workspace_of
from ticketbot.store.db import DEADLINE_VARIABLE, set_deadline

logger = logging.getLogger("ticketbot")
# Slack waits three seconds for the answer; the database work before it gets this much.
STORE_BUDGET = 2.0
DEFAULT_WORKERS = 4
DEFAULT_CAPACITY = 256


def work_queue(workers: int = DEFAULT_WORKERS, capacity: int = DEFAULT_CAPACITY) -> WorkQueue:
    """The queue of what listeners start after their ack; tasks start without the request's
    database deadline."""
    return WorkQueue(workers=workers, capacity=capacity, forget=[DEADLINE_VARIABLE])


def build_app(runtime: Runtime, *, work: WorkQueue | None = None) -> App:
    settings = runtime.settings
    settings.require("slack_bot_token", "slack_signing_secret")
    assert settings.slack_bot_token and settings.slack_signing_secret
    client = slack_client(settings, pacer=runtime.pacer)
    # What is asked of Slack before the answer: never waits for its turn.
    quick = slack_client(settings, quick=True, pacer=runtime.pacer)
    queue = work if work is not None else work_queue()
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        logger=logger,
        process_before_response=True,
        # A request no listener takes (an event the app does not follow, a button of an old
        # message) goes to the error handler, which answers 200 rather than Bolt's 404.
        raise_error_for_unhandled_request=True,
    )
    app.work_queue = queue  # type: ignore[attr-defined]  (for shutdown and tests)

    @app.middleware
    def _provide(body, context, next):
        set_deadline(STORE_BUDGET)
        context["runtime"] = runtime
        context["client"] = client  # Bolt's own per-request client would not keep connections
        context["quick"] = quick
        actor = actor_of(body)
        context["viewer"] = (
            runtime.directory.viewer(
                quick, actor, external=is_external(body), profile=profile_of(body)
            )
            if actor
            else None
        )
        answer_in(runtime.directory.language(quick, actor))
        context["later"] = errors.Later(queue, body=body, client=client)
        workspace = workspace_of(body)
        if runtime.home_workspace is None and runtime.settings.slack_bot_token:
            runtime.home_workspace = workspace or None  # one workspace: the one Slack names
        with acting_for(workspace):  # this workspace's settings, for the listener
            return next()

    errors.register(app)
    register_all(app)
    return app
