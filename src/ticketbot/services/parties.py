"""Accounts, contacts, suppliers and assets a ticket relates to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketbot.i18n import _
from ticketbot.ids import NEW_PARTY_PREFIX
from ticketbot.services.errors import InvalidInput
from ticketbot.services.inputs import NAME_MAX, clean_line
from ticketbot.services.search_terms import normalise, starts_with
from ticketbot.store.models import Party
from ticketbot.vocabulary import PartyKind

PARTY_NAME_MAX = 150


def _key(name: str) -> str:
    return normalise(name)[:PARTY_NAME_MAX]


def find_or_create_party(
    *, session: Session, workspace_id: str, kind: PartyKind, name: str, now: datetime
) -> Party:
    """One party per (workspace, kind, name): adding an existing name returns the existing one."""
    clean = clean_line(name)
    if not clean:
        raise InvalidInput(_("A name is required."), field="party")
    if len(clean) > PARTY_NAME_MAX:
        raise InvalidInput(
            _("A name must be at most {limit} characters.").format(limit=PARTY_NAME_MAX),
            field="party",
        )
    key = _key(clean)
    lookup = select(Party).where(
        Party.workspace_id == workspace_id, Party.kind == kind, Party.name_key == key
    )
    party = session.scalar(lookup)
    if party is not None:
        return party
    try:
        # A savepoint, so a concurrent insert of the same name does not spoil the transaction.
        with session.begin_nested():
            party = Party(
                workspace_id=workspace_id, kind=kind, name=clean, name_key=key, created_at=now
            )
            session.add(party)
    except IntegrityError:
        party = session.scalar(lookup)
        assert party is not None
    return party


def search_parties(
    *, session: Session, workspace_id: str, query: str, limit: int = 20
) -> list[Party]:
    statement = select(Party).where(Party.workspace_id == workspace_id)
    key = _key(clean_line(query))
    if key:
        statement = statement.where(starts_with(Party.name_key, key))
    return list(session.scalars(statement.order_by(Party.name_key, Party.kind).limit(limit)))


def get_party(*, session: Session, workspace_id: str, party_id: int) -> Party | None:
    party = session.get(Party, party_id)
    return party if party is not None and party.workspace_id == workspace_id else None


def party_from_choice(
    *, session: Session, workspace_id: str, choice: str | None, now: datetime
) -> int | None:
    """What "Related to" holds: an existing party's id, or a party to add ("new:kind:name");
    None for nobody."""
    if not choice:
        return None
    if choice.startswith(NEW_PARTY_PREFIX):
        kind, _sep, name = choice.removeprefix(NEW_PARTY_PREFIX).partition(":")
        try:
            party_kind = PartyKind(kind)
        except ValueError:
            raise InvalidInput(_("Pick who the ticket relates to again."), field="party") from None
        party = find_or_create_party(
            session=session, workspace_id=workspace_id, kind=party_kind, name=name, now=now
        )
        return party.id
    if (
        not choice.isdigit()
        or get_party(session=session, workspace_id=workspace_id, party_id=int(choice)) is None
    ):
        raise InvalidInput(_("That related party no longer exists."), field="party")
    return int(choice)


__all__ = ["NAME_MAX", "find_or_create_party", "get_party", "party_from_choice", "search_parties"]
