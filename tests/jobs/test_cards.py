"""A card Slack refused is brought up to date later; the database change stays."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from tests.support.slack_payloads import static
from tests.support.steps import TRIAGE, create_ticket, is_card_update, raised
from tests.support.steps import card_action as _card_action
from ticketbot.ids import ActionId
from ticketbot.jobs.cards import catch_up_cards
from ticketbot.store.models import CardRefresh, Ticket
from ticketbot.vocabulary import Status


def test_failed_card_update_keeps_the_change_and_catches_up(slack, database):
    create_ticket(slack)
    slack.fake.fail_next("chat.update", status=200, error="service_unavailable", channel=TRIAGE)
    _card_action(slack, ActionId.STATUS, selected_option=static("in_progress")["selected_option"])
    slack.fake.wait_for("chat.update", predicate=is_card_update)
    slack.settle()  # the row that remembers the card is written after Slack's answer
    with database.transaction() as session:
        assert session.scalars(select(Ticket)).one().status is Status.IN_PROGRESS
        [pending] = session.scalars(select(CardRefresh)).all()
        assert pending.last_error == "service_unavailable"
    assert "In progress" not in str(slack.card(1)["blocks"][1])

    client = WebClient(token="xoxb-test", base_url=slack.fake.api_url)
    assert catch_up_cards(slack.runtime, client) == 0  # the deliverer's retry waits a minute
    slack.clock.advance(timedelta(minutes=1))
    assert catch_up_cards(slack.runtime, client) == 1
    assert ":hammer_and_wrench: In progress" in str(slack.card(1)["blocks"][1])
    with database.transaction() as session:
        assert session.scalars(select(CardRefresh)).all() == []
    assert catch_up_cards(slack.runtime, client) == 0


def test_a_card_that_could_not_be_posted_is_posted_later(slack, database):
    slack.fake.fail_next("chat.postMessage", status=200, error="service_unavailable")
    slack.send.command("new Laptop screen flickers")
    view = slack.fake.wait_for("views.open")[0].args["view"]
    status = raised(slack, lambda: slack.send.view_submission(view, {}))
    slack.settle()
    assert "#1" in status["text"]  # the requester still hears about the ticket
    with database.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.card_ts is None
    client = WebClient(token="xoxb-test", base_url=slack.fake.api_url)
    assert catch_up_cards(slack.runtime, client) == 0  # not before its backoff
    slack.clock.advance(timedelta(minutes=1))
    slack.fake.fail_next("chat.postMessage", status=200, error="service_unavailable")
    assert catch_up_cards(slack.runtime, client) == 0  # still down: kept, retried later
    slack.clock.advance(timedelta(minutes=1))
    assert catch_up_cards(slack.runtime, client) == 0  # the second backoff is longer
    slack.clock.advance(timedelta(minutes=1))
    assert catch_up_cards(slack.runtime, client) == 1
    assert len([c for c in slack.fake.calls("chat.postMessage") if c.failed]) == 2
    card = slack.card(1)
    assert card["channel"] == "C0SUPPORT1" and "#1 Laptop screen flickers" in card["text"]


def test_rate_limited_card_update_honours_retry_after(slack, database):
    create_ticket(slack)
    # The card's update, not the requester's status message's (whichever Slack gets first).
    slack.fake.fail_next("chat.update", status=429, retry_after=1, channel=TRIAGE)
    _card_action(slack, ActionId.STATUS, selected_option=static("waiting")["selected_option"])
    slack.fake.wait_for("chat.update", 2, timeout=10, predicate=is_card_update)
    slack.settle()
    attempts = [c for c in slack.fake.calls("chat.update") if is_card_update(c)]
    assert [a.failed for a in attempts] == [True, False]
    assert attempts[1].at - attempts[0].at >= 1.0  # waited as Slack asked
    assert "Waiting on reply" in str(slack.card(1)["blocks"][1])
    with database.transaction() as session:
        assert session.scalars(select(CardRefresh)).all() == []


def test_server_errors_are_retried_then_left_to_the_outbox(slack, database):
    create_ticket(slack)
    # The card's first try and two retries (the status message's update goes through).
    slack.fake.fail_next("chat.update", status=500, times=3, channel=TRIAGE)
    _card_action(slack, ActionId.STATUS, selected_option=static("waiting")["selected_option"])
    attempts = slack.fake.wait_for("chat.update", 3, timeout=10, predicate=is_card_update)
    slack.settle()
    assert all(a.failed for a in attempts[:3])
    with database.transaction() as session:
        assert session.scalars(select(Ticket)).one().status is Status.WAITING
        assert len(session.scalars(select(CardRefresh)).all()) == 1
    client = WebClient(token="xoxb-test", base_url=slack.fake.api_url)
    slack.clock.advance(timedelta(minutes=1))  # the deliverer's retry waits a minute
    assert catch_up_cards(slack.runtime, client) == 1
    assert "Waiting on reply" in str(slack.card(1)["blocks"][1])


def test_a_card_paced_by_slacks_limits_shows_what_changed_while_it_waited(slack, database):
    """A pass claims its cards at once and sends them seconds apart under Slack's limits: a
    card is rendered after its turn came, with the changes made meanwhile, in one update."""
    from ticketbot.config import Settings
    from ticketbot.pacing import Pacer
    from ticketbot.services import tickets as ticket_service
    from ticketbot.services.access import Role, Viewer
    from ticketbot.slack.client import slack_client

    create_ticket(slack)
    # The card's update and the requester's status message's: both left for a later pass.
    slack.fake.fail_next("chat.update", status=200, error="service_unavailable", times=2)
    _card_action(slack, ActionId.STATUS, selected_option=static("in_progress")["selected_option"])
    slack.fake.wait_for("chat.update", 2)
    slack.settle()
    slack.clock.advance(timedelta(minutes=1))
    updates = len(slack.fake.calls("chat.update"))

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # an agent acts while the deliverer waits its turn
        slept.append(seconds)
        now[0] += seconds
        with database.transaction() as session:
            ticket = session.scalars(select(Ticket)).one()
            ticket_service.change_status(
                session=session,
                ticket=ticket,
                status=Status.WAITING,
                viewer=Viewer("U0AGENT01", Role.AGENT),
                now=slack.clock.now(),
                policy=slack.runtime.policy,
            )

    pacer = Pacer(sleep=sleep, monotonic=lambda: now[0])
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.fake.api_url)
    client = slack_client(settings, pacer=pacer)
    pacer.pause(client._workspace, "chat.update", 5)  # Slack said 429 a moment ago

    assert catch_up_cards(slack.runtime, client) == 1
    assert slept == [5.0]  # waited once, for its turn: the call did not wait again
    assert len(slack.fake.calls("chat.update")) == updates + 1
    assert "Waiting on reply" in str(slack.card(1)["blocks"][1])


def test_cards_go_before_status_messages_while_slacks_budget_is_short(slack, database):
    """After a burst, every card and every status message wants chat.update: the cards are
    shown first, the status messages once no card is due."""
    from ticketbot.jobs.cards import deliver_all
    from ticketbot.services.refreshes import mark_card, mark_status

    for title in ("Printer jammed", "VPN down"):
        create_ticket(slack, title)
    slack.settle()
    with database.transaction() as session:
        for ticket in session.scalars(select(Ticket)):
            mark_card(session=session, ticket_id=ticket.id, now=slack.clock.now())
            mark_status(session=session, ticket_id=ticket.id, now=slack.clock.now())

    class OneTurnAtATime(WebClient):  # what a paced client says when Slack's budget is short
        def ready(self, method: str) -> int:
            return 0

        def wait_turn(self, method: str, channel: str | None = None) -> float:
            return 0.0

    client = OneTurnAtATime(token="xoxb-test", base_url=slack.fake.api_url)
    before = len(slack.fake.calls("chat.update"))

    def shown() -> list[str]:
        calls = slack.fake.calls("chat.update")[before:]
        return ["card" if is_card_update(c) else "status" for c in calls]

    assert deliver_all(slack.runtime, client) is True
    assert deliver_all(slack.runtime, client) is True
    assert shown() == ["card", "card"]  # one a turn, status messages waiting
    deliver_all(slack.runtime, client)
    deliver_all(slack.runtime, client)
    deliver_all(slack.runtime, client)
    assert shown() == ["card", "card", "status", "status"]


def test_every_process_wakes_its_deliverer_now_and_then(slack):
    """Changes accepted by another worker kick only that worker's deliverer: the scheduled
    wake lets this one take its share of a burst's cards too."""
    from ticketbot.jobs.scheduler import DELIVERY_POLL_SECONDS, start_scheduler

    kicked = []

    class Recorder:
        def kick(self) -> None:
            kicked.append(True)

    scheduler = start_scheduler(slack.runtime, WebClient(token="xoxb-test"))
    try:
        job = scheduler.get_job("deliverer-wake")
        assert job.trigger.interval == timedelta(seconds=DELIVERY_POLL_SECONDS) <= timedelta(
            seconds=5
        )
        real, slack.runtime.deliverer = slack.runtime.deliverer, Recorder()
        try:
            job.func(*job.args)
        finally:
            slack.runtime.deliverer = real
    finally:
        scheduler.shutdown(wait=False)
    assert kicked == [True]
