"""The one error handler: typed domain errors become polite messages, the rest is logged once.

Listeners answer Slack on the request's own thread, so an error raised before the answer
decides the answer itself: a slash command gets the message as its ephemeral reply, a form
gets it under its first field, a click gets it by `response_url` (or an ephemeral message),
and an Events API delivery that could not be stored gets a 503, so that Slack sends it
again. An error in the work after the answer (`Later`) is told to the person the same way.
Nothing is ever answered with a traceback."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from ticketbot.concurrency import Busy, WorkQueue
from ticketbot.i18n import _
from ticketbot.services.errors import TicketbotError
from ticketbot.slack.client import SLACK_FAILURES, KeptWebhookClient, Paced, failure_reason
from ticketbot.slack.forms import errors_on
from ticketbot.views.notices import notice

logger = logging.getLogger("ticketbot.errors")
JSON = {"content-type": ["application/json;charset=utf-8"]}


def user_message(error: Exception) -> tuple[str, str | None]:
    """What to tell the user, and an error id when the error was unexpected."""
    if isinstance(error, TicketbotError):
        return error.message, None
    if isinstance(error, (Busy, Paced)):
        # The work queue is full, or Slack's budget for the call is spent for now.
        busy = _("ticketbot is very busy right now. Nothing was changed: try again in a moment.")
        return busy, None
    if isinstance(error, SQLAlchemyError):
        return _(
            "ticketbot cannot reach its database right now. Nothing was changed: "
            "please try again in a minute."
        ), None
    if isinstance(error, SLACK_FAILURES):
        slow = _("Slack is not answering ticketbot right now: please try again in a minute.")
        return slow, None
    error_id = uuid.uuid4().hex[:8]
    return _(
        "Something went wrong on our side (error {error_id}). Nothing was lost: please try again."
    ).format(error_id=error_id), error_id


def _log(error: Exception, error_id: str | None, body: dict) -> None:
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    if error_id is not None:
        logger.exception(
            "unexpected error in %s", kind, exc_info=error, extra={"error_id": error_id}
        )
    elif isinstance(error, Busy):
        logger.warning("%s refused: the work queue is full", kind)
    elif isinstance(error, Paced):
        logger.warning("%s refused: %s", kind, error)
    elif isinstance(error, SLACK_FAILURES):
        logger.warning("Slack unavailable for %s: %s", kind, failure_reason(error))
    elif not isinstance(error, TicketbotError):
        logger.warning("database unavailable for %s: %s", kind, error.__class__.__name__)


def tell(body: dict, client: WebClient, message: dict) -> None:
    """Reach the user privately wherever the request came from."""
    user = body.get("user")
    user_id = (user.get("id") if isinstance(user, dict) else None) or body.get("user_id")
    channel = body.get("channel")
    channel_id = (channel.get("id") if isinstance(channel, dict) else None) or body.get(
        "channel_id"
    )
    try:
        if body.get("response_url"):
            answer = {"response_type": "ephemeral", "replace_original": False, **message}
            sent = KeptWebhookClient(body["response_url"], timeout=5).send_dict(answer)
            if sent.status_code == 200:
                return
        if user_id and channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
        elif user_id:
            client.chat_postMessage(channel=user_id, **message)
    except (*SLACK_FAILURES, ValueError) as failure:
        # The user cannot be reached; the log line above is what remains.
        logger.warning("could not tell the user about an error: %s", failure_reason(failure))


def _first_input(view: dict) -> str | None:
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return block["block_id"]
    return None


def answer_error(
    error: Exception, body: dict, response: BoltResponse, client: WebClient, told: Any
) -> None:
    """Decide Slack's answer to a request whose listener raised before it was answered.

    `told(message)` reaches the person after the answer (a click has no answer to hold it)."""
    if isinstance(error, BoltUnhandledRequestError):
        _unhandled(body)
        response.status, response.body, response.headers = 200, "", {}
        return
    text, error_id = user_message(error)
    _log(error, error_id, body)
    response.headers = {}
    response.body = ""
    if body.get("type") == "event_callback":
        # Not stored: Slack sends it again later. Stored or refused: it is done with.
        unavailable = isinstance(error, (SQLAlchemyError, Busy, *SLACK_FAILURES))
        response.status = 503 if unavailable else 200
        return
    response.status = 200
    message = notice(text)
    if "command" in body:
        response.body = json.dumps({"response_type": "ephemeral", **message})
        response.headers = dict(JSON)
        return
    view = body.get("view")
    if body.get("type") == "view_submission" and isinstance(view, dict):
        block_id = _first_input(view)
        if block_id is not None:
            response.body = json.dumps(errors_on(block_id, text.replace("*", "")))
            response.headers = dict(JSON)
            return
    told(message)


def _unhandled(body: dict) -> None:
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    if kind == "app_rate_limited":
        # Slack drops the app's events for the rest of this minute: worth an operator's eye.
        minute = body.get("minute_rate_limited")
        logger.warning(
            "Slack rate-limited the app's events for the minute starting %s (team %s)",
            minute,
            body.get("team_id"),
        )
        return
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    logger.info("no listener for %s %s", kind, event.get("type") or body.get("callback_id") or "")


class Later:
    """What a listener runs after its answer, on the bounded work queue, with its failure told
    to the person like any other. Raises `Busy` at once when the queue is full."""

    def __init__(self, queue: WorkQueue, *, body: dict, client: WebClient) -> None:
        self._queue, self._body, self._client = queue, body, client

    def __call__(self, fn, /, *args, **kwargs) -> None:
        self._queue.submit(self._run, fn, args, kwargs)

    def soon(self, fn, /, *args, **kwargs) -> None:
        """For what follows a change already stored and marked for its card: when the queue
        is full it is skipped (and logged), never refused to the person."""
        self._unless_full(None, fn, args, kwargs)

    def once(self, key: object, fn, /, *args, **kwargs) -> None:
        """For a refresh rendered when it runs (an App Home): left to the one of the same
        `key` still waiting its turn, and skipped as `soon` when the queue is full, where
        Slack keeps showing what was published last."""
        self._unless_full(key, fn, args, kwargs)

    def _unless_full(self, key: object, fn, args: tuple, kwargs: dict) -> None:
        try:
            self._queue.submit_once(key, self._run, fn, args, kwargs)  # key None: no coalescing
        except Busy:
            logger.warning("work after the ack skipped, the queue is full: %s", fn.__name__)

    def _run(self, fn, args: tuple, kwargs: dict) -> None:
        # The work queue runs it in a copy of the request's context: for the same workspace.
        try:
            fn(*args, **kwargs)
        except Exception as error:
            text, error_id = user_message(error)
            _log(error, error_id, self._body)
            tell(self._body, self._client, notice(text))

    def tell(self, message: dict) -> None:
        """Tell the person something after the answer; on this thread when the queue is full."""
        try:
            self._queue.submit(tell, self._body, self._client, message)
        except Busy:
            tell(self._body, self._client, message)


def register(app: App) -> None:
    @app.error
    def handle_error(
        error: Exception, body: dict, response: BoltResponse, client: WebClient, context
    ) -> None:
        later = context.get("later")
        told = later.tell if later is not None else (lambda message: tell(body, client, message))
        answer_error(error, body if isinstance(body, dict) else {}, response, client, told)
