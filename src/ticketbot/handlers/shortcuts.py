"""Shortcuts: Create ticket and Link to ticket on a message; New ticket anywhere."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.handlers.commands import open_create_modal
from ticketbot.handlers.common import ModalContext, runtime_of, user_of, workspace_of
from ticketbot.i18n import _
from ticketbot.ids import ActionId, CallbackId
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX, clean_line, clean_text
from ticketbot.views.forms import link_modal
from ticketbot.vocabulary import Source


def title_from(text: str) -> str:
    """The first non-empty line of a message, as a ticket title."""
    for line in (text or "").splitlines():
        cleaned = clean_line(line)
        if cleaned:
            return cleaned[:TITLE_MAX]
    return ""


def register(app: App) -> None:
    @app.shortcut(CallbackId.SHORTCUT_CREATE)
    def on_create_from_message(ack: Ack, body: dict, client: WebClient, context):
        ack()
        message = body.get("message") or {}
        text = message.get("text") or ""
        open_create_modal(
            client,
            runtime_of(context),
            body["trigger_id"],
            title=title_from(text),
            description=clean_text(text)[:TEXT_MAX],
            context=ModalContext(
                source=Source.MESSAGE_SHORTCUT,
                channel_id=(body.get("channel") or {}).get("id"),
                message_ts=body.get("message_ts") or message.get("ts"),
                response_url=body.get("response_url"),
            ),
            note=_("The message will be linked to the new ticket."),
            workspace_id=workspace_of(body),
            user_id=user_of(body),
        )

    @app.shortcut(CallbackId.SHORTCUT_LINK)
    def on_link_message(ack: Ack, body: dict, client: WebClient):
        ack()
        message = body.get("message") or {}
        meta = ModalContext(
            channel_id=(body.get("channel") or {}).get("id"),
            message_ts=body.get("message_ts") or message.get("ts"),
            response_url=body.get("response_url"),
        )
        client.views_open(
            trigger_id=body["trigger_id"],
            view=link_modal(metadata=meta.dump(), excerpt=message.get("text") or ""),
        )

    @app.shortcut(CallbackId.SHORTCUT_NEW)
    def on_new_ticket(ack: Ack, body: dict, client: WebClient, context):
        ack()
        open_create_modal(
            client,
            runtime_of(context),
            body["trigger_id"],
            context=ModalContext(source=Source.GLOBAL_SHORTCUT),
        )

    @app.action(ActionId.NEW_TICKET)
    def on_home_new_ticket(ack: Ack, body: dict, client: WebClient, context):
        ack()
        open_create_modal(
            client,
            runtime_of(context),
            body["trigger_id"],
            context=ModalContext(source=Source.APP_HOME),
        )
