"""Small builders so tests say only what matters to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticketbot.services.access import Role, Viewer
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.services.inputs import TicketDraft, validate
from ticketbot.services.tickets import create_ticket
from ticketbot.services.webhooks import Outbound
from ticketbot.store.models import Ticket

WORKSPACE = "T0TEAM001"
REQUESTER = Viewer("U0REQ0001")
OTHER_REQUESTER = Viewer("U0REQ0002")
AGENT = Viewer("U0AGT0001", Role.AGENT)
AGENT_2 = Viewer("U0AGT0002", Role.AGENT)
ADMIN = Viewer("U0MGR0001", Role.ADMIN)


def make_ticket(
    session: Session,
    *,
    policy: DeadlinePolicy,
    now: datetime,
    requester: Viewer = REQUESTER,
    workspace_id: str = WORKSPACE,
    outbound: Outbound | None = None,
    **fields,
) -> Ticket:
    fields.setdefault("title", "Printer on floor 3 is jammed")
    draft = validate(TicketDraft, fields)
    return create_ticket(
        session=session,
        workspace_id=workspace_id,
        draft=draft,
        requester_id=requester.user_id,
        now=now,
        policy=policy,
        outbound=outbound,
    )
