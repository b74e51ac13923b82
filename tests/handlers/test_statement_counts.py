"""The database work of an interaction does not grow with the ticket's history: a status
change, the History modal and `/ticket show` cost as many SQL statements for a ticket with
500 history lines (and 100 comments) as for one with 5."""

from __future__ import annotations

import pytest

from tests.support.statements import INTERACTIONS, LONG, SHORT, _ticket_with_history, cost


@pytest.mark.parametrize("interaction", INTERACTIONS.values(), ids=INTERACTIONS.keys())
def test_statements_do_not_grow_with_the_history(slack, interaction):
    warm_up = _ticket_with_history(slack, SHORT)  # first connections and caches
    short = _ticket_with_history(slack, SHORT)
    long = _ticket_with_history(slack, LONG)
    cost(slack, interaction, warm_up, SHORT)

    short_cost = cost(slack, interaction, short, SHORT)
    long_cost = cost(slack, interaction, long, LONG)

    listing = "\n".join(f"  {s.splitlines()[0][:120]}" for s in long_cost)
    assert len(short_cost) == len(long_cost), (
        f"{len(short_cost)} statements for {SHORT} history lines, {len(long_cost)} for "
        f"{LONG}:\n{listing}"
    )
    # SQLite also counts each transaction's BEGIN. The change is one transaction (with who
    # hears of it: the requester's notification level and the followers); the card's delivery
    # two more (the claim with its reads, and the clear), the status message's three (the
    # claim, the last public reply it quotes, the clear), and the notices' claim one.
    ceiling = 23 if slack.database.dialect == "sqlite" else 16
    assert 0 < len(long_cost) <= ceiling, listing
