"""Events: a reaction raises a ticket; replies in a card's thread become comments."""

from __future__ import annotations

import hashlib
import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.handlers.common import permalink, runtime_of, viewer_of
from ticketbot.handlers.publishing import publish_new_ticket
from ticketbot.handlers.shortcuts import title_from
from ticketbot.i18n import _
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.events import first_delivery
from ticketbot.services.finder import ticket_from_message
from ticketbot.services.inputs import TEXT_MAX, TicketDraft, clean_text, validate
from ticketbot.vocabulary import Source

logger = logging.getLogger("ticketbot.events")


def raise_claim(workspace_id: str, channel_id: str, ts: str) -> str:
    """A pseudo event id for "raise a ticket from this message": recorded like an event, the
    first transaction to record it wins, so people reacting at the same moment raise one."""
    digest = hashlib.sha256(f"{workspace_id}/{channel_id}/{ts}".encode()).hexdigest()
    return f"raise:{digest[:40]}"


def fetch_message(client: WebClient, channel_id: str, ts: str) -> dict | None:
    """The message a reaction points at, whether in the channel or inside a thread."""
    try:
        found = (
            client.conversations_history(
                channel=channel_id, latest=ts, inclusive=True, limit=1
            ).get("messages")
            or []
        )
        if found and found[0].get("ts") == ts:
            return found[0]
        replies = client.conversations_replies(
            channel=channel_id, ts=ts, oldest=ts, inclusive=True, limit=2
        )
        found = [m for m in replies.get("messages") or [] if m.get("ts") == ts]
        return found[0] if found else None
    except SlackApiError as error:
        logger.info("cannot read %s/%s: %s", channel_id, ts, error.response.get("error"))
        return None


def register(app: App) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, client: WebClient, context):
        runtime = runtime_of(context)
        item = event.get("item") or {}
        if event.get("reaction") != runtime.config.reaction_emoji or item.get("type") != "message":
            return
        channel_id, ts = item["channel"], item["ts"]
        workspace_id = body.get("team_id", "")
        with runtime.database.transaction() as session:
            if ticket_from_message(
                session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts
            ):
                return  # someone already raised this message
        message = fetch_message(client, channel_id, ts)
        if message is None:
            client.chat_postEphemeral(
                channel=channel_id,
                user=event["user"],
                text=_("I cannot read that message. Invite me to the channel, then react again."),
            )
            return
        text = message.get("text") or ""
        draft = validate(
            TicketDraft,
            {
                "title": title_from(text) or _("Ticket from a message"),
                "description": clean_text(text)[:TEXT_MAX],
                "source": Source.REACTION,
                "origin_channel_id": channel_id,
                "origin_ts": ts,
            },
        )
        link = permalink(client, channel_id, ts)
        viewer = viewer_of(context, client, event["user"])
        with runtime.database.transaction() as session:
            if not first_delivery(
                session=session, event_id=body["event_id"], now=runtime.clock.now()
            ):
                return
            # Concurrent reactions wait here for each other (ticket_from_message cannot see a
            # ticket another transaction has not committed yet); the later ones then stop.
            if not first_delivery(
                session=session,
                event_id=raise_claim(workspace_id, channel_id, ts),
                now=runtime.clock.now(),
            ):
                return
            if ticket_from_message(
                session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts
            ):
                return
            ticket = ticket_service.create_ticket(
                session=session,
                workspace_id=workspace_id,
                draft=draft,
                requester_id=event["user"],
                now=runtime.clock.now(),
                policy=runtime.policy,
            )
            link_service.link_conversation(
                session=session,
                ticket=ticket,
                viewer=viewer,
                channel_id=channel_id,
                message_ts=ts,
                permalink=link,
                now=runtime.clock.now(),
            )
        publish_new_ticket(runtime, client, ticket, response_url=None, origin=(channel_id, ts))

    @app.event("message")
    def on_message(event: dict, body: dict, client: WebClient, context):
        subtype = event.get("subtype")
        if subtype == "message_changed":
            _follow_edit(runtime_of(context), event)
            return
        if subtype == "message_deleted":
            _follow_deletion(runtime_of(context), event)
            return
        if subtype not in (None, "thread_broadcast") or event.get("bot_id"):
            return  # joins, bot posts and other housekeeping are not comments
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return
        runtime = runtime_of(context)
        channel_id = event["channel"]
        with runtime.database.transaction() as session:
            ticket = link_service.ticket_for_thread(
                session=session, channel_id=channel_id, thread_ts=thread_ts
            )
            if ticket is None or not first_delivery(
                session=session, event_id=body["event_id"], now=runtime.clock.now()
            ):
                return
            viewer = viewer_of(context, client, event["user"])
            comment_service.add_comment(
                session=session,
                ticket=ticket,
                viewer=viewer,
                text=event.get("text") or " ",
                now=runtime.clock.now(),
                slack_channel_id=channel_id,
                slack_ts=event["ts"],
            )


def _follow_edit(runtime, event: dict) -> None:
    message = event.get("message") or {}
    if not message.get("thread_ts") or message.get("bot_id"):
        return
    with runtime.database.transaction() as session:
        comment_service.edit_comment_from_slack(
            session=session,
            channel_id=event["channel"],
            ts=message.get("ts", ""),
            text=message.get("text") or "",
            now=runtime.clock.now(),
        )


def _follow_deletion(runtime, event: dict) -> None:
    with runtime.database.transaction() as session:
        comment_service.delete_comment_from_slack(
            session=session,
            channel_id=event["channel"],
            ts=event.get("deleted_ts", ""),
            now=runtime.clock.now(),
        )
