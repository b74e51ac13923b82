"""The conversation in Slack kept on the ticket: replies in a card's thread become comments,
and follow their edits and deletions."""

from __future__ import annotations

from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services.access import Viewer
from ticketbot.services.events import first_delivery


def comment_from_thread(
    runtime: Runtime,
    *,
    event_id: str,
    viewer: Viewer,
    channel_id: str,
    thread_ts: str,
    ts: str,
    text: str,
) -> None:
    """A reply in a card's thread: a comment by its author, once however often Slack sends it."""
    with runtime.database.transaction() as session:
        ticket = link_service.ticket_for_thread(
            session=session, channel_id=channel_id, thread_ts=thread_ts
        )
        if ticket is None or not first_delivery(
            session=session, event_id=event_id, now=runtime.clock.now()
        ):
            return
        comment_service.add_comment(
            session=session,
            ticket=ticket,
            viewer=viewer,
            text=text or " ",
            now=runtime.clock.now(),
            slack_channel_id=channel_id,
            slack_ts=ts,
            outbound=runtime.outbound,
        )


def follow_edit(runtime: Runtime, *, channel_id: str, ts: str, text: str) -> None:
    with runtime.database.transaction() as session:
        comment_service.edit_comment_from_slack(
            session=session, channel_id=channel_id, ts=ts, text=text, now=runtime.clock.now()
        )


def follow_deletion(runtime: Runtime, *, channel_id: str, ts: str) -> None:
    with runtime.database.transaction() as session:
        comment_service.delete_comment_from_slack(
            session=session, channel_id=channel_id, ts=ts, now=runtime.clock.now()
        )
