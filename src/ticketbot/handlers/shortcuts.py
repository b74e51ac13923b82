"""Shortcuts: Create ticket and Link to ticket on a message; New ticket anywhere."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.ids import ActionId, CallbackId
from ticketbot.runtime import Runtime
from ticketbot.services.inputs import TEXT_MAX, clean_text, title_from
from ticketbot.slack.forms import ModalContext
from ticketbot.slack.request import user_of, workspace_of
from ticketbot.slack.screens import create_form
from ticketbot.views.forms import link_modal
from ticketbot.vocabulary import Source


def _open_create_from_message(runtime: Runtime, client: WebClient, body: dict) -> None:
    message = body.get("message") or {}
    text = message.get("text") or ""
    form = create_form(
        runtime,
        context=ModalContext(
            source=Source.MESSAGE_SHORTCUT,
            channel_id=(body.get("channel") or {}).get("id"),
            message_ts=body.get("message_ts") or message.get("ts"),
            response_url=body.get("response_url"),
        ),
        workspace_id=workspace_of(body),
        user_id=user_of(body),
        title=title_from(text),
        description=clean_text(text)[:TEXT_MAX],
        note=_("The message will be linked to the new ticket."),
    )
    client.views_open(trigger_id=body["trigger_id"], view=form)


def _open_link_form(client: WebClient, body: dict) -> None:
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


def _open_create_form(runtime: Runtime, client: WebClient, body: dict, source: Source) -> None:
    form = create_form(runtime, context=ModalContext(source=source))
    client.views_open(trigger_id=body["trigger_id"], view=form)


def register(app: App) -> None:
    @app.shortcut(CallbackId.SHORTCUT_CREATE)
    def on_create_from_message(ack: Ack, body: dict, client: WebClient, runtime: Runtime, later):
        later(_open_create_from_message, runtime, client, body)
        ack()

    @app.shortcut(CallbackId.SHORTCUT_LINK)
    def on_link_message(ack: Ack, body: dict, client: WebClient, later):
        later(_open_link_form, client, body)
        ack()

    @app.shortcut(CallbackId.SHORTCUT_NEW)
    def on_new_ticket(ack: Ack, body: dict, client: WebClient, runtime: Runtime, later):
        later(_open_create_form, runtime, client, body, Source.GLOBAL_SHORTCUT)
        ack()

    @app.action(ActionId.NEW_TICKET)
    def on_home_new_ticket(ack: Ack, body: dict, client: WebClient, runtime: Runtime, later):
        later(_open_create_form, runtime, client, body, Source.APP_HOME)
        ack()
