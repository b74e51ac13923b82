"""Comments on both databases: whose words are a first response, files shared in a thread,
and what a deletion in Slack leaves behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, or_, select

from tests.support.factories import AGENT, OTHER_REQUESTER, REQUESTER, WORKSPACE, make_ticket
from ticketbot.services import comments, emails, history, tickets
from ticketbot.services.comments import SharedFile
from ticketbot.services.errors import InvalidInput
from ticketbot.services.export import export_tickets
from ticketbot.services.inputs import TicketEdit
from ticketbot.services.periods import parse_period
from ticketbot.services.reports import Durations, build_report
from ticketbot.store.models import Comment, TicketChange

H = timedelta(hours=1)


def first_response(database, clock):
    with database.snapshot() as s:
        period = parse_period("7d", now=clock.now(), timezone="UTC")
        report = build_report(session=s, workspace_id=WORKSPACE, period=period, now=clock.now())
    return report.first_response


def number_one(session):
    return tickets.get_ticket(session=session, workspace_id=WORKSPACE, number=1, viewer=AGENT)


def test_only_an_agents_answer_is_a_first_response(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())  # public, raised by REQUESTER
        clock.advance(H)
        comments.add_comment(
            session=s, ticket=ticket, viewer=OTHER_REQUESTER, text="Me too", now=clock.now()
        )
        assert ticket.first_response_at is None  # a colleague's "me too" answers nothing
        clock.advance(H)
        comments.add_comment(
            session=s, ticket=ticket, viewer=REQUESTER, text="Any news?", now=clock.now()
        )
        tickets.edit_ticket(
            session=s,
            ticket=ticket,
            edit=TicketEdit(title="Printer on floor 3 jammed again"),
            viewer=REQUESTER,
            now=clock.now(),
            policy=policy,
        )
        assert ticket.first_response_at is None
    assert first_response(database, clock) == Durations(0, None, None)

    with database.transaction() as s:
        clock.advance(H)
        ticket = number_one(s)
        comments.add_comment(
            session=s, ticket=ticket, viewer=AGENT, text="On my way", now=clock.now()
        )
        answered = clock.now()
        clock.advance(H)
        comments.add_comment(session=s, ticket=ticket, viewer=AGENT, text="Fixed", now=clock.now())
    assert first_response(database, clock) == Durations(1, 3 * H, 3 * H)
    with database.snapshot() as s:
        assert number_one(s).first_response_at == answered


def test_a_change_or_an_email_by_an_agent_is_a_first_response(database, clock, policy):
    with database.transaction() as s:
        assigned = make_ticket(s, policy=policy, now=clock.now())
        mailed = make_ticket(s, policy=policy, now=clock.now())
        own = make_ticket(s, policy=policy, now=clock.now(), requester=AGENT)
        clock.advance(H)
        tickets.assign(
            session=s, ticket=assigned, assignee_id=AGENT.user_id, viewer=AGENT, now=clock.now()
        )
        draft = emails.EmailDraft(to=("ops@example.com",), subject="Toner", body="Ordered")
        emails.record_email(
            session=s, ticket=mailed, viewer=AGENT, draft=draft, message_id="<1@x>", now=clock.now()
        )
        # An agent's words on a ticket they raised themselves answer nobody.
        comments.add_comment(session=s, ticket=own, viewer=AGENT, text="Noted", now=clock.now())
        assert (assigned.first_response_at, mailed.first_response_at) == (clock.now(),) * 2
        assert own.first_response_at is None
    assert first_response(database, clock) == Durations(2, H, H)


LOG = "https://test.slack.com/files/U0AGT0001/F0LOG00001/boot-log.txt"
IN_SLACK = dict(slack_channel_id="C0SUPPORT1", slack_ts="1700000100.000100")


def test_files_are_kept_with_clean_names_and_only_plain_https_links(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        shared = [
            SharedFile("boot\x00-log\u202e.txt", LOG),
            SharedFile("not a link", "javascript:alert(1)"),
            SharedFile("breaks out", LOG + "|click me>"),
            SharedFile("no link at all"),
            SharedFile(" \u200b ", LOG),  # nothing left of the name: left out
        ]
        kept = comments.add_comment(
            session=s, ticket=ticket, viewer=AGENT, text="", files=shared, now=clock.now()
        )
        assert (kept.text, kept.files) == (
            "",
            [
                {"name": "boot-log.txt", "permalink": LOG},
                {"name": "not a link", "permalink": None},
                {"name": "breaks out", "permalink": None},
                {"name": "no link at all", "permalink": None},
            ],
        )
        with pytest.raises(InvalidInput):  # no words and no file is no comment
            comments.add_comment(
                session=s, ticket=ticket, viewer=AGENT, text=" ", files=shared[4:], now=clock.now()
            )


def test_an_edit_changes_the_files_only_when_it_carries_them(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        log = SharedFile("boot-log.txt", LOG)
        comment = comments.add_comment(
            session=s, ticket=ticket, viewer=AGENT, text="Log", files=[log], now=clock.now(),
            **IN_SLACK,
        )  # fmt: skip
        edit = dict(session=s, channel_id="C0SUPPORT1", ts="1700000100.000100", now=clock.now())
        assert comments.edit_comment_from_slack(text="Log", files=[log], **edit) is None
        assert comment.edited_at is None  # Slack changed what it adds, not what was said
        clock.advance(H)
        edit["now"] = clock.now()
        comments.edit_comment_from_slack(text="The log", **edit)
        assert comment.edited_at == clock.now()
        kept = [{"name": "boot-log.txt", "permalink": LOG}]
        assert (comment.text, comment.files) == ("The log", kept)
        comments.edit_comment_from_slack(text="", **edit)  # the file still speaks for it
        assert (comment.text, comment.files) == ("", kept)
        assert comments.edit_comment_from_slack(text="", files=[], **edit) is None  # nothing left
        assert comment.files == kept
        comments.edit_comment_from_slack(text="Only words now", files=[], **edit)
        assert (comment.text, comment.files) == ("Only words now", None)


def test_a_comment_deleted_in_slack_keeps_no_text_and_the_history_says_so(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        comments.add_comment(
            session=s, ticket=ticket, viewer=REQUESTER, text="My password is hunter2",
            files=[SharedFile("hunter2.png", LOG)], now=clock.now(), **IN_SLACK,
        )  # fmt: skip
        version = ticket.version
    clock.advance(H)
    where = dict(channel_id="C0SUPPORT1", ts="1700000100.000100", now=clock.now())
    with database.transaction() as s:
        gone = comments.delete_comment_from_slack(session=s, **where)
        assert (gone.text, gone.files, gone.deleted_at) == ("", None, clock.now())
        assert comments.delete_comment_from_slack(session=s, **where) is None  # said once
    with database.transaction() as s:  # an edit arriving after the deletion changes nothing
        assert comments.edit_comment_from_slack(session=s, text="hunter2 again", **where) is None

    with database.snapshot() as s:
        ticket = number_one(s)
        said = or_(Comment.text.contains("hunter2"), Comment.files.is_not(None))
        assert s.scalar(select(func.count()).select_from(Comment).where(said)) == 0
        lines = [(c.field, c.old_value, c.new_value, c.actor_id, c.at) for c in
                 history.changes_page(session=s, ticket=ticket)[0]]  # fmt: skip
        assert lines == [("comment", None, "deleted", REQUESTER.user_id, clock.now())]
        assert not any("hunter2" in str(v) for v in s.scalars(select(TicketChange.new_value)))
        # Not a change of the ticket: no new version, nothing for a stale edit to report.
        assert ticket.version == version
        assert history.changes_since(session=s, ticket=ticket, version=version - 1) == []
        entries, _total = history.timeline_page(session=s, ticket=ticket)
        assert [(e.kind, e.field, e.new_value, e.text) for e in entries] == [
            ("change", "comment", "deleted", None)
        ]
        [exported] = export_tickets(session=s)
        assert [(c["text"], c["files"]) for c in exported["comments"]] == [(None, None)]
        assert [(h["field"], h["new_value"]) for h in exported["history"]] == [
            ("comment", "deleted")
        ]


def test_a_lone_surrogate_is_dropped_before_the_insert(database, clock, policy):
    # Half of a UTF-16 pair can come in JSON ("\ud800"); neither SQLite nor psycopg can encode
    # it, so stored as given it would fail the whole transaction.
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        comments.add_comment(
            session=s, ticket=ticket, viewer=AGENT, text="Swapped \ud800the toner", now=clock.now()
        )
    with database.snapshot() as s:
        assert s.scalars(select(Comment.text)).all() == ["Swapped the toner"]
