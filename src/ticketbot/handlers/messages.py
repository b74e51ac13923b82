"""Messages: a new message in a request channel raises a ticket of its queue (or asks its
author, or joins their ticket of a moment ago); replies in a ticket's threads (the card's,
the requester's) become comments and follow their edits and deletions; a direct message to
the bot gets an answer."""

from __future__ import annotations

from slack_bolt import Ack, App

from ticketbot.ids import ActionId
from ticketbot.runtime import Runtime
from ticketbot.services.intake import Verdict, verdict
from ticketbot.slack import conversation, intake, relay
from ticketbot.slack.publish import publish_new_ticket
from ticketbot.slack.request import workspace_of
from ticketbot.views.intake import capture_done
from ticketbot.vocabulary import Source

# A reply typed, also sent to the channel, or sharing files: each is a comment.
COMMENTS = (None, "thread_broadcast", "file_share")


def _follow_change(runtime: Runtime, quick, body: dict, event: dict) -> None:
    message = event.get("message") or {}
    if message.get("bot_id"):
        return
    channel, ts = event["channel"], message.get("ts", "")
    text, files = message.get("text") or "", message.get("files")
    requests = runtime.config.queue_of_channel(channel) is not None
    if requests and message.get("edited") and message.get("thread_ts") in (None, ts):
        intake.follow_origin_edit(
            runtime, workspace_id=workspace_of(body), channel_id=channel, ts=ts, text=text,
            files=files,
        )  # fmt: skip
    if message.get("thread_ts") or requests:  # a reply, or a message that joined a ticket
        relay.follow_edit(runtime, quick, channel_id=channel, ts=ts, text=text, files=files)


def _capture(runtime: Runtime, body: dict, event: dict, quick, client, viewer, later) -> bool:
    """A new top-level message in a request channel. False: the channel is no queue's."""
    queue = runtime.config.queue_of_channel(event.get("channel"))
    if queue is None:
        return False
    found = verdict(
        queue, subtype=event.get("subtype"), bot=bool(event.get("bot_id")),
        text=event.get("text") or "", author=viewer,
    )  # fmt: skip
    channel, ts = event["channel"], event["ts"]
    if found is Verdict.ASK:
        if intake.note_asked(runtime, event_id=body["event_id"]):
            later.soon(intake.ask_author, runtime, client, queue, channel, viewer.user_id, ts)
    elif found is Verdict.TICKET:
        captured = intake.capture_message(
            runtime, quick, workspace_id=workspace_of(body), event_id=body["event_id"],
            author=viewer, queue=queue, channel_id=channel, ts=ts,
            text=event.get("text") or "", files=event.get("files"),
        )  # fmt: skip
        if isinstance(captured, intake.Joined):
            later.soon(intake.tell_joined, runtime, client, captured, channel)
        elif captured is not None:
            later.soon(publish_new_ticket, runtime, client, captured)
    return True


def register(app: App) -> None:
    @app.event("message")
    def on_message(event: dict, body: dict, client, quick, runtime: Runtime, viewer, later):
        subtype = event.get("subtype")
        if subtype == "message_changed":
            _follow_change(runtime, quick, body, event)
            return
        if subtype == "message_deleted":
            channel, ts = event["channel"], event.get("deleted_ts", "")
            relay.follow_deletion(runtime, channel_id=channel, ts=ts)
            intake.follow_origin_deletion(
                runtime, workspace_id=workspace_of(body), channel_id=channel, ts=ts
            )
            return
        if viewer is None:
            return  # a bot's post, or housekeeping without an author
        thread_ts = event.get("thread_ts")
        top_level = not thread_ts or thread_ts == event.get("ts")
        if top_level and _capture(runtime, body, event, quick, client, viewer, later):
            return
        if subtype not in COMMENTS or event.get("bot_id"):
            return  # joins, bot posts and other housekeeping are not comments
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

    @app.action(ActionId.CAPTURE_RAISE)
    def on_capture_raise(ack: Ack, body: dict, action: dict, quick, client, runtime, viewer, later,
                         respond):  # fmt: skip
        channel = (body.get("container") or {}).get("channel_id") or (
            body.get("channel") or {}
        ).get("id")
        ts = str(action.get("value") or "")
        try:
            new = intake.raise_from_message(
                runtime, quick, workspace_id=workspace_of(body),
                event_id=f"asked:{channel}:{ts}:{viewer.user_id}", requester=viewer,
                channel_id=channel, ts=ts, source=Source.REQUEST_CHANNEL,
            )  # fmt: skip
        except intake.Unreadable:
            ack()
            later.soon(intake.cannot_read, client, channel, viewer.user_id)
            return
        ack()
        if new is not None:
            later.soon(publish_new_ticket, runtime, client, new)
            later.soon(respond, **capture_done(new.ticket.number))
        else:
            later.soon(respond, delete_original=True)

    @app.action(ActionId.CAPTURE_DISMISS)
    def on_capture_dismiss(ack: Ack, respond, later):
        ack()
        later.soon(respond, delete_original=True)
