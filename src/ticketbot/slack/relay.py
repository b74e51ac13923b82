"""The conversation in Slack kept on the ticket: replies in a card's thread become comments,
and follow their edits and deletions."""

from __future__ import annotations

from typing import Any

from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services.access import Viewer
from ticketbot.services.comments import SharedFile
from ticketbot.services.events import first_delivery


def shared_files(files: Any) -> list[SharedFile] | None:
    """The `files` of a message as Slack sends them (None: the message has no such field).

    A file removed from the message (a tombstone) or one Slack keeps from us (hidden by the
    plan's limit, or only to be asked for) has no name in the payload, and is left out."""
    if not isinstance(files, list):
        return None
    found = []
    for item in files:
        if not isinstance(item, dict) or item.get("mode") == "tombstone":
            continue
        name, link = item.get("title") or item.get("name"), item.get("permalink")
        if isinstance(name, str) and name.strip():
            found.append(SharedFile(name, link if isinstance(link, str) else None))
    return found


def comment_from_thread(
    runtime: Runtime,
    *,
    event_id: str,
    viewer: Viewer,
    channel_id: str,
    thread_ts: str,
    ts: str,
    text: str,
    files: Any = None,
) -> None:
    """A reply in a card's thread: a comment by its author, once however often Slack sends it.
    Files shared with it come with it, as links."""
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
            text=text,
            files=shared_files(files) or (),
            now=runtime.clock.now(),
            slack_channel_id=channel_id,
            slack_ts=ts,
            outbound=runtime.outbound,
        )


def follow_edit(
    runtime: Runtime, *, channel_id: str, ts: str, text: str, files: Any = None
) -> None:
    with runtime.database.transaction() as session:
        comment_service.edit_comment_from_slack(
            session=session,
            channel_id=channel_id,
            ts=ts,
            text=text,
            files=shared_files(files),
            now=runtime.clock.now(),
        )


def follow_deletion(runtime: Runtime, *, channel_id: str, ts: str) -> None:
    with runtime.database.transaction() as session:
        comment_service.delete_comment_from_slack(
            session=session, channel_id=channel_id, ts=ts, now=runtime.clock.now()
        )
