"""Messages: replies in a ticket's threads (the card's, the requester's) become comments and
follow their edits and deletions; a direct message to the bot gets an answer."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.runtime import Runtime
from ticketbot.slack import conversation, relay
from ticketbot.slack.request import workspace_of

# A reply typed, also sent to the channel, or sharing files: each is a comment.
COMMENTS = (None, "thread_broadcast", "file_share")


def register(app: App) -> None:
    @app.event("message")
    def on_message(event: dict, body: dict, client, quick, runtime: Runtime, viewer, later):
        subtype = event.get("subtype")
        if subtype == "message_changed":
            message = event.get("message") or {}
            if message.get("thread_ts") and not message.get("bot_id"):
                relay.follow_edit(
                    runtime,
                    quick,
                    channel_id=event["channel"],
                    ts=message.get("ts", ""),
                    text=message.get("text") or "",
                    files=message.get("files"),
                )
            return
        if subtype == "message_deleted":
            relay.follow_deletion(
                runtime, channel_id=event["channel"], ts=event.get("deleted_ts", "")
            )
            return
        if subtype not in COMMENTS or event.get("bot_id") or viewer is None:
            return  # joins, bot posts and other housekeeping are not comments
        thread_ts = event.get("thread_ts")
        taken = False
        if thread_ts and thread_ts != event.get("ts"):
            taken = relay.reply_in_thread(
                runtime,
                quick,
                event_id=body["event_id"],
                author=viewer,
                channel_id=event["channel"],
                thread_ts=thread_ts,
                ts=event["ts"],
                text=event.get("text") or "",
                files=event.get("files"),
            )
        if not taken and event.get("channel_type") == "im":
            # A direct message outside any ticket's thread is not lost.
            later.soon(
                conversation.answer_direct_message,
                runtime,
                client,
                event_id=body["event_id"],
                workspace_id=workspace_of(body),
                viewer=viewer,
                channel_id=event["channel"],
            )
