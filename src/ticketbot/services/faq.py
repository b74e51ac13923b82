"""The FAQ: questions answered by solved tickets, found by their words like tickets are.

An entry born from an internal ticket is internal: besides agents, only that ticket's
requester ever sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from ticketbot.i18n import _
from ticketbot.services import history
from ticketbot.services.access import Viewer
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.services.finder import MAX_QUERY_WORDS
from ticketbot.services.inputs import TEXT_MAX, clean_line, clean_text
from ticketbot.services.search_terms import (
    prefix_bounds,
    starts_with,
    starts_with_bound,
    terms,
)
from ticketbot.store.models import FaqEntry, FaqTerm, Ticket
from ticketbot.vocabulary import Field, Status, Visibility

HISTORY_EXCERPT = 150
# Words too common to suggest anything when someone types a ticket title (English, French).
_STOP = """the and for with not does doesn can cannot from this that have has are was when what
how les des une est pas pour avec dans sur par plus que qui mon mes ses aux ete"""
STOP_WORDS = frozenset(_STOP.split())
SUGGEST_MIN_WORD = 3


@dataclass(frozen=True)
class FaqHit:
    """An entry with where it came from, ready to show."""

    entry: FaqEntry
    ticket_number: int | None
    card_permalink: str | None


Scope = bool | tuple[str, ...]  # True: every entry; else the queues whose internal ones show


def _scope(viewer: Viewer) -> Scope:
    if viewer.works_everywhere:
        return True
    return tuple(sorted(viewer.queues or ())) if viewer.is_agent else ()


def _hits(workspace_id, *, scope: Scope, user_id) -> Select:
    """Entries of the workspace the viewer may read: public ones, their own tickets', and the
    internal ones of the queues they work. `workspace_id` and `user_id` are values, or bound
    parameters in a statement built once."""
    if scope is True:
        visible = true()
    else:
        shown = [FaqEntry.visibility == Visibility.PUBLIC, Ticket.requester_id == user_id]
        if scope:
            shown.append(Ticket.queue.in_(scope))
        visible = or_(*shown)
    return (
        select(FaqEntry, Ticket.number, Ticket.card_permalink)
        .outerjoin(Ticket, Ticket.id == FaqEntry.ticket_id)
        .where(FaqEntry.workspace_id == workspace_id, visible)
    )


def _hits_for(workspace_id: str, viewer: Viewer) -> Select:
    return _hits(workspace_id, scope=_scope(viewer), user_id=viewer.user_id)


def _run(session: Session, statement: Select, params: dict | None = None) -> list[FaqHit]:
    rows = session.execute(statement, params)
    return [FaqHit(entry, number, link) for entry, number, link in rows]


def entry_of(*, session: Session, ticket: Ticket) -> FaqEntry | None:
    return session.scalars(
        select(FaqEntry).where(FaqEntry.ticket_id == ticket.id).order_by(FaqEntry.id).limit(1)
    ).first()


def _checked(text: str, field: str, word: str) -> str:
    value = clean_text(text)
    if not value:
        raise InvalidInput(_("{field} is required.").format(field=word), field=field)
    if len(value) > TEXT_MAX:
        raise InvalidInput(
            _("{field} must be at most {limit} characters.").format(field=word, limit=TEXT_MAX),
            field=field,
        )
    return value


def check_convertible(*, session: Session, ticket: Ticket, viewer: Viewer) -> None:
    """The queue's agents turn closed tickets with a solution into FAQ entries, once each."""
    if not viewer.works_on(ticket):
        raise Forbidden(_("Only agents can add tickets to the FAQ."))
    if ticket.status is not Status.CLOSED or not ticket.solution:
        raise InvalidInput(_("Only a closed ticket with a solution can go to the FAQ."))
    if entry_of(session=session, ticket=ticket) is not None:
        raise InvalidInput(
            _("Ticket #{number} is already in the FAQ.").format(number=ticket.number)
        )


def convert_ticket(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    question: str,
    answer: str,
    now: datetime,
) -> FaqEntry:
    check_convertible(session=session, ticket=ticket, viewer=viewer)
    entry = FaqEntry(
        workspace_id=ticket.workspace_id,
        question=_checked(question, "question", _("Question")),
        answer=_checked(answer, "answer", _("Answer")),
        ticket_id=ticket.id,
        visibility=ticket.visibility,
        created_by=viewer.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    words = terms(entry.question)
    if words:
        session.execute(
            insert(FaqTerm),
            [{"faq_id": entry.id, "term": w, "workspace_id": entry.workspace_id} for w in words],
        )
    first_line = clean_line(entry.question.split("\n", 1)[0])[:HISTORY_EXCERPT]
    history.record_change(
        session=session,
        ticket=ticket,
        field=Field.FAQ,
        old=None,
        new=first_line,
        actor=viewer.user_id,
        now=now,
    )
    return entry


def _has_word(workspace_id: str, word: str) -> ColumnElement[bool]:
    return (
        select(FaqTerm.faq_id)
        .where(
            FaqTerm.workspace_id == workspace_id,
            FaqTerm.faq_id == FaqEntry.id,
            starts_with(FaqTerm.term, word),
        )
        .exists()
    )


def search_faq(
    *, session: Session, workspace_id: str, viewer: Viewer, query: str, limit: int = 10
) -> list[FaqHit]:
    """Entries whose question has every word, each as a prefix (accents and case ignored)."""
    words = sorted(terms(query))[:MAX_QUERY_WORDS]
    if not words:
        return []
    statement = _hits_for(workspace_id, viewer).where(*(_has_word(workspace_id, w) for w in words))
    return _run(session, statement.order_by(FaqEntry.id.desc()).limit(limit))


def suggest_faq(
    *, session: Session, workspace_id: str, viewer: Viewer, title: str, limit: int = 3
) -> list[FaqHit]:
    """Entries sharing the most words with a ticket title being written: maybe answered.

    Scored from the matching search words alone (one index range per word), so the cost
    follows how many entries share a word, not the size of the FAQ."""
    meaningful = [w for w in terms(title) if len(w) >= SUGGEST_MIN_WORD and w not in STOP_WORDS]
    words = sorted(meaningful, key=lambda w: (-len(w), w))[:MAX_QUERY_WORDS]
    if not words:
        return []
    params = {"workspace_id": workspace_id, "user_id": viewer.user_id}
    for i, word in enumerate(words):
        params.update(prefix_bounds(f"word_{i}", word))
    statement = _suggestion_statement(len(words), _scope(viewer), limit)
    return _run(session, statement, params)


@lru_cache(maxsize=64)
def _suggestion_statement(words: int, scope: Scope, limit: int) -> Select:
    """Built once per shape and run with bound words: the form asks on every open, and
    building this union cost more CPU than running it."""
    per_word = [
        select(FaqTerm.faq_id.label("faq_id"))
        .where(
            FaqTerm.workspace_id == bindparam("workspace_id"),
            starts_with_bound(FaqTerm.term, f"word_{i}"),
        )
        .distinct()
        for i in range(words)
    ]
    matched = union_all(*per_word).subquery()
    scores = (
        select(matched.c.faq_id, func.count().label("score")).group_by(matched.c.faq_id).subquery()
    )
    return (
        _hits(bindparam("workspace_id"), scope=scope, user_id=bindparam("user_id"))
        .join(scores, scores.c.faq_id == FaqEntry.id)
        .order_by(scores.c.score.desc(), FaqEntry.id.desc())
        .limit(limit)
    )


def latest_faq(
    *, session: Session, workspace_id: str, viewer: Viewer, limit: int = 10
) -> list[FaqHit]:
    return _run(session, _hits_for(workspace_id, viewer).order_by(FaqEntry.id.desc()).limit(limit))
