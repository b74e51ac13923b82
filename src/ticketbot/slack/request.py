"""Who and where a payload is from: its workspace, its user, the ticket an action is about;
and permalinks to messages."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.ids import ticket_number_from_block
from ticketbot.services.errors import InvalidInput, NotFound
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.vocabulary import Status

logger = logging.getLogger("ticketbot.slack")
LOOK_BACK = 100  # messages read, newest first, when looking for one posted unrecorded


def workspace_of(body: dict) -> str:
    """The workspace that installed the bot, whose tickets a request is about. In a channel
    shared with another organisation (Slack Connect) an event's `team_id` and a click's
    `team` are the sender's workspace: the installing one is in the event's
    `authorizations`, and in a view's `app_installed_team_id`."""
    for authorization in body.get("authorizations") or ():
        if isinstance(authorization, dict) and authorization.get("team_id"):
            return authorization["team_id"]
    view = body.get("view")
    if isinstance(view, dict) and view.get("app_installed_team_id"):
        return view["app_installed_team_id"]
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return team["id"]
    user = body.get("user")
    return body.get("team_id") or (user.get("team_id") if isinstance(user, dict) else None) or ""


def _event(body: dict) -> dict:
    event = body.get("event")
    return event if isinstance(event, dict) else {}


def is_external(body: dict) -> bool:
    """Whether the person acting belongs to another organisation (Slack Connect): their
    workspace is not the installing one, and, for events, the channel is shared outside
    the organisation (workspaces of one Enterprise Grid organisation are not strangers)."""
    workspace = workspace_of(body)
    event = _event(body)
    if event:
        team = event.get("user_team") or (event.get("user_profile") or {}).get("team")
        return bool(body.get("is_ext_shared_channel") and team and team != workspace)
    user = body.get("user")
    team = user.get("team_id") if isinstance(user, dict) else None
    return bool(team and workspace and team != workspace and not body.get("enterprise"))


def profile_of(body: dict) -> dict | None:
    """The sender's profile an event carries (Slack sends it for people of other
    organisations, whom users.info may not show)."""
    profile = _event(body).get("user_profile")
    return profile if isinstance(profile, dict) else None


def user_of(body: dict) -> str:
    user = body.get("user")
    return user["id"] if isinstance(user, dict) else body.get("user_id", "")


def actor_of(body: dict) -> str | None:
    """Who is acting, whatever the kind of request."""
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    event = body.get("event") or {}
    return body.get("user_id") or event.get("user") or (user if isinstance(user, str) else None)


def ticket_number(action: dict) -> int:
    """The ticket an action is about: its block id ("ticket:42"), else the button's value."""
    number = ticket_number_from_block(action.get("block_id"))
    if number is None and str(action.get("value", "")).isdigit():
        number = int(action["value"])
    if number is None:
        raise NotFound(_("That ticket was not found."))
    return number


def chosen_status(action: dict) -> Status:
    """The status picked in the card's select."""
    value = (action.get("selected_option") or {}).get("value")
    try:
        return Status(value)
    except ValueError:
        raise InvalidInput(_("That status does not exist.")) from None


def is_ephemeral(body: dict) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def permalink(client: WebClient, channel_id: str | None, ts: str | None) -> str | None:
    """A link to a message, or None when Slack cannot give one (the message is gone, the
    bot is not in the channel, Slack is down)."""
    if not channel_id or not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel_id, message_ts=ts).get("permalink")
    except SLACK_FAILURES as error:
        logger.info("no permalink for %s/%s: %s", channel_id, ts, failure_reason(error))
        return None


def posted_with_metadata(
    client: WebClient, channel: str, event_type: str
) -> list[tuple[str, str, dict]]:
    """(conversation, ts, event payload) of each of the channel's latest messages that the
    bot posted with metadata of `event_type`: to learn what an earlier post whose answer was
    lost did after all (asked soon after, so the latest messages are where it would be)."""
    if channel[0] in "UW":  # a direct message: its conversation id first
        channel = client.conversations_open(users=channel)["channel"]["id"]
    found = client.conversations_history(
        channel=channel, limit=LOOK_BACK, include_all_metadata=True
    )
    return [
        (channel, message["ts"], (message.get("metadata") or {}).get("event_payload") or {})
        for message in found.get("messages") or []
        if (message.get("metadata") or {}).get("event_type") == event_type
    ]
