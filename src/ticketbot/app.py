"""The Bolt app, built once per process from a Runtime.

Listeners answer Slack on the request's own thread (`process_before_response`): they check
the payload, store what the person did, acknowledge, and hand what Slack must show next to
`later`, the bounded queue of work after the ack. Middleware puts into every request's
context what listeners declare as arguments: the `runtime`, the `viewer` (who is acting,
with their role), `later`, the client that keeps its connections open and the `quick` one
for what must be asked of Slack before the answer; and it sets the language the request is
answered in and the deadline of its database work.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET the app is installed by many workspaces through
Slack's OAuth flow (slack/install.py): Bolt's authorize step finds the bot token of the
workspace a request comes from (refreshing it when rotation is on), and the middleware hands
listeners that workspace's kept-alive client."""

from __future__ import annotations

import logging
import time

from slack_bolt import App
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

from ticketbot.concurrency import WorkQueue
from ticketbot.handlers import register_all
from ticketbot.i18n import answer_in
from ticketbot.pacing import trigger_expires
from ticketbot.runtime import Runtime, acting_for
from ticketbot.slack import errors
from ticketbot.slack.client import KeptRespond, failure_reason, slack_client
from ticketbot.slack.install import install_flow
from ticketbot.slack.request import actor_of, is_external, profile_of, workspace_of
from ticketbot.slack.settings import seed_settings
from ticketbot.slack.workspaces import Installations, Workspaces, workspaces_of
from ticketbot.store.db import DEADLINE_VARIABLE, remaining, set_deadline

logger = logging.getLogger("ticketbot")


class _TokenOfTheClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and, given a client as well, warns at every start
    that the token is unused: the client it is given holds that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logger.addFilter(_TokenOfTheClient())

# Slack waits three seconds for the answer; the database work before it gets this much.
STORE_BUDGET = 2.0
# A trigger_id is good for three seconds after the click; a modal opened with it must be sent
# by then, the call's own round trip included.
TRIGGER_LIFE = 2.5
DEFAULT_WORKERS = 4
DEFAULT_CAPACITY = 256


def work_queue(workers: int = DEFAULT_WORKERS, capacity: int = DEFAULT_CAPACITY) -> WorkQueue:
    """The queue of what listeners start after their ack; tasks start without the request's
    database deadline."""
    return WorkQueue(workers=workers, capacity=capacity, forget=[DEADLINE_VARIABLE])


def _single_workspace_app(client, common: dict) -> App:
    """Bolt checks the token (auth.test) as it builds the app, and a token Slack refuses stops
    the worker's boot, as it should. When Slack cannot be reached at all (an outage, the
    network not up yet), the worker still starts and Bolt checks the token on the first
    request instead: gunicorn stops the whole server when a worker fails to boot.
    `app.slack_reached`: whether Slack answered (nothing else asks it again at start)."""
    try:
        app = App(client=client, **common)
    except OSError as error:  # no answer from Slack at all (a refusal raises BoltError)
        logger.warning(
            "Slack not reachable at start (%s): the token is checked on the first request",
            failure_reason(error),
        )
        app = App(client=client, token_verification_enabled=False, **common)
        app.slack_reached = False  # type: ignore[attr-defined]
    else:
        app.slack_reached = True  # type: ignore[attr-defined]
    return app


def build_app(
    runtime: Runtime, *, work: WorkQueue | None = None, workspaces: Workspaces | None = None
) -> App:
    """`workspaces`: who the app serves (default: as the environment says); `app.workspaces`
    keeps it for the scheduled passes."""
    settings = runtime.settings
    settings.require("slack_signing_secret")
    assert settings.slack_signing_secret
    if workspaces is None:
        workspaces = workspaces_of(settings, runtime.database, runtime.pacer)
    queue = work if work is not None else work_queue()
    common = dict(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        logger=logger,
        process_before_response=True,
        # A request no listener takes (an event the app does not follow, a button of an old
        # message) goes to the error handler, which answers 200 rather than Bolt's 404.
        raise_error_for_unhandled_request=True,
    )
    if isinstance(workspaces, Installations):
        # Bolt's own client: the OAuth code exchange and auth.test of the authorize step.
        base = slack_client(settings, token=None, pacer=runtime.pacer)
        flow = install_flow(
            settings, workspaces, base, on_installed=lambda team: seed_settings(runtime, team)
        )
        flow.settings.authorize = InstallationStoreAuthorize(
            logger=logger,
            installation_store=workspaces.store,
            client_id=flow.settings.client_id,
            client_secret=flow.settings.client_secret,
            token_rotation_expiration_minutes=flow.settings.token_rotation_expiration_minutes,
            bot_only=True,
            cache_enabled=True,  # auth.test once per token, not before every ack
            client=base,
        )
        app = App(client=base, oauth_flow=flow, **common)
    else:
        app = _single_workspace_app(workspaces.client_for(None), common)
    app.work_queue = queue  # type: ignore[attr-defined]  (for shutdown and tests)
    app.workspaces = workspaces  # type: ignore[attr-defined]

    def clients(body, context):
        """The kept-alive client of the request's workspace, and its quick one."""
        if not workspaces.oauth:
            return workspaces.client_for(None), workspaces.quick_for(None)
        team, token = workspace_of(body) or context.team_id, context.bot_token
        return workspaces.client_for(team, token), workspaces.quick_for(team, token)

    @app.middleware
    def _provide(body, context, next):
        set_deadline(STORE_BUDGET)  # from the request's arrival, as the trigger's life
        if body.get("trigger_id"):
            arrived = time.monotonic() + (remaining() or 0.0) - STORE_BUDGET
            trigger_expires(arrived + TRIGGER_LIFE)
        workspace = workspace_of(body)
        if runtime.home_workspace is None and runtime.settings.slack_bot_token:
            runtime.home_workspace = workspace or None  # one workspace: the one Slack names
        client, quick = clients(body, context)
        context["runtime"] = runtime
        context["workspaces"] = workspaces
        context["client"] = client  # Bolt's own per-request client would not keep connections
        context["quick"] = quick
        if context.response_url:  # Bolt's respond would open a connection for each answer
            context["respond"] = KeptRespond(response_url=context.response_url)
        context["later"] = errors.Later(queue, body=body, client=client)
        with acting_for(workspace):  # this workspace's settings: who is an agent, the listener
            actor = actor_of(body)
            context["viewer"] = (
                runtime.directory.viewer(
                    quick, actor, external=is_external(body), profile=profile_of(body)
                )
                if actor
                else None
            )
            answer_in(runtime.directory.language(quick, actor))
            return next()

    errors.register(app)
    register_all(app)
    return app
