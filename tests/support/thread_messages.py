"""Message events in a card's thread as the Events API delivers them: a reply, a reply that
shares files, its edit and its deletion.

Shapes follow Slack's `message` event reference and its subtypes (`file_share`,
`message_changed`, `message_deleted`): the file objects carry what Slack's `files.info`
documents for a file shared in a channel, of which ticketbot reads `title`, `name` and
`permalink`."""

from __future__ import annotations

from typing import Any

from tests.support.slack_payloads import TEAM_ID

JsonDict = dict[str, Any]


def reply(text: str, ts: str, thread_ts: str, *, user: str, channel: str, **extra) -> JsonDict:
    return {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "team": TEAM_ID,
        **extra,
    }


def shared_file(
    file_id: str,
    name: str,
    *,
    user: str,
    title: str | None = None,
    mimetype: str = "text/plain",
    filetype: str = "text",
) -> JsonDict:
    """A file as a `file_share` message carries it."""
    return {
        "id": file_id,
        "created": 1700000100,
        "timestamp": 1700000100,
        "name": name,
        "title": name if title is None else title,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": user,
        "user_team": TEAM_ID,
        "editable": filetype == "text",
        "size": 2048,
        "mode": "snippet" if filetype == "text" else "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": True,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{file_id}/{name}",
        "url_private_download": (
            f"https://files.slack.com/files-pri/{TEAM_ID}-{file_id}/download/{name}"
        ),
        "permalink": f"https://test.slack.com/files/{user}/{file_id}/{name}",
        "permalink_public": f"https://slack-files.com/{TEAM_ID}-{file_id}-5a8b2c",
        "has_rich_preview": False,
        "file_access": "visible",
    }


def file_reply(
    text: str, ts: str, thread_ts: str, files: list[JsonDict], *, user: str, channel: str
) -> JsonDict:
    """A reply that shares files (`subtype: file_share`); its text may be empty."""
    return reply(
        text,
        ts,
        thread_ts,
        user=user,
        channel=channel,
        subtype="file_share",
        files=files,
        upload=False,
        display_as_bot=False,
        client_msg_id="6b3c1f0e-2d5a-4c1b-9e7f-0a1b2c3d4e5f",
    )


def edited(message: JsonDict, text: str, *, ts: str, **changes) -> JsonDict:
    """The `message_changed` event Slack sends when `message` is edited to `text`."""
    after = {**message, "text": text, "edited": {"user": message["user"], "ts": ts}, **changes}
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": message["channel"],
        "channel_type": "channel",
        "ts": ts,
        "message": {k: v for k, v in after.items() if k != "channel"},
        "previous_message": {k: v for k, v in message.items() if k != "channel"},
    }


def deleted(message: JsonDict, *, ts: str) -> JsonDict:
    """The `message_deleted` event Slack sends when `message` is deleted."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": message["channel"],
        "channel_type": "channel",
        "ts": ts,
        "deleted_ts": message["ts"],
        "previous_message": {k: v for k, v in message.items() if k != "channel"},
    }
