"""The FAQ: Convert to FAQ on a solved ticket, and suggestions in the create form as its
title is typed (`/ticket faq` is in commands.py)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.i18n import _
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.runtime import Runtime
from ticketbot.services.errors import TicketbotError
from ticketbot.services.inputs import clean_text
from ticketbot.slack import items, screens
from ticketbot.slack.forms import ModalContext, errors_on, states, text_of
from ticketbot.slack.request import ticket_number, workspace_of
from ticketbot.views.faq import with_suggestions

logger = logging.getLogger("ticketbot.faq")
FAQ_BLOCKS = {"question": InputId.FAQ_QUESTION, "answer": InputId.FAQ_ANSWER}


def register(app: App) -> None:
    @app.action(ActionId.FAQ_CONVERT)
    def on_convert(ack: Ack, body: dict, action: dict, client: WebClient, runtime, viewer, later):
        later(_open_faq_form, runtime, client, body, action, viewer)
        ack()

    @app.view(CallbackId.FAQ_MODAL)
    def on_convert_submitted(ack: Ack, body: dict, view: dict, runtime: Runtime, viewer):
        meta = ModalContext.load(view)
        question, answer = text_of(view, InputId.FAQ_QUESTION), text_of(view, InputId.FAQ_ANSWER)
        for field, text, word in (
            ("question", question, _("Question")),
            ("answer", answer, _("Answer")),
        ):
            if not clean_text(text):
                ack(**errors_on(FAQ_BLOCKS[field], _("{field} is required.").format(field=word)))
                return
        try:
            items.convert_to_faq(
                runtime,
                workspace_id=workspace_of(body),
                number=meta.number or 0,
                viewer=viewer,
                question=question,
                answer=answer,
            )
        except TicketbotError as error:  # refused, already there, too long: said in the form
            ack(**errors_on(FAQ_BLOCKS.get(error.field or "", InputId.FAQ_QUESTION), error.message))
            return
        ack()

    @app.action(InputId.TITLE)
    def on_title_entered(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        """Enter in the create form's Title: suggestions for it, the user's input kept."""
        view = body.get("view") or {}
        if view.get("callback_id") == CallbackId.CREATE_MODAL:
            later.soon(_suggest, runtime, client, body, action, viewer)
        ack()


def _open_faq_form(runtime: Runtime, client: WebClient, body: dict, action: dict, viewer):
    form = screens.faq_form(
        runtime, workspace_id=workspace_of(body), number=ticket_number(action), viewer=viewer
    )
    client.views_open(trigger_id=body["trigger_id"], view=form)


def _suggest(runtime: Runtime, client: WebClient, body: dict, action: dict, viewer) -> None:
    view = body["view"]
    hits = screens.suggestions(runtime, workspace_of(body), viewer, action.get("value") or "")
    if hits is None:
        return
    try:
        refreshed = with_suggestions(view, hits, states(view))
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=refreshed)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        # The form changed meanwhile (an earlier Enter landed): that one shows suggestions.
        logger.info("suggestions skipped for a form that changed meanwhile")
