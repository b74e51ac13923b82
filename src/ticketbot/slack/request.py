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
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return team["id"]
    user = body.get("user")
    return body.get("team_id") or (user.get("team_id") if isinstance(user, dict) else None) or ""


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
