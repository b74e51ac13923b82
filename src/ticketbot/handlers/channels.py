"""Channels the bot is invited to: whoever invited it chooses what the channel is for
(slack/setup.py)."""

from __future__ import annotations

from slack_bolt import Ack, App

from ticketbot.ids import ActionId
from ticketbot.runtime import Runtime
from ticketbot.slack import setup
from ticketbot.slack.request import workspace_of


def _bot_user(body: dict, runtime: Runtime, client) -> str:
    """The bot's own user id: the event's authorization names it, else auth.test."""
    for authorization in body.get("authorizations") or ():
        if isinstance(authorization, dict) and authorization.get("is_bot"):
            return authorization.get("user_id") or runtime.directory.bot_id(client)
    return runtime.directory.bot_id(client)


def register(app: App) -> None:
    @app.event("member_joined_channel")
    def on_member_joined(event: dict, body: dict, client, runtime: Runtime, later):
        inviter, channel = event.get("inviter"), event.get("channel")
        if not inviter or not channel or event.get("user") != _bot_user(body, runtime, client):
            return  # someone else joined, or the bot joined on its own
        later(setup.greet_invite, runtime, client, channel_id=channel, inviter=inviter)

    @app.action(ActionId.CHANNEL_ROLE)
    def on_channel_role(ack: Ack, body: dict, action: dict, client, runtime: Runtime, viewer,
                        respond, later):  # fmt: skip
        channel = (body.get("container") or {}).get("channel_id") or (
            body.get("channel") or {}
        ).get("id")
        value = str((action.get("selected_option") or {}).get("value") or "")
        later(_choose, runtime, client, respond, workspace_of(body), viewer, channel, value)
        ack()


def _choose(runtime: Runtime, client, respond, workspace: str, viewer, channel, value) -> None:
    answer = setup.choose_role(
        runtime, client, workspace_id=workspace, viewer=viewer, channel_id=channel, value=value
    )
    respond(replace_original=True, **answer)
