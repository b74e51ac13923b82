"""What Slack is told succeeded is stored, and what cannot be stored is said at once.

The database is made to refuse writes the way it does in production: another process holds
SQLite's write lock, or another transaction holds the ticket's row on PostgreSQL. Slack
waits three seconds for an answer; the bot answers in time either way, and nothing it
acknowledged is lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from tests.support.scenario import start_scenario
from tests.support.slack_payloads import plain
from tests.support.steps import (
    AGENT,
    TRIAGE,
    card_action,
    choose,
    create_ticket,
    opened,
    raised,
    ticket,
)
from ticketbot.app import STORE_BUDGET
from ticketbot.http.arrival import arrived
from ticketbot.ids import ActionId, InputId
from ticketbot.store.models import Comment, Ticket, TicketChange
from ticketbot.vocabulary import Status

TOO_LATE = "cannot reach its database right now"


@contextmanager
def writes_refused(slack) -> Iterator[None]:
    """Another process holds what a change needs until the block ends: SQLite's write lock
    (taken behind the bot's back, as the sqlite3 shell would), or every ticket's row lock."""
    database = slack.database
    if database.dialect == "sqlite":
        other = sqlite3.connect(database.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(database.url)
    with engine.connect() as other:
        other.execute(text("SELECT id FROM tickets FOR UPDATE"))
        try:
            yield
        finally:
            other.rollback()
    engine.dispose()


def comments(slack) -> list[str]:
    with slack.database.transaction() as session:
        return list(session.scalars(select(Comment.text).order_by(Comment.id)))


def _thread_reply(slack, card: dict, text: str) -> dict:
    return {
        "type": "message",
        "channel": TRIAGE,
        "user": AGENT,
        "text": text,
        "ts": "1700000500.000100",
        "thread_ts": card["ts"],
        "team": "T0TEAM001",
    }


def test_a_reply_that_cannot_be_stored_gets_a_503_and_is_stored_once_when_slack_retries(slack):
    create_ticket(slack)
    reply = _thread_reply(slack, slack.card(1), "Swapped the toner")
    with writes_refused(slack):
        refused = slack.send.event(reply, event_id="Ev0RELY0001")
    assert refused.status_code == 503  # Slack sends it again
    assert comments(slack) == []
    again = slack.send.event(reply, event_id="Ev0RELY0001", retry_num=1)
    assert again.status_code == 200
    assert comments(slack) == ["Swapped the toner"]
    assert slack.send.event(reply, event_id="Ev0RELY0001", retry_num=2).status_code == 200
    slack.settle()
    assert comments(slack) == ["Swapped the toner"]


def test_a_click_that_cannot_be_stored_is_answered_in_time_and_told_to_try_again(slack):
    create_ticket(slack)
    told = len(slack.fake.calls("response_url"))
    card = slack.card(1)  # read before the lock: the test's own reads would wait for it too
    block_id = next(b for b in card["blocks"] if b.get("type") == "actions")["block_id"]
    action = {"action_id": ActionId.STATUS, "block_id": block_id, **choose("in_progress")}
    with writes_refused(slack):
        response = slack.send.block_actions(
            [action], user_id=AGENT, channel_id=card["channel"], message=card
        )
        # Answered while the other writer still holds on: Slack shows no error of its own.
        assert response.status_code == 200
    [answer] = [c.args for c in slack.fake.wait_for("response_url", told + 1)[told:]]
    assert TOO_LATE in answer["text"] and answer["response_type"] == "ephemeral"
    slack.settle()
    assert ticket(slack).status is Status.OPEN
    with slack.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TicketChange)) == 0


def test_a_form_that_cannot_be_stored_stays_open_and_says_so(slack):
    create_ticket(slack)
    view = opened(slack, lambda: card_action(slack, ActionId.COMMENT))
    typed = {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain("Ordered a roller")}}
    with writes_refused(slack):
        response = slack.send.view_submission(view, typed, user_id=AGENT)
    assert response.status_code == 200
    assert TOO_LATE in response.json()["errors"][InputId.COMMENT_TEXT]
    assert comments(slack) == []


def test_a_comment_is_stored_before_its_form_is_answered(slack):
    create_ticket(slack)
    view = opened(slack, lambda: card_action(slack, ActionId.COMMENT))
    typed = {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain("Ordered a roller")}}
    response = slack.send.view_submission(view, typed, user_id=AGENT)
    assert response.status_code == 200
    # No waiting: once Slack has its answer, the comment is in the database.
    assert comments(slack) == ["Ordered a roller"]


class Queue:
    """How long each request waited for a free server thread before the app saw it."""

    seconds = 0.0


@pytest.fixture
def queued(database, fake_slack, clock, config):
    """The app behind a server that says each request waited `Queue.seconds` for a thread,
    as gunicorn's worker does (http/server.py)."""
    queue = Queue()

    def wrap(application):
        def waited(environ, start_response):
            arrived(time.monotonic() - queue.seconds)
            return application(environ, start_response)

        return waited

    scenario = start_scenario(database, fake_slack, clock, config, wrap=wrap)
    slack = next(scenario)
    slack.queue = queue
    yield slack
    scenario.close()


def test_a_click_that_waited_its_budget_for_a_thread_is_told_to_try_again(queued):
    slack = queued
    create_ticket(slack)
    card = slack.card(1)
    block_id = next(b for b in card["blocks"] if b.get("type") == "actions")["block_id"]
    action = {"action_id": ActionId.STATUS, "block_id": block_id, **choose("in_progress")}
    told = len(slack.fake.calls("response_url"))
    slack.queue.seconds = STORE_BUDGET  # Slack's three seconds are nearly up already
    response = slack.send.block_actions(
        [action], user_id=AGENT, channel_id=card["channel"], message=card
    )
    assert response.status_code == 200
    [answer] = [c.args for c in slack.fake.wait_for("response_url", told + 1)[told:]]
    assert TOO_LATE in answer["text"] and answer["response_type"] == "ephemeral"
    slack.settle()
    assert ticket(slack).status is Status.OPEN
    with slack.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TicketChange)) == 0
    # The same click, taken at once, is applied: the budget counts from each request's arrival.
    slack.queue.seconds = 0.0
    card_action(slack, ActionId.STATUS, **choose("in_progress"))
    slack.settle()
    assert ticket(slack).status is Status.IN_PROGRESS


def test_a_reply_that_waited_its_budget_for_a_thread_gets_a_503_and_is_stored_on_retry(queued):
    slack = queued
    create_ticket(slack)
    reply = _thread_reply(slack, slack.card(1), "Swapped the toner")
    slack.queue.seconds = STORE_BUDGET + 0.5
    assert slack.send.event(reply, event_id="Ev0LATE0001").status_code == 503
    assert comments(slack) == []
    slack.queue.seconds = 0.0
    assert slack.send.event(reply, event_id="Ev0LATE0001", retry_num=1).status_code == 200
    assert comments(slack) == ["Swapped the toner"]


def test_a_form_that_waited_its_budget_for_a_thread_stays_open_and_says_so(queued):
    slack = queued
    create_ticket(slack)
    view = opened(slack, lambda: card_action(slack, ActionId.COMMENT))
    typed = {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain("Ordered a roller")}}
    slack.queue.seconds = STORE_BUDGET
    response = slack.send.view_submission(view, typed, user_id=AGENT)
    assert response.status_code == 200
    assert TOO_LATE in response.json()["errors"][InputId.COMMENT_TEXT]
    assert comments(slack) == []


def test_healthz_reads_without_queueing_behind_a_writer(slack):
    with writes_refused(slack):
        health = requests.get(f"{slack.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": True}


def test_a_new_cards_place_is_recorded_before_its_permalink_is_asked(slack):
    """A click on a brand-new card is never lost from it: by the time the bot asks Slack for
    the card's permalink, the card's place is already known to every later change."""
    seen: list[str | None] = []
    original = slack.fake.methods["chat.getPermalink"]

    def permalink(args):
        if args.get("channel") == TRIAGE:
            with slack.database.transaction() as session:
                seen.append(session.scalars(select(Ticket.card_ts)).first())
        return original(args)

    slack.fake.methods["chat.getPermalink"] = permalink
    create_ticket(slack)
    assert seen and seen[0] is not None
    assert seen[0] == slack.card(1)["ts"]


def test_a_card_post_whose_answer_was_lost_is_found_not_posted_again(slack):
    from datetime import timedelta

    from slack_sdk import WebClient

    from ticketbot.jobs.cards import catch_up_cards

    slack.fake.fail_next("chat.postMessage", status=200, drop=True)  # posted; answer lost
    slack.send.command("new Laptop screen flickers")
    view = slack.fake.wait_for("views.open")[0].args["view"]
    raised(slack, lambda: slack.send.view_submission(view, {}))  # the requester still hears
    slack.settle()
    client = WebClient(token="xoxb-test", base_url=slack.fake.api_url)
    slack.clock.advance(timedelta(minutes=1))
    catch_up_cards(slack.runtime, client)  # whichever pass gets there first finds it
    cards = [m for (c, _ts), m in slack.fake.messages.items() if c == TRIAGE]
    assert len(cards) == 1  # found, recorded and updated: not posted a second time
    assert ticket(slack).card_ts == slack.card(1)["ts"]
    posts = [c for c in slack.fake.calls("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert len(posts) == 1


def test_racing_deliverers_post_a_missing_card_once(slack, database_url):
    from slack_sdk import WebClient

    from ticketbot.jobs.cards import catch_up_cards
    from ticketbot.runtime import Runtime
    from ticketbot.store.db import Database

    slack.fake.fail_next("chat.postMessage", status=200, error="service_unavailable")
    slack.send.command("new Projector dead")
    view = slack.fake.wait_for("views.open")[0].args["view"]
    raised(slack, lambda: slack.send.view_submission(view, {}))
    slack.settle()
    assert ticket(slack).card_ts is None  # the card waits in its outbox
    from datetime import timedelta

    slack.clock.advance(timedelta(minutes=2))
    barrier = threading.Barrier(3)
    landed: list[int] = []

    def replica() -> None:
        own = Database(database_url)
        runtime = Runtime(
            settings=slack.runtime.settings,
            config=slack.runtime.config,
            database=own,
            clock=slack.clock,
        )
        client = WebClient(token="xoxb-test", base_url=slack.fake.api_url)
        barrier.wait()
        landed.append(catch_up_cards(runtime, client))
        own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(landed) == [0, 0, 1]
    posted = [c for c in slack.fake.calls("chat.postMessage") if not c.failed]
    assert [c.args["channel"] for c in posted if c.args["channel"] == TRIAGE] == [TRIAGE]
