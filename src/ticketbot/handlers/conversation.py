"""The conversation with the requester: Reply to requester and Follow on the card, Reply,
Close, Reopen and Followers on the requester's status message, their forms, and how much
each person hears (App Home)."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.runtime import Runtime
from ticketbot.services.inputs import clean_text
from ticketbot.slack import conversation, screens
from ticketbot.slack.forms import ModalContext, error_for, errors_on, submitted, text_of
from ticketbot.slack.request import ticket_number, workspace_of
from ticketbot.views import conversation as views
from ticketbot.views.notices import notice

REPLY_REQUIRED = "A reply cannot be empty."


def _open(form, runtime: Runtime, client: WebClient, body: dict, action: dict, viewer) -> None:
    ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
    meta = ModalContext(number=ticket.number).dump()
    client.views_open(trigger_id=body["trigger_id"], view=form(ticket, metadata=meta))


def _open_followers(runtime: Runtime, client: WebClient, body: dict, action: dict, viewer):
    workspace, number = workspace_of(body), ticket_number(action)
    ticket = screens.load_ticket(runtime, workspace, number, viewer)
    followers = conversation.follower_ids(
        runtime, workspace_id=workspace, number=number, viewer=viewer
    )
    form = views.followers_modal(
        ticket, followers=followers, metadata=ModalContext(number=number).dump()
    )
    client.views_open(trigger_id=body["trigger_id"], view=form)


def register(app: App) -> None:
    @app.action(ActionId.REPLY_TO_REQUESTER)
    def on_reply_button(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, views.reply_modal, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.STATUS_REPLY)
    def on_answer_button(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, views.answer_modal, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.STATUS_CLOSE)
    def on_close_button(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, views.resolve_modal, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.STATUS_FOLLOWERS)
    def on_followers_button(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open_followers, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.STATUS_REOPEN)
    def on_reopen(ack: Ack, body: dict, action: dict, quick, runtime, viewer):
        conversation.reopen(
            runtime, quick, workspace_id=workspace_of(body), number=ticket_number(action),
            viewer=viewer,
        )  # fmt: skip
        ack()

    @app.action(ActionId.FOLLOW)
    def on_follow(ack: Ack, body: dict, action: dict, runtime, viewer, later):
        ticket, following = conversation.toggle_follow(
            runtime, workspace_id=workspace_of(body), number=ticket_number(action), viewer=viewer
        )
        ack()
        said = (
            _("You follow #{number}: you hear what its requester hears.")
            if following
            else _("You no longer follow #{number}.")
        )
        later.tell(notice(said.format(number=ticket.number)))

    @app.action(ActionId.NOTIFY_LEVEL)
    def on_notify_level(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        level = (action.get("selected_option") or {}).get("value") or ""
        conversation.choose_notifications(
            runtime, workspace_id=workspace_of(body), viewer=viewer, level=level
        )
        ack()

    @app.view(CallbackId.REPLY_MODAL)
    def on_reply(ack: Ack, body: dict, view: dict, quick, runtime: Runtime, viewer):
        text = text_of(view, InputId.REPLY_TEXT)
        if not clean_text(text):
            ack(**errors_on(InputId.REPLY_TEXT, _(REPLY_REQUIRED)))
            return
        waiting = "waiting" in (submitted(view).get(InputId.REPLY_WAITING) or [])
        conversation.agent_reply(
            runtime, quick, workspace_id=workspace_of(body),
            number=ModalContext.load(view).number or 0, viewer=viewer, text=text, waiting=waiting,
        )  # fmt: skip
        ack()

    @app.view(CallbackId.ANSWER_MODAL)
    def on_answer(ack: Ack, body: dict, view: dict, quick, runtime: Runtime, viewer):
        text = text_of(view, InputId.REPLY_TEXT)
        if not clean_text(text):
            ack(**errors_on(InputId.REPLY_TEXT, _(REPLY_REQUIRED)))
            return
        conversation.requester_answer(
            runtime, quick, workspace_id=workspace_of(body),
            number=ModalContext.load(view).number or 0, viewer=viewer, text=text,
        )  # fmt: skip
        ack()

    @app.view(CallbackId.RESOLVE_MODAL)
    def on_resolve(ack: Ack, body: dict, view: dict, quick, runtime: Runtime, viewer):
        conversation.resolve(
            runtime, quick, workspace_id=workspace_of(body),
            number=ModalContext.load(view).number or 0, viewer=viewer,
            solution=text_of(view, InputId.SOLUTION),
        )  # fmt: skip
        ack()

    @app.view(CallbackId.FOLLOWERS_MODAL)
    def on_followers(ack: Ack, body: dict, view: dict, runtime: Runtime, viewer):
        users = submitted(view).get(InputId.FOLLOWERS) or []
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            ack(**error_for("followers", _("Pick the followers again."), InputId.FOLLOWERS))
            return
        conversation.set_followers(
            runtime, workspace_id=workspace_of(body), number=ModalContext.load(view).number or 0,
            viewer=viewer, users=users,
        )  # fmt: skip
        ack()
