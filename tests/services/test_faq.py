"""The FAQ in the services: converting solved tickets, searching, suggesting, and who sees
entries born from internal tickets (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import ADMIN, AGENT, OTHER_REQUESTER, REQUESTER, WORKSPACE, make_ticket
from ticketbot.services import faq, tickets
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.store.models import FaqEntry, FaqTerm, TicketChange
from ticketbot.vocabulary import Status, Visibility


def _solved(session, policy, now, title, solution="Replace the roller.", **fields):
    ticket = make_ticket(session, policy=policy, now=now, title=title, **fields)
    tickets.change_status(
        session=session,
        ticket=ticket,
        status=Status.CLOSED,
        solution=solution,
        viewer=AGENT,
        now=now,
        policy=policy,
    )
    return ticket


def _convert(session, ticket, now, question=None, answer=None, viewer=AGENT):
    return faq.convert_ticket(
        session=session,
        ticket=ticket,
        viewer=viewer,
        question=question or ticket.title,
        answer=answer or ticket.solution,
        now=now,
    )


def _questions(hits) -> list[str]:
    return [hit.entry.question for hit in hits]


def test_converting_stores_the_entry_its_words_and_a_history_line(database, policy, clock):
    with database.transaction() as session:
        ticket = _solved(session, policy, clock.now(), "Imprimante bloquée")
        entry = _convert(
            session, ticket, clock.now(), question="Imprimante bloquée\n\nLe bac 2 coince."
        )
        assert (entry.ticket_id, entry.visibility, entry.created_by) == (
            ticket.id, Visibility.PUBLIC, AGENT.user_id,
        )  # fmt: skip
        words = set(session.scalars(select(FaqTerm.term).where(FaqTerm.faq_id == entry.id)))
        assert words == {"imprimante", "bloquee", "le", "bac", "2", "coince"}
        line = session.scalars(select(TicketChange).where(TicketChange.field == "faq")).one()
        assert (line.old_value, line.new_value, line.actor_id) == (
            None, "Imprimante bloquée", AGENT.user_id,
        )  # fmt: skip
        with pytest.raises(InvalidInput, match="Ticket #1 is already in the FAQ"):
            _convert(session, ticket, clock.now())
        assert session.scalar(select(func.count()).select_from(FaqEntry)) == 1


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("requester", Forbidden, "Only agents can add tickets to the FAQ."),
        ("open ticket", InvalidInput, "Only a closed ticket with a solution can go to the FAQ."),
        ("empty question", InvalidInput, "Question is required."),
        ("huge answer", InvalidInput, "Answer must be at most 3000 characters."),
    ],
)
def test_what_cannot_become_a_faq_entry(database, policy, clock, case, error, message):
    with database.transaction() as session:
        if case == "open ticket":
            ticket = make_ticket(session, policy=policy, now=clock.now())
        else:
            ticket = _solved(session, policy, clock.now(), "Printer jammed")
        with pytest.raises(error) as refused:
            _convert(
                session,
                ticket,
                clock.now(),
                viewer=REQUESTER if case == "requester" else AGENT,
                question=" \u200b " if case == "empty question" else None,
                answer="x" * 3001 if case == "huge answer" else None,
            )
        assert refused.value.message == message
        assert session.scalar(select(func.count()).select_from(FaqEntry)) == 0
        assert session.scalar(select(func.count()).select_from(FaqTerm)) == 0


def test_search_matches_every_word_as_a_prefix_ignoring_accents(database, policy, clock):
    with database.transaction() as session:
        for title in ("Écran noir au démarrage", "Printer jammed on floor 3", "Écran qui clignote"):
            _convert(session, _solved(session, policy, clock.now(), title), clock.now())
        found = faq.search_faq(
            session=session, workspace_id=WORKSPACE, viewer=REQUESTER, query="ECRAN"
        )
        assert _questions(found) == ["Écran qui clignote", "Écran noir au démarrage"]
        both = faq.search_faq(
            session=session, workspace_id=WORKSPACE, viewer=REQUESTER, query="écr demarr"
        )
        assert _questions(both) == ["Écran noir au démarrage"]
        assert (both[0].ticket_number, both[0].card_permalink) == (1, None)
        for nothing in ("", "  %_ ", "scanner"):
            assert (
                faq.search_faq(
                    session=session, workspace_id=WORKSPACE, viewer=REQUESTER, query=nothing
                )
                == []
            )
        other_team = faq.search_faq(
            session=session, workspace_id="T0OTHER01", viewer=AGENT, query="ecran"
        )
        assert other_team == []
        latest = faq.latest_faq(session=session, workspace_id=WORKSPACE, viewer=REQUESTER, limit=2)
        assert _questions(latest) == ["Écran qui clignote", "Printer jammed on floor 3"]


def test_suggestions_rank_entries_sharing_the_most_words(database, policy, clock):
    with database.transaction() as session:
        for title in ("Printer out of toner", "Printer jammed in tray 2", "VPN drops at night"):
            _convert(session, _solved(session, policy, clock.now(), title), clock.now())
        found = faq.suggest_faq(
            session=session, workspace_id=WORKSPACE, viewer=REQUESTER,
            title="The printer is jammed again",
        )  # fmt: skip
        assert _questions(found) == ["Printer jammed in tray 2", "Printer out of toner"]
        assert (
            faq.suggest_faq(
                session=session, workspace_id=WORKSPACE, viewer=REQUESTER, title="the and is it"
            )
            == []
        )


@pytest.mark.parametrize(
    ("viewer", "sees_internal"),
    [(REQUESTER, True), (OTHER_REQUESTER, False), (AGENT, True), (ADMIN, True)],
    ids=["its requester", "another requester", "agent", "admin"],
)
def test_an_entry_from_an_internal_ticket_is_internal(
    database, policy, clock, viewer, sees_internal
):
    with database.transaction() as session:
        secret = _solved(
            session, policy, clock.now(), "Payroll export fails", visibility=Visibility.INTERNAL
        )
        entry = _convert(session, secret, clock.now())
        assert entry.visibility is Visibility.INTERNAL
        _convert(session, _solved(session, policy, clock.now(), "Payroll login"), clock.now())
        expected = ["Payroll login"] + (["Payroll export fails"] if sees_internal else [])
        for found in (
            faq.search_faq(session=session, workspace_id=WORKSPACE, viewer=viewer, query="payroll"),
            faq.suggest_faq(
                session=session, workspace_id=WORKSPACE, viewer=viewer, title="payroll export"
            ),
            faq.latest_faq(session=session, workspace_id=WORKSPACE, viewer=viewer),
        ):
            assert sorted(_questions(found)) == sorted(expected)
