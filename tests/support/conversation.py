"""Steps for the conversation with the requester: the status message as Slack holds it, the
messages the bot posted in a place, replies written in Slack, and the agent's Reply to
requester form."""

from __future__ import annotations

from typing import Any

from tests.support.slack_payloads import checkboxes, plain
from tests.support.steps import AGENT, REQUESTER, card_action, opened, ticket
from ticketbot.ids import ActionId, CallbackId, InputId

DM = "D" + REQUESTER[1:]  # the fake opens a user's direct message as D + the rest of the id


def status_message(slack, number: int = 1) -> dict:
    """The requester's status message of the ticket, as Slack holds it once the app is idle."""
    slack.settle()
    raised = ticket(slack, number)
    assert raised.status_ts, "the status message was never recorded"
    message = slack.fake.message(raised.conversation_channel_id, raised.status_ts)
    return {"channel": raised.conversation_channel_id, **message}


def posts(slack, channel: str, *, thread_ts: str | None = None, since: int = 0) -> list[dict]:
    """What the bot posted in `channel` (in the thread `thread_ts`, when given), oldest first,
    of its chat.postMessage calls from the `since`-th on."""
    found = []
    for call in slack.fake.calls("chat.postMessage")[since:]:
        if call.failed or call.response["channel"] != channel:
            continue
        if thread_ts is not None and call.args.get("thread_ts") != thread_ts:
            continue
        found.append({**call.args, "ts": call.response["ts"]})
    return found


def post_count(slack) -> int:
    return len(slack.fake.calls("chat.postMessage"))


def said(message: dict) -> str:
    """Everything a person reads in a message: its text and every text of its blocks."""
    words: list[str] = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                words.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(words)


def written(
    channel: str,
    user: str,
    text: str,
    ts: str,
    *,
    thread_ts: str | None = None,
    channel_type: str = "im",
    **extra: Any,
) -> dict:
    """A message a person wrote in Slack, as its `message` event carries it."""
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "ts": ts,
        "team": "T0TEAM001",
        "blocks": [],
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def say(slack, event: dict, **delivery: Any):
    """A person's message lands in Slack (where the bot may ask for its link) and its event
    is sent to the app (`delivery`: event_id, retry_num... as Slack sets them)."""
    slack.fake.messages[(event["channel"], event["ts"])] = {
        k: v for k, v in event.items() if k not in ("channel", "channel_type")
    }
    return slack.send.event(event, **delivery)


def edited(original: dict, text: str, ts: str) -> dict:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": original["channel"],
        "channel_type": original.get("channel_type", "im"),
        "ts": ts,
        "message": {**original, "text": text, "edited": {"user": original["user"], "ts": ts}},
        "previous_message": original,
    }


def deleted(original: dict, ts: str) -> dict:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": original["channel"],
        "channel_type": original.get("channel_type", "im"),
        "ts": ts,
        "deleted_ts": original["ts"],
        "previous_message": original,
    }


def reply_to_requester(
    slack, text: str, *, number: int = 1, waiting: bool = False, user_id: str = AGENT
):
    """Reply to requester on the card: open the form, type, send. The form's answer."""
    form = opened(slack, lambda: card_action(slack, ActionId.REPLY_TO_REQUESTER, number=number,
                                             user_id=user_id))  # fmt: skip
    assert form["callback_id"] == CallbackId.REPLY_MODAL
    values = {InputId.REPLY_TEXT: {InputId.REPLY_TEXT: plain(text)}}
    if waiting:
        values[InputId.REPLY_WAITING] = {InputId.REPLY_WAITING: checkboxes(["waiting"])}
    return slack.send.view_submission(form, values, user_id=user_id)
