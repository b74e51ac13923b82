"""Lists and search, on both databases, never showing what the viewer may not see."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import AGENT, OTHER_REQUESTER, REQUESTER, WORKSPACE, make_ticket
from ticketbot.services import tickets
from ticketbot.services.finder import Scope, list_tickets, search_tickets
from ticketbot.vocabulary import Status


def _numbers(found):
    return [t.number for t in found]


def _seed(database, clock, policy):
    with database.transaction() as s:
        make_ticket(s, policy=policy, now=clock.now(), title="Écran noir au démarrage")  # 1
        make_ticket(s, policy=policy, now=clock.now(), title="VPN down", assignee_id="U0AGT0001")
        make_ticket(
            s,
            policy=policy,
            now=clock.now(),
            title="Secret payroll issue",
            visibility="internal",
            requester=OTHER_REQUESTER,
        )  # 3
        t4 = make_ticket(
            s, policy=policy, now=clock.now(), title="VPN slow", requester=OTHER_REQUESTER
        )
        clock.advance(timedelta(minutes=1))
        tickets.change_status(
            session=s,
            ticket=t4,
            status=Status.WAITING,
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
        t5 = make_ticket(s, policy=policy, now=clock.now(), title="Old VPN issue")
        tickets.change_status(
            session=s,
            ticket=t5,
            status=Status.CLOSED,
            solution="done",
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )


def test_scopes(database, clock, policy):
    _seed(database, clock, policy)
    with database.transaction() as s:

        def listed(viewer, scope):
            return sorted(
                _numbers(
                    list_tickets(session=s, workspace_id=WORKSPACE, viewer=viewer, scope=scope)
                )
            )

        assert listed(REQUESTER, Scope.OPEN) == [1, 2, 4]
        assert listed(AGENT, Scope.OPEN) == [1, 2, 3, 4]
        assert listed(REQUESTER, Scope.MINE) == [1, 2, 5]
        assert listed(OTHER_REQUESTER, Scope.MINE) == [3, 4]
        assert listed(AGENT, Scope.ASSIGNED) == [2]
        assert listed(AGENT, Scope.WAITING) == [4]
        assert listed(AGENT, Scope.CLOSED) == [5]
        assert listed(REQUESTER, Scope.ALL) == [1, 2, 4, 5]


def test_search_by_words_number_and_accents(database, clock, policy):
    _seed(database, clock, policy)
    with database.transaction() as s:

        def found(viewer, query):
            return _numbers(
                search_tickets(session=s, workspace_id=WORKSPACE, viewer=viewer, query=query)
            )

        assert found(REQUESTER, "ecran") == [1]
        assert found(REQUESTER, "ÉCRAN DÉM") == [1]  # prefixes, case and accents ignored
        assert found(REQUESTER, "vpn")[-1] == 5  # closed last
        assert set(found(REQUESTER, "vpn")) == {2, 4, 5}
        assert found(REQUESTER, "#2") == [2] and found(REQUESTER, "2") == [2]
        assert found(REQUESTER, "payroll") == []  # internal, not theirs
        assert found(AGENT, "payroll") == [3]
        assert found(REQUESTER, "#3") == []
        assert found(REQUESTER, "%") == [] and found(REQUESTER, "' OR 1=1 --") == []
