"""Related items in the services: what each kind holds, what is refused, the history lines,
and the listing and counts the views are built from (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.factories import AGENT, REQUESTER, make_ticket
from ticketbot.services import history, related, tickets
from ticketbot.services.errors import InvalidInput, NotFound, StaleTicket
from ticketbot.services.inputs import TicketEdit
from ticketbot.services.related_input import parse_amount, parse_item
from ticketbot.store.models import RelatedItem, TicketChange
from ticketbot.vocabulary import Priority, RelatedKind, Status, Visibility

ALL = tuple(RelatedKind)
FILE = {"id": "F0FILE0001", "name": "invoice.pdf", "title": "Invoice March",
        "permalink": "https://test.slack.com/files/U0REQ0001/F0FILE0001/invoice.pdf"}  # fmt: skip


def _add(session, ticket, kind, viewer=AGENT, now=None, enabled=ALL, **raw):
    raw.setdefault("title", f"A {kind.value}")
    return related.add_item(
        session=session,
        ticket=ticket,
        viewer=viewer,
        item=parse_item(kind, raw),
        enabled=enabled,
        now=now,
    )


def _history(session) -> list[tuple[str, str | None, str | None]]:
    rows = session.scalars(select(TicketChange).order_by(TicketChange.id))
    return [(r.field, r.old_value, r.new_value) for r in rows]


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12", 1200), ("12.5", 1250), ("12,50", 1250), ("1 234,56", 123456),
     ("1,234.56", 123456), ("1.234,56", 123456), ("1,234", 123400), ("0", 0),
     ("\u00a0 7 ", 700)],
)  # fmt: skip
def test_amounts_read_the_way_people_write_them(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["abc", "12.345.67", "1.234.56", "-5", "12.", "1e5", "", "NaN"])
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("kind", "raw", "field", "message"),
    [
        (RelatedKind.EXPENSE, {"title": "Taxi", "amount": "twelve", "currency": "EUR"},
         "amount", "Amount must be a number, like 12.50."),
        (RelatedKind.EXPENSE, {"title": "Taxi", "amount": "-3", "currency": "EUR"},
         "amount", "Amount cannot be negative."),
        (RelatedKind.EXPENSE, {"title": "Taxi", "currency": "EUR"}, "amount",
         "Amount is required."),
        (RelatedKind.EXPENSE, {"title": "Taxi", "amount": "3", "currency": "EURO"},
         "currency", "Currency must be a three-letter code, like EUR."),
        (RelatedKind.TIMESHEET, {"title": "Fix", "minutes": "-30", "worked_on": "2026-11-23",
         "worker_id": "U0AGT0001"}, "minutes", "Minutes must be a whole number from 1 to 1440."),
        (RelatedKind.TIMESHEET, {"title": "Fix", "minutes": "2000", "worked_on": "2026-11-23",
         "worker_id": "U0AGT0001"}, "minutes", "Minutes must be a whole number from 1 to 1440."),
        (RelatedKind.TIMESHEET, {"title": "Fix", "minutes": "30", "worker_id": "U0AGT0001"},
         "worked_on", "Say which day the work was done."),
        (RelatedKind.TIMESHEET, {"title": "Fix", "minutes": "30", "worked_on": "2026-11-23"},
         "worker_id", "Say who did the work."),
        (RelatedKind.ACTIVITY, {"title": "  \u202e "}, "title", "Title is required."),
        (RelatedKind.ACTIVITY, {"title": "Call", "due_on": "tomorrow"}, "due_on",
         "Due date is not a date."),
        (RelatedKind.PROJECT, {"title": "Rollout", "url": "javascript:alert(1)"}, "url",
         "Give a web address starting with https://."),
        (RelatedKind.PROJECT, {"title": "Rollout", "url": "https://x.test/a|b"}, "url",
         "Give a web address starting with https://."),
        (RelatedKind.PROJECT, {"title": "Rollout", "url": "https:///nohost"}, "url",
         "Give a web address starting with https://."),
        (RelatedKind.DOCUMENT, {"title": "Manual"}, "url", "Attach a file or give a link."),
        (RelatedKind.QUOTE, {"title": "Q", "reference": "R" * 201}, "reference",
         "Reference must be at most 200 characters."),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(kind, raw, field, message):
    with pytest.raises(InvalidInput) as refused:
        parse_item(kind, raw)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_each_kind_keeps_only_its_own_parts():
    expense = parse_item(
        RelatedKind.EXPENSE,
        {"title": " Taxi ", "amount": "12,5", "currency": "eur", "url": "https://x.test",
         "minutes": "30", "details": "ignored"},
    )  # fmt: skip
    assert (expense.title, expense.amount_cents, expense.currency) == ("Taxi", 1250, "EUR")
    assert expense.url is None and expense.minutes is None and expense.details is None
    document = parse_item(RelatedKind.DOCUMENT, {"title": "", "file": [FILE]})
    assert (document.title, document.slack_file_id) == ("Invoice March", "F0FILE0001")
    assert document.url == FILE["permalink"]
    quote = parse_item(RelatedKind.QUOTE, {"title": "Q-12", "amount": "", "currency": ""})
    assert quote.amount_cents is None and quote.currency is None


def test_an_amount_without_a_currency_is_in_the_teams_currency():
    taxi = {"title": "Taxi", "amount": "12", "currency": ""}
    assert parse_item(RelatedKind.EXPENSE, taxi, currency="USD").currency == "USD"
    assert parse_item(RelatedKind.EXPENSE, {"title": "Taxi", "amount": "12"}).currency == "EUR"
    typed = parse_item(RelatedKind.EXPENSE, taxi | {"currency": " gbp "}, currency="USD")
    assert (typed.amount_cents, typed.currency) == (1200, "GBP")  # what was typed wins
    for kind in (RelatedKind.QUOTE, RelatedKind.PURCHASE_ORDER):
        priced = parse_item(kind, {"title": "Q-12", "amount": "5", "currency": ""}, currency="CHF")
        assert (priced.amount_cents, priced.currency) == (500, "CHF")
        # No amount, no currency: the default does not make up a price.
        unpriced = parse_item(kind, {"title": "Q-12", "amount": "", "currency": "CHF"})
        assert unpriced.amount_cents is None and unpriced.currency is None


def test_adding_closing_and_removing_write_history_lines(database, policy, clock):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        version = ticket.version
        call = _add(session, ticket, RelatedKind.ACTIVITY, now=clock.now(), title="Call: back")
        taxi = _add(
            session, ticket, RelatedKind.EXPENSE, now=clock.now(), amount="12.50", currency="EUR"
        )
        clock.advance(timedelta(hours=1))
        assert related.close_item(
            session=session, ticket=ticket, viewer=AGENT, item_id=call.id, enabled=ALL,
            now=clock.now(),
        )  # fmt: skip
        assert not related.close_item(
            session=session, ticket=ticket, viewer=AGENT, item_id=call.id, enabled=ALL,
            now=clock.now(),
        )  # fmt: skip
        with pytest.raises(InvalidInput, match="Only activities can be closed"):
            related.close_item(
                session=session, ticket=ticket, viewer=AGENT, item_id=taxi.id, enabled=ALL,
                now=clock.now(),
            )  # fmt: skip
        related.remove_item(
            session=session, ticket=ticket, viewer=AGENT, item_id=taxi.id, enabled=ALL,
            now=clock.now(),
        )  # fmt: skip
        assert _history(session) == [
            ("related", None, "activity:Call: back"),
            ("related", None, "expense:A expense"),
            ("related", "activity:Call: back", "activity/done:Call: back"),
            ("related", "expense:A expense", None),
        ]
        assert ticket.version == version and ticket.updated_at == clock.now()
        stored = session.scalars(select(RelatedItem)).one()
        assert (stored.kind, stored.closed_at) == ("activity", clock.now())
    assert related.parse_history_value("activity/done:Call: back") == (
        RelatedKind.ACTIVITY, True, "Call: back",
    )  # fmt: skip
    assert related.parse_history_value("nonsense:x") is None


def test_a_switched_off_kind_is_refused_and_hidden(database, policy, clock):
    enabled = tuple(k for k in RelatedKind if k is not RelatedKind.EXPENSE)
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        taxi = _add(
            session, ticket, RelatedKind.EXPENSE, now=clock.now(), amount="3", currency="EUR"
        )
        with pytest.raises(InvalidInput, match="Expense items are switched off here"):
            _add(session, ticket, RelatedKind.EXPENSE, now=clock.now(), enabled=enabled,
                 amount="3", currency="EUR")  # fmt: skip
        with pytest.raises(NotFound):
            related.remove_item(
                session=session, ticket=ticket, viewer=AGENT, item_id=taxi.id, enabled=enabled,
                now=clock.now(),
            )  # fmt: skip
        assert related.groups(session=session, ticket=ticket, kinds=enabled) == []
        assert session.scalar(select(func.count()).select_from(RelatedItem)) == 1


def test_listing_groups_open_activities_by_due_date_and_the_history_apart(database, policy, clock):
    today = clock.now().date()
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        later = _add(session, ticket, RelatedKind.ACTIVITY, now=clock.now(), title="Later",
                     due_on=(today + timedelta(days=5)).isoformat())  # fmt: skip
        undated = _add(session, ticket, RelatedKind.ACTIVITY, now=clock.now(), title="Undated")
        soon = _add(session, ticket, RelatedKind.ACTIVITY, now=clock.now(), title="Soon",
                    due_on=(today + timedelta(days=1)).isoformat())  # fmt: skip
        done = _add(session, ticket, RelatedKind.ACTIVITY, now=clock.now(), title="Done")
        related.close_item(session=session, ticket=ticket, viewer=AGENT, item_id=done.id,
                           enabled=ALL, now=clock.now())  # fmt: skip
        for minutes in ("30", "45"):
            _add(session, ticket, RelatedKind.TIMESHEET, now=clock.now(), minutes=minutes,
                 worked_on=today.isoformat(), worker_id="U0AGT0002")  # fmt: skip
        for amount, currency in (("10", "EUR"), ("2.5", "EUR"), ("7", "USD")):
            _add(session, ticket, RelatedKind.EXPENSE, now=clock.now(), amount=amount,
                 currency=currency)  # fmt: skip
        found = related.groups(session=session, ticket=ticket, kinds=ALL)
        assert [(g.kind, g.done, g.total) for g in found] == [
            (RelatedKind.ACTIVITY, False, 3), (RelatedKind.ACTIVITY, True, 1),
            (RelatedKind.EXPENSE, False, 3), (RelatedKind.TIMESHEET, False, 2),
        ]  # fmt: skip
        assert [i.id for i in found[0].items] == [soon.id, later.id, undated.id]
        assert found[1].items[0].worked_on is None and found[1].items[0].title == "Done"
        capped = related.groups(session=session, ticket=ticket, kinds=ALL, limit=2)
        assert [len(g.items) for g in capped] == [2, 1, 2, 2] and capped[2].total == 3
        counts = related.summary(session=session, ticket=ticket, kinds=ALL)
        assert counts.counts == {
            RelatedKind.ACTIVITY: 4, RelatedKind.EXPENSE: 3, RelatedKind.TIMESHEET: 2
        }  # fmt: skip
        assert (counts.open_activities, counts.minutes, counts.total) == (3, 75, 9)
        assert counts.expenses == {"EUR": 1250, "USD": 700}
        mine = related.summary(
            session=session, ticket=ticket, kinds=(RelatedKind.DOCUMENT, RelatedKind.EMAIL)
        )
        assert mine.total == 0 and mine.minutes == 0


def test_requesters_timeline_leaves_out_kinds_they_cannot_see(database, policy, clock):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now(), visibility=Visibility.PUBLIC)
        _add(session, ticket, RelatedKind.EXPENSE, now=clock.now(), title="Taxi_%",
             amount="3", currency="EUR")  # fmt: skip
        _add(session, ticket, RelatedKind.DOCUMENT, viewer=REQUESTER, now=clock.now(),
             title="Photo", url="https://x.test/p.png")  # fmt: skip
        _add(session, ticket, RelatedKind.PURCHASE_ORDER, now=clock.now(), title="PO")
        _all, total = history.timeline_page(
            session=session, ticket=ticket, hide=related.hidden_history(AGENT)
        )
        assert total == 3 and related.hidden_history(AGENT) is None
        mine, total = history.timeline_page(
            session=session, ticket=ticket, hide=related.hidden_history(REQUESTER)
        )
        assert total == 1 and [e.new_value for e in mine] == ["document:Photo"]


def test_an_item_of_another_ticket_is_not_found(database, policy, clock):
    with database.transaction() as session:
        first = make_ticket(session, policy=policy, now=clock.now())
        second = make_ticket(session, policy=policy, now=clock.now())
        item = _add(session, first, RelatedKind.ACTIVITY, now=clock.now())
        with pytest.raises(NotFound):
            related.remove_item(
                session=session, ticket=second, viewer=AGENT, item_id=item.id, enabled=ALL,
                now=clock.now(),
            )  # fmt: skip
        assert session.get(RelatedItem, item.id) is not None


def test_related_lines_never_make_an_edit_form_stale_nor_show_in_its_refusal(
    database, policy, clock
):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        opened_at = ticket.version
        _add(session, ticket, RelatedKind.EXPENSE, now=clock.now(), amount="9", currency="EUR")
        # Still the version the form was opened at: saving it works.
        tickets.edit_ticket(
            session=session, ticket=ticket, edit=TicketEdit(priority=Priority.HIGH),
            viewer=REQUESTER, now=clock.now(), policy=policy, expected_version=opened_at,
        )  # fmt: skip
        _add(session, ticket, RelatedKind.ACTIVITY, now=clock.now(), title="Call")
        tickets.change_status(
            session=session, ticket=ticket, status=Status.IN_PROGRESS, viewer=AGENT,
            now=clock.now(), policy=policy,
        )  # fmt: skip
        with pytest.raises(StaleTicket) as stale:
            tickets.edit_ticket(
                session=session, ticket=ticket, edit=TicketEdit(priority=Priority.LOW),
                viewer=REQUESTER, now=clock.now(), policy=policy, expected_version=opened_at,
            )  # fmt: skip
        assert [line.field for line in stale.value.changes] == ["priority", "status"]
