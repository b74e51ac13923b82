"""The message deliverer: post each queued message once (a relayed reply, a notification),
then apply the edits and deletions that follow its source.

Claimed like every outbox row (jobs/outbox.py). A message goes where its ticket says when it
is posted (the card's thread, the requester's conversation); one whose place is not there
yet (the card still being posted) waits a moment. Each post carries metadata naming its row,
so one whose answer was lost is found in the channel instead of posted again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from ticketbot.jobs.outbox import Outbox, new_token, of_workspace
from ticketbot.runtime import Runtime
from ticketbot.services.conversation import status_place
from ticketbot.services.messages import CARD, DELETE, EDIT, REQUESTER, SENT
from ticketbot.slack.client import SLACK_FAILURES, UNCERTAIN, failure_reason
from ticketbot.slack.request import posted_with_metadata
from ticketbot.store.models import OutgoingMessage, Ticket

logger = logging.getLogger("ticketbot.messages")
BATCH = 50
MESSAGE_EVENT = "ticketbot_message"
NOT_YET = timedelta(seconds=10)  # a place not known yet (a card being posted) is asked again
OUTBOX = Outbox(OutgoingMessage, lease=timedelta(minutes=2), max_attempts=12)
# Slack's answers that no retry can change: the message is given up on at once.
FINAL = frozenset({"channel_not_found", "is_archived", "not_in_channel", "user_not_found",
                   "message_not_found", "cant_update_message", "cant_delete_message"})  # fmt: skip


Place = tuple[str, str | None, bool]  # channel, thread_ts, also shown in the conversation


def _place(row: OutgoingMessage, ticket: Ticket) -> Place | None:
    """Where the message goes now; None: not known yet.

    In the requester's direct message the conversation is the status message's thread, which
    Slack notifies nobody of until they took part in it: what is for them is also shown in
    the direct message (`reply_broadcast`), which notifies. Under a message of theirs in a
    channel they follow the thread already, and the channel is not told."""
    if row.channel == CARD:
        if not (ticket.card_channel_id and ticket.card_ts):
            return None
        return ticket.card_channel_id, ticket.card_ts, False
    if row.channel == REQUESTER:
        if not (ticket.conversation_channel_id and ticket.conversation_ts):
            return None
        direct = not status_place(ticket).in_channel
        return ticket.conversation_channel_id, ticket.conversation_ts, direct
    return row.channel, row.thread_ts, False


def _metadata(row: OutgoingMessage) -> dict:
    return {"event_type": MESSAGE_EVENT, "event_payload": {"message_id": row.id}}


def _post(client: WebClient, row: OutgoingMessage, place: Place) -> tuple:
    channel, thread_ts, broadcast = place
    if row.last_error == UNCERTAIN:  # the last post may have gone through: look first
        for conversation, ts, payload in posted_with_metadata(client, channel, MESSAGE_EVENT):
            if payload == _metadata(row)["event_payload"]:
                return conversation, ts
    extra = {"reply_broadcast": True} if broadcast and thread_ts else {}
    answer = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, metadata=_metadata(row), **extra, **row.message
    )
    return answer["channel"], answer["ts"]


def deliver_messages(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    workspace_id: str | None = None,
) -> tuple[int, int]:
    """One pass: how many rows it claimed, and how many it posted, edited or deleted."""
    now = now or runtime.clock.now()
    token = new_token()
    database = runtime.database
    context: dict[int, tuple[Ticket, OutgoingMessage | None]] = {}

    def load(session, rows: list[OutgoingMessage]) -> None:
        tickets = {
            t.id: t
            for t in session.scalars(
                select(Ticket).where(Ticket.id.in_({r.ticket_id for r in rows}))
            ).unique()
        }
        for row in rows:
            edited = session.get(OutgoingMessage, row.edits_id) if row.edits_id else None
            context[row.id] = (tickets[row.ticket_id], edited)

    where = of_workspace(OutgoingMessage.ticket_id, workspace_id)
    rows = OUTBOX.claim(database, now=now, token=token, limit=BATCH, where=where, then=load)
    done = 0
    for row in rows:
        ticket, edited = context[row.id]
        try:
            if row.kind in (EDIT, DELETE):
                if edited is None or edited.state != SENT:  # the copy is not out yet
                    OUTBOX.release(database, row, token, at=now + NOT_YET)
                    continue
                if row.kind == EDIT:
                    client.chat_update(
                        channel=edited.posted_channel, ts=edited.posted_ts, **row.message
                    )
                else:
                    client.chat_delete(channel=edited.posted_channel, ts=edited.posted_ts)
                posted = (edited.posted_channel, edited.posted_ts)
            else:
                place = _place(row, ticket)
                if place is None:
                    OUTBOX.release(database, row, token, at=now + NOT_YET)
                    continue
                posted = _post(client, row, place)
        except SLACK_FAILURES as error:
            reason = failure_reason(error)
            if isinstance(error, SlackApiError) and reason in FINAL:
                logger.warning("message %s for #%s given up: %s", row.id, ticket.number, reason)
                OUTBOX.record(database, [row.id], token, state="failed", last_error=reason)
            else:
                OUTBOX.retry(database, row, token, now=runtime.clock.now(), error=reason)
            continue
        OUTBOX.record(
            database,
            [row.id],
            token,
            state=SENT,
            posted_channel=posted[0],
            posted_ts=posted[1],
            sent_at=runtime.clock.now(),
            attempts=row.attempts + 1,
        )
        done += 1
    return len(rows), done
