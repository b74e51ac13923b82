"""Messages: replies in a card's thread become comments, and follow edits and deletions."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.runtime import Runtime
from ticketbot.slack import relay

# A reply typed, also sent to the channel, or sharing files: each is a comment.
COMMENTS = (None, "thread_broadcast", "file_share")


def register(app: App) -> None:
    @app.event("message")
    def on_message(event: dict, body: dict, runtime: Runtime, viewer):
        subtype = event.get("subtype")
        if subtype == "message_changed":
            message = event.get("message") or {}
            if message.get("thread_ts") and not message.get("bot_id"):
                relay.follow_edit(
                    runtime,
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
        if subtype not in COMMENTS or event.get("bot_id"):
            return  # joins, bot posts and other housekeeping are not comments
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return
        relay.comment_from_thread(
            runtime,
            event_id=body["event_id"],
            viewer=viewer,
            channel_id=event["channel"],
            thread_ts=thread_ts,
            ts=event["ts"],
            text=event.get("text") or "",
            files=event.get("files"),
        )
