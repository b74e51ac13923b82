"""The deliverer: render every marked card and status message as its ticket is now, and post
the queued messages, until Slack takes them.

Woken right after each change (`Deliverer.kick`) and run by the scheduled pass too, on every
replica: the outboxes' claims make each row worked by one of them at a time, and a message
marked again while its update is in flight is simply done once more."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from ticketbot.jobs.background import Nudged
from ticketbot.jobs.messages import deliver_messages
from ticketbot.jobs.outbox import PENDING, Outbox, new_token, of_workspace
from ticketbot.runtime import Runtime, acting_for
from ticketbot.slack.cards import card_extras, send_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.status import send_status
from ticketbot.slack.workspaces import Workspaces
from ticketbot.store.models import CardRefresh, OutgoingMessage, StatusRefresh, Ticket

logger = logging.getLogger("ticketbot.cards")
BATCH = 50
OUTBOX = Outbox(CardRefresh, lease=timedelta(minutes=2), key="ticket_id")
STATUS_OUTBOX = Outbox(StatusRefresh, lease=timedelta(minutes=2), key="ticket_id")


def catch_up_cards(runtime: Runtime, client: WebClient, *, now: datetime | None = None) -> int:
    """One pass over the cards waiting to be shown. Returns how many landed."""
    return deliver_cards(runtime, client, now=now)[1]


def paced_batch(client: WebClient) -> int:
    """How many messages a pass claims: what the pacer lets this process update now (at least
    one, at most BATCH). A process claiming more would hold them while it waits for its turns
    at its share of Slack's limit, and the other workers and replicas, whose shares are free,
    could not take them."""
    ready = getattr(client, "ready", None)  # a plain WebClient is not paced
    turns = ready("chat.update") if ready is not None else None
    return BATCH if turns is None else max(1, min(BATCH, turns))


def _deliver(
    runtime: Runtime,
    client: WebClient,
    outbox: Outbox,
    *,
    what: str,
    place: Callable[[Ticket], tuple[str | None, str | None]],
    send: Callable[[Ticket, dict], None],
    extras: bool,
    now: datetime | None,
    limit: int,
    workspace_id: str | None,
) -> tuple[int, int]:
    """One pass over at most `limit` marked messages of `outbox` (cards or status messages):
    each rendered as its ticket is once its pacing turn came, sent, then cleared or left to
    retry. How many it claimed, and how many Slack took. `place`: (ts, channel) of a ticket's
    message; `extras`: whether the message shows what a card shows besides the ticket."""
    now = now or runtime.clock.now()
    token = new_token()
    database = runtime.database
    shown: dict[int, tuple[Ticket, dict]] = {}

    def load(session, rows) -> None:
        # In the claiming transaction: each ticket and what its card shows besides it.
        ids = [row.ticket_id for row in rows]
        for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids))).unique():
            shown[ticket.id] = (ticket, card_extras(runtime, ticket) if extras else {})

    where = of_workspace(outbox.model.ticket_id, workspace_id)
    rows = outbox.claim(database, now=now, token=token, limit=limit, where=where, then=load)
    landed = 0
    for row in rows:
        if row.ticket_id not in shown:  # deleted meanwhile: its row went with it
            continue
        ticket, more = shown[row.ticket_id]
        if _waited_turn(client, *place(ticket)):
            fresh = _reload(runtime, row.ticket_id, extras=extras)
            if fresh is None:
                continue
            ticket, more = fresh
        try:
            send(ticket, more)
        except SLACK_FAILURES as error:
            reason = failure_reason(error)
            logger.warning("%s of #%s not shown (%s); retrying later", what, ticket.number, reason)
            outbox.retry(database, row, token, now=runtime.clock.now(), error=reason)
            continue
        outbox.clear(database, [row.ticket_id], token)
        landed += 1
    return len(rows), landed


def deliver_cards(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    workspace_id: str | None = None,
) -> tuple[int, int]:
    """One pass over at most `limit` cards: how many it claimed, and how many Slack took.
    `workspace_id`: only that workspace's (whose `client` it is); None: all of them."""
    return _deliver(
        runtime, client, OUTBOX, what="card",
        place=lambda ticket: (ticket.card_ts, ticket.card_channel_id),
        send=lambda ticket, extras: send_card(runtime, client, ticket, extras=extras),
        extras=True, now=now, limit=limit, workspace_id=workspace_id,
    )  # fmt: skip


def deliver_statuses(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    workspace_id: str | None = None,
) -> tuple[int, int]:
    """One pass over (at most `limit` of) the requester's status messages waiting to be shown."""
    return _deliver(
        runtime, client, STATUS_OUTBOX, what="status",
        place=lambda ticket: (ticket.status_ts, ticket.conversation_channel_id),
        send=lambda ticket, _extras: send_status(runtime, client, ticket),
        extras=False, now=now, limit=limit, workspace_id=workspace_id,
    )  # fmt: skip


def _waited_turn(client: WebClient, ts: str | None, channel: str | None) -> bool:
    """Wait for the pacer's turn of the call that shows this message; True when it made the
    delivery wait. A pass claims up to a batch of messages at once and, under Slack's limits,
    sends them seconds apart: a message rendered as its ticket was at the claim would show a
    state changes made meanwhile left behind (and then be sent again for them)."""
    wait_turn = getattr(client, "wait_turn", None)  # a plain WebClient is not paced
    if wait_turn is None:
        return False
    return wait_turn("chat.update" if ts else "chat.postMessage", channel=channel) > 0


def _reload(runtime: Runtime, ticket_id: int, *, extras: bool) -> tuple[Ticket, dict] | None:
    """The ticket as it is now, and what its card shows besides (`extras`); None when it was
    deleted meanwhile."""
    with runtime.database.transaction(read_only=True) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return None
        return ticket, card_extras(runtime, ticket) if extras else {}


def deliver_all(runtime: Runtime, client: WebClient, *, workspace_id: str | None = None) -> bool:
    """Cards, status messages, then queued messages (which may wait for a card's place).
    True when a pass filled a batch: there may be more. `workspace_id`: that workspace's
    only (whose `client` it is); None: all of them.

    Cards come first: while cards are still due, status messages wait for a later pass
    rather than share chat.update's budget with them turn for turn (after a burst of
    changes, that doubled the time until every card showed its ticket's last state)."""
    limit = paced_batch(client)
    more = deliver_cards(runtime, client, limit=limit, workspace_id=workspace_id)[0] >= limit
    if not more:
        limit = paced_batch(client)
        claimed = deliver_statuses(runtime, client, limit=limit, workspace_id=workspace_id)[0]
        more = claimed >= limit
    return deliver_messages(runtime, client, workspace_id=workspace_id)[0] >= BATCH or more


def due_workspaces(runtime: Runtime) -> set[str]:
    """The workspaces with a card, status message or message due now: one read, so that a
    change in one workspace wakes the deliverer for that one, not for every installed one."""
    now = runtime.clock.now()
    found: set[str] = set()
    with runtime.database.snapshot() as session:
        for model in (CardRefresh, StatusRefresh, OutgoingMessage):
            found.update(
                session.scalars(
                    select(Ticket.workspace_id)
                    .join(model, model.ticket_id == Ticket.id)
                    .where(model.state == PENDING, model.available_at <= now)
                    .distinct()
                )
            )
    return found


def deliver_everywhere(runtime: Runtime, workspaces: Workspaces) -> bool:
    """deliver_all for each workspace with something due, with its client and as its
    settings say."""
    more = False
    only = due_workspaces(runtime) if workspaces.oauth else None
    if only == set():
        return False
    for served in workspaces.serving(only=only):
        with acting_for(served.workspace_id):
            more |= deliver_all(runtime, served.client, workspace_id=served.workspace_id)
    return more


class Deliverer(Nudged):
    """Shows changes moments after they commit, on a thread of its own."""

    def __init__(self, runtime: Runtime, workspaces: Workspaces) -> None:
        # A full batch may leave more behind; a change made meanwhile kicks again anyway.
        super().__init__("deliverer", lambda: deliver_everywhere(runtime, workspaces))


def start_deliverer(runtime: Runtime, workspaces: Workspaces) -> Deliverer:
    deliverer = Deliverer(runtime, workspaces)
    runtime.deliverer = deliverer
    return deliverer
