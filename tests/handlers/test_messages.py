"""Replies in a card's thread end to end: files shared there, whose reply is a first
response, and what a deletion in Slack leaves behind."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.steps import (
    AGENT,
    OTHER,
    REQUESTER,
    TRIAGE,
    card_action,
    command,
    create_ticket,
    opened,
    texts,
    ticket,
)
from tests.support.thread_messages import deleted, edited, file_reply, reply, shared_file
from ticketbot.ids import ActionId
from ticketbot.store.models import Comment, TicketChange

LOG = shared_file("F0LOG00001", "boot-log.txt", user=AGENT)
PHOTO = shared_file(
    "F0IMG00001",
    "IMG_0042.png",
    title="Tray 2 <!channel> & jam",
    mimetype="image/png",
    filetype="png",
    user=AGENT,
)


def card_thread(slack) -> str:
    create_ticket(slack, "Printer jammed")
    return slack.card(1)["ts"]


def stored(slack) -> list[tuple[str, str, list[dict] | None]]:
    with slack.database.transaction() as session:
        rows = session.scalars(select(Comment).order_by(Comment.id)).all()
        return [(c.author_id, c.text, c.files) for c in rows]


def history_lines(slack) -> list[str]:
    view = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=AGENT))
    return [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"][1:]


def test_a_reply_sharing_files_is_a_comment_with_the_files_as_links(slack):
    thread = card_thread(slack)
    slack.clock.advance(timedelta(minutes=4))
    message = file_reply(
        "Here is the log", "1700000100.000100", thread, [LOG, PHOTO], user=AGENT, channel=TRIAGE
    )
    slack.send.event(message, event_id="Ev0FILES01")
    slack.send.event(message, event_id="Ev0FILES01", retry_num=1, retry_reason="http_timeout")
    slack.settle()

    files = [
        {"name": "boot-log.txt", "permalink": LOG["permalink"]},
        {"name": "Tray 2 <!channel> & jam", "permalink": PHOTO["permalink"]},  # the title
    ]
    assert stored(slack) == [(AGENT, "Here is the log", files)]
    assert ticket(slack).first_response_at == slack.clock.now()
    links = (
        f":paperclip: <{LOG['permalink']}|boot-log.txt> "
        f"<{PHOTO['permalink']}|Tray 2 &lt;!channel&gt; &amp; jam>"
    )
    assert history_lines(slack)[-1].endswith(
        f"<@{AGENT}> :lock: Here is the log\n{links}"
    )
    assert f"Here is the log\n{links}" in texts(command(slack, "show 1", user_id=AGENT))

    # An edit of the text keeps the files (Slack sends them with the edited message).
    slack.clock.advance(timedelta(minutes=1))
    slack.send.event(edited(message, "Here is the log of this morning", ts="1700000160.000100"))
    slack.settle()
    assert stored(slack) == [(AGENT, "Here is the log of this morning", files)]


def test_a_reply_that_is_only_a_file_is_still_a_comment(slack):
    thread = card_thread(slack)
    screenshot = shared_file(
        "F0IMG00002", "screenshot.png", mimetype="image/png", filetype="png", user=REQUESTER
    )
    slack.send.event(
        file_reply("", "1700000100.000100", thread, [screenshot], user=REQUESTER, channel=TRIAGE)
    )
    # A file the plan hides from apps comes with its id alone: nothing to keep.
    hidden = {"id": "F0HIDDEN01", "mode": "hidden_by_limit"}
    response = slack.send.event(
        file_reply("", "1700000100.000200", thread, [hidden], user=REQUESTER, channel=TRIAGE)
    )
    assert response.status_code == 200
    slack.settle()

    only = [{"name": "screenshot.png", "permalink": screenshot["permalink"]}]
    assert stored(slack) == [(REQUESTER, "", only)]
    assert ticket(slack).first_response_at is None  # the requester's own file answers nothing
    assert history_lines(slack)[-1].endswith(
        f"<@{REQUESTER}> :lock: :paperclip: <{screenshot['permalink']}|screenshot.png>"
    )


def test_only_an_agents_reply_in_the_thread_is_a_first_response(slack):
    thread = card_thread(slack)
    slack.clock.advance(timedelta(minutes=3))
    slack.send.event(reply("Same here on floor 2", "1700000100.000100", thread,
                           user=OTHER, channel=TRIAGE))  # fmt: skip
    slack.send.event(reply("Any news?", "1700000100.000200", thread,
                           user=REQUESTER, channel=TRIAGE))  # fmt: skip
    slack.settle()
    assert [author for author, _text, _files in stored(slack)] == [OTHER, REQUESTER]
    assert ticket(slack).first_response_at is None

    slack.clock.advance(timedelta(minutes=7))
    slack.send.event(reply("On my way", "1700000100.000300", thread, user=AGENT, channel=TRIAGE))
    slack.settle()
    assert ticket(slack).first_response_at == slack.clock.now()


def test_a_message_deleted_in_slack_leaves_only_a_line_in_the_history(slack):
    thread = card_thread(slack)
    secret = file_reply("My password is hunter2", "1700000100.000100", thread,
                        [shared_file("F0IMG00003", "hunter2.png", user=REQUESTER)],
                        user=REQUESTER, channel=TRIAGE)  # fmt: skip
    slack.send.event(secret, event_id="Ev0SECRET1")
    slack.settle()
    slack.clock.advance(timedelta(minutes=2))
    slack.send.event(deleted(secret, ts="1700000220.000100"))
    slack.settle()
    deleted_at = slack.clock.now()

    # What arrives after the deletion cannot bring the text back: a late edit, the original
    # message delivered again under another event id.
    slack.clock.advance(timedelta(minutes=1))
    slack.send.event(edited(secret, "My password is hunter2!", ts="1700000280.000100"))
    slack.send.event(secret, event_id="Ev0SECRET2", retry_num=3, retry_reason="http_error")
    slack.settle()

    assert stored(slack) == [(REQUESTER, "", None)]
    with slack.database.transaction() as session:
        [comment] = session.scalars(select(Comment)).all()
        assert comment.deleted_at == deleted_at
        lines = session.scalars(select(TicketChange).where(TicketChange.field == "comment")).all()
        assert [(c.new_value, c.actor_id, c.at) for c in lines] == [
            ("deleted", REQUESTER, deleted_at)
        ]
    view = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=AGENT))
    assert "hunter2" not in str(view)
    last = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"][-1]
    assert last.endswith(f"<@{REQUESTER}> :wastebasket: _Comment deleted_")
