"""`/ticket`: open the create form, show, list, search, the FAQ, a report, help."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.runtime import Runtime
from ticketbot.services.access import Viewer
from ticketbot.services.errors import NotFound
from ticketbot.services.finder import Scope
from ticketbot.slack import screens, setup
from ticketbot.slack.forms import ModalContext
from ticketbot.slack.reports import send_report
from ticketbot.slack.request import workspace_of
from ticketbot.views.lists import help_message
from ticketbot.views.notices import notice
from ticketbot.views.text import safe
from ticketbot.vocabulary import Source

COMMAND = "/ticket"
_SHOW = re.compile(r"^(?:show\s+)?#?(\d{1,9})$", re.IGNORECASE)


def _answer(
    runtime: Runtime, client: WebClient, respond: Respond, body: dict, viewer: Viewer, text: str
) -> dict | None:
    """The ephemeral answer to `/ticket <text>`; None when the answer went elsewhere."""
    word, _sep, rest = text.partition(" ")
    word = word.lower()
    workspace_id = workspace_of(body)
    shown = _SHOW.match(text)
    if shown:
        try:
            return screens.ticket_screen(
                runtime, workspace_id=workspace_id, number=int(shown.group(1)), viewer=viewer
            )
        except NotFound as missing:
            return notice(missing.message)
    if word == "list":
        try:
            scope = Scope(rest.lower() or Scope.OPEN)
        except ValueError:
            unknown = _("Unknown list *{name}*. Try open, mine, assigned, waiting, closed or all.")
            return notice(unknown.format(name=safe(rest, 50)))
        return screens.list_screen(runtime, workspace_id=workspace_id, viewer=viewer, scope=scope)
    if word == "report":
        send_report(runtime, client, respond, workspace_id=workspace_id, viewer=viewer, text=rest)
        return None
    if word == "faq":
        return screens.faq_screen(runtime, workspace_id=workspace_id, viewer=viewer, words=rest)
    if word == "search":
        return screens.search_screen(runtime, workspace_id=workspace_id, viewer=viewer, query=rest)
    message = help_message(COMMAND)
    message["blocks"].insert(
        0, notice(_("I did not understand “{text}”.").format(text=safe(text, 200)))["blocks"][0]
    )
    return message


def _open_create_form(runtime: Runtime, client: WebClient, body: dict, viewer, title: str):
    form = screens.create_form(
        runtime,
        context=ModalContext(
            source=Source.SLASH_COMMAND,
            channel_id=body.get("channel_id"),
            response_url=body.get("response_url"),
        ),
        workspace_id=workspace_of(body),
        user_id=viewer.user_id,
        title=title,
    )
    client.views_open(trigger_id=body["trigger_id"], view=form)


def _reply(runtime: Runtime, client: WebClient, respond: Respond, body: dict, viewer, text: str):
    if text.split(" ")[0].lower() == "help":
        respond(response_type="ephemeral", **help_message(COMMAND))
        return
    answer = _answer(runtime, client, respond, body, viewer, text)
    if answer is not None:
        respond(response_type="ephemeral", **answer)


def register(app: App) -> None:
    @app.command(COMMAND)
    def on_ticket_command(
        ack: Ack, body: dict, respond: Respond, client: WebClient, runtime: Runtime, viewer, later
    ):
        text = " ".join((body.get("text") or "").split())
        word, _sep, rest = text.partition(" ")
        waiting = None if word.lower() == "help" else setup.not_set_up_notice(runtime)
        if waiting is not None:  # nowhere for tickets to go yet: say who can set it up
            ack(response_type="ephemeral", **waiting)
            return
        if word.lower() in ("", "new", "create"):
            later(_open_create_form, runtime, client, body, viewer, rest)
        else:
            later(_reply, runtime, client, respond, body, viewer, text)
        ack()
