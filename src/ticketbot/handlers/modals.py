"""Modal submissions: create, edit, close with a solution, comment, link a message."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from ticketbot.i18n import _
from ticketbot.ids import CallbackId, InputId
from ticketbot.runtime import Runtime
from ticketbot.services.access import Viewer
from ticketbot.services.errors import InvalidInput, StaleTicket, TicketbotError
from ticketbot.services.inputs import TicketDraft, TicketEdit, clean_text, validate
from ticketbot.slack import flows, screens
from ticketbot.slack.forms import ModalContext, changed, error_for, submitted, text_of
from ticketbot.slack.publish import (
    echo_comment,
    publish_new_ticket,
    reply_in_thread,
)
from ticketbot.slack.request import workspace_of
from ticketbot.views.history import stale_message
from ticketbot.vocabulary import Status

logger = logging.getLogger("ticketbot.forms")

FORM_FIELDS = {
    InputId.TITLE: "title",
    InputId.DESCRIPTION: "description",
    InputId.PRIORITY: "priority",
    InputId.ENGAGEMENT: "engagement",
    InputId.CATEGORY: "category",
    InputId.ASSIGNEE: "assignee_id",
    InputId.PRODUCT: "product",
    InputId.VISIBILITY: "visibility",
    InputId.QUEUE: "queue",
    InputId.SOLUTION: "solution",
}


def _fields(values: dict) -> dict:
    return {FORM_FIELDS[b]: v for b, v in values.items() if b in FORM_FIELDS}


def _offer_queue(runtime: Runtime, client, view: dict, key: str) -> None:
    try:
        client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=screens.form_for_queue(runtime, view, key),
        )
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        logger.info("queue choices skipped for a form that changed meanwhile")


def register(app: App) -> None:
    @app.action(InputId.QUEUE)
    def on_queue_chosen(ack: Ack, body: dict, action: dict, client, runtime: Runtime, later):
        """A queue chosen in the create or edit form: its categories and products offered."""
        view = body.get("view") or {}
        key = (action.get("selected_option") or {}).get("value") or ""
        ack()
        if view.get("id") and view.get("callback_id") in (
            CallbackId.CREATE_MODAL, CallbackId.EDIT_MODAL
        ):  # fmt: skip
            later.soon(_offer_queue, runtime, client, view, key)

    @app.view(CallbackId.CREATE_MODAL)
    def on_create(ack: Ack, body: dict, view: dict, client, quick, runtime: Runtime, viewer, later):
        meta = ModalContext.load(view)
        values = submitted(view)
        data = {k: v for k, v in _fields(values).items() if v not in (None, "")}
        data.pop("solution", None)
        data.update(
            source=meta.source,
            origin_channel_id=meta.channel_id if meta.message_ts else None,
            origin_ts=meta.message_ts,
        )
        try:
            draft = validate(TicketDraft, data)
        except InvalidInput as error:
            ack(**error_for(error.field, error.message))
            return
        origin = (meta.channel_id, meta.message_ts) if meta.channel_id and meta.message_ts else None
        try:
            new = flows.raise_ticket(
                runtime,
                quick,
                workspace_id=workspace_of(body),
                draft=draft,
                requester=viewer,
                origin=origin,
                party_choice=values.get(InputId.PARTY),
            )
        except InvalidInput as error:  # the party asked for cannot be added
            ack(**error_for(error.field, error.message))
            return
        ack()
        later.soon(publish_new_ticket, runtime, client, new)

    @app.view(CallbackId.EDIT_MODAL)
    def on_edit(ack: Ack, body: dict, view: dict, runtime: Runtime, viewer: Viewer):
        meta = ModalContext.load(view)
        values = changed(view)
        try:
            wanted = validate(TicketEdit, _fields(values))  # bad input first, nothing read yet
        except InvalidInput as error:
            ack(**error_for(error.field, error.message))
            return

        try:
            flows.edit_ticket(
                runtime,
                workspace_id=workspace_of(body),
                number=meta.number or 0,
                viewer=viewer,
                edit=wanted,
                party_choice=values.get(InputId.PARTY, flows.KEEP),
                expected_version=meta.version,
            )
        except StaleTicket as error:
            ack(**error_for(None, stale_message(error)))
            return
        except TicketbotError as error:  # refused, gone or invalid: said in the form
            ack(**error_for(error.field, error.message))
            return
        ack()

    @app.view(CallbackId.CLOSE_MODAL)
    def on_close(ack: Ack, body: dict, view: dict, quick, runtime: Runtime, viewer):
        meta = ModalContext.load(view)
        solution = clean_text(text_of(view, InputId.SOLUTION))
        if not solution:
            ack(**error_for("solution", _("A solution is required to close a ticket.")))
            return
        flows.set_status(
            runtime,
            quick,
            workspace_id=workspace_of(body),
            number=meta.number or 0,
            viewer=viewer,
            status=Status.CLOSED,
            solution=solution,
        )  # the requester hears of it, with the rating buttons
        ack()

    @app.view(CallbackId.COMMENT_MODAL)
    def on_comment(ack: Ack, body: dict, view: dict, client, runtime: Runtime, viewer, later):
        meta = ModalContext.load(view)
        text = text_of(view, InputId.COMMENT_TEXT)
        if not clean_text(text):
            ack(**error_for("comment", _("A comment cannot be empty.")))
            return
        ticket, comment = flows.add_comment(
            runtime, workspace_id=workspace_of(body), number=meta.number or 0, viewer=viewer,
            text=text,
        )  # fmt: skip
        ack()
        if comment is not None:
            later.soon(echo_comment, runtime, client, ticket, comment)

    @app.view(CallbackId.LINK_MODAL)
    def on_link(ack: Ack, body: dict, view: dict, client, quick, runtime: Runtime, viewer, later):
        meta = ModalContext.load(view)
        choice = submitted(view).get(InputId.TICKET_PICKER)
        if not choice or not str(choice).isdigit():
            ack(**error_for("ticket", _("Pick a ticket.")))
            return
        if not meta.channel_id or not meta.message_ts:
            ack(**error_for("ticket", _("This form is out of date: please open it again.")))
            return
        ticket = flows.link_message(
            runtime,
            quick,
            workspace_id=workspace_of(body),
            number=int(choice),
            viewer=viewer,
            channel_id=meta.channel_id,
            message_ts=meta.message_ts,
        )
        ack()
        later.soon(
            reply_in_thread, runtime, client, meta.channel_id, meta.message_ts, ticket,
            ticket.card_permalink, linked=True,
        )  # fmt: skip
