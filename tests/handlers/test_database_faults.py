"""Database faults: a clear word to the user, a bot that keeps answering, nothing half-done."""

from __future__ import annotations

import logging

import pytest
import requests
from sqlalchemy import func, select

from tests.support.databases import end_connections
from tests.support.scenario import start_scenario
from tests.support.steps import create_ticket
from ticketbot.jobs.background import Nudged, database_outage
from ticketbot.jobs.scheduler import tick
from ticketbot.slack.client import slack_client
from ticketbot.store.db import Database
from ticketbot.store.models import Ticket

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


@pytest.fixture
def down(fake_slack, clock, config):
    database = Database(UNREACHABLE)
    scenario = start_scenario(database, fake_slack, clock, config)
    yield next(scenario)
    scenario.close()
    database.dispose()


def test_unreachable_database_gets_a_clear_ephemeral_answer_and_the_bot_keeps_going(down):
    assert requests.get(f"{down.url}/healthz", timeout=10).status_code == 503
    assert down.send.command("list").status_code == 200
    [answer] = [c.args for c in down.fake.wait_for("response_url")]
    assert answer["response_type"] == "ephemeral"
    assert "cannot reach its database" in answer["text"] and "Nothing was changed" in answer["text"]
    # Still alive: what needs no database still works, and so does a second request.
    assert down.send.command("help").status_code == 200
    down.fake.wait_for("response_url", 2)
    assert "ticketbot commands" in str(down.fake.calls("response_url")[1].args["blocks"])


def test_a_form_submitted_while_the_database_is_down_tells_the_user(down):
    down.send.command("new Printer")
    view = down.fake.wait_for("views.open")[0].args["view"]
    response = down.send.view_submission(view, {})
    # Nothing could be stored, so the form stays open and says so under its first field.
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "cannot reach its database" in answer["errors"]["title"]
    down.settle()
    assert down.fake.calls("chat.postMessage") == []


def test_an_outage_is_one_warning_line_from_the_background_work(down, caplog):
    """The card deliverer and the scheduled passes, caught by an outage again and again, say
    so once, as requests do: no ERROR, no traceback, then one line when it is over."""
    database_outage.passed()  # whatever an earlier test left
    caplog.clear()
    caplog.set_level(logging.INFO, logger="ticketbot")
    for _ in range(3):
        down.background.deliverer.kick()
        assert down.background.deliverer.wait_idle(10)
    failed = tick(down.runtime, slack_client(down.runtime.settings)).failed
    assert "cards" in failed and "deadline warnings" in failed
    jobs = [r for r in caplog.records if r.name == "ticketbot.jobs"]
    assert [(r.levelname, r.exc_info) for r in jobs] == [("WARNING", None)]
    assert "database unavailable for the deliverer pass" in jobs[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    database_outage.passed()
    assert caplog.records[-1].getMessage() == "database answers the scheduled work again"


def test_a_bug_in_background_work_keeps_its_traceback(caplog):
    def broken() -> bool:
        raise KeyError("ticket_id")

    nudged = Nudged("deliverer", broken)
    for _ in range(2):
        nudged.kick()
        assert nudged.wait_idle(10)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info for r in errors)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_connections_dropped_by_a_postgres_restart_are_replaced(slack, database, postgres_schema):
    create_ticket(slack, "Before the restart")
    dropped = end_connections(postgres_schema)  # every open connection of the bot's pool
    assert dropped >= 1
    create_ticket(slack, "After the restart")
    with database.transaction() as session:
        titles = list(session.scalars(select(Ticket.title).order_by(Ticket.number)))
        assert titles == ["Before the restart", "After the restart"]
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
