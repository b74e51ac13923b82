"""Steps shared by the Slack scenario tests: raise a ticket, open a modal, click on the card,
read what the bot answered. Each step waits for what it caused, never for a fixed time."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from tests.support.factories import make_ticket
from tests.support.slack_payloads import static
from ticketbot.ids import InputId
from ticketbot.services.access import Role, Viewer
from ticketbot.store.models import Ticket, TicketChange

AGENT = "U0AGT0001"
AGENT_2 = "U0AGT0002"
ADMIN = "U0MGR0001"
REQUESTER = "U0REQ0001"
OTHER = "U0REQ0002"
TRIAGE = "C0SUPPORT1"
GENERAL = "C0GENERAL1"
ROLES = {AGENT: Role.AGENT, AGENT_2: Role.AGENT, ADMIN: Role.ADMIN}


def viewer(user_id: str) -> Viewer:
    return Viewer(user_id, ROLES.get(user_id, Role.REQUESTER))


def seed_ticket(slack, title: str, *, requester: str = REQUESTER, **fields: Any) -> int:
    """A ticket straight in the database (no card): for lists, searches and pickers."""
    with slack.database.transaction() as session:
        ticket = make_ticket(
            session,
            policy=slack.runtime.policy,
            now=slack.clock.now(),
            requester=viewer(requester),
            title=title,
            **fields,
        )
        return ticket.number


def ticket(slack, number: int = 1) -> Ticket:
    with slack.database.transaction() as session:
        return session.scalars(select(Ticket).where(Ticket.number == number)).one()


def changes(slack) -> list[tuple[str, str | None, str | None, str]]:
    with slack.database.transaction() as session:
        rows = session.scalars(select(TicketChange).order_by(TicketChange.id)).all()
        return [(r.field, r.old_value, r.new_value, r.actor_id) for r in rows]


def opened(slack, trigger: Callable[[], Any], method: str = "views.open") -> dict:
    """Do what opens a view; return the view as Slack completed it (id, hash, state)."""
    before = len(slack.fake.calls(method))
    response = trigger()
    assert response.status_code == 200, response.text
    call = slack.fake.wait_for(method, before + 1)[before]
    assert not call.failed, call.error
    return call.response["view"]


def answer(slack, trigger: Callable[[], Any]) -> dict:
    """Do what makes the bot answer on the response_url; return that answer."""
    before = len(slack.fake.calls("response_url"))
    response = trigger()
    assert response.status_code == 200, response.text
    return slack.fake.wait_for("response_url", before + 1)[before].args


def command(slack, text: str, *, user_id: str = REQUESTER) -> dict:
    return answer(slack, lambda: slack.send.command(text, user_id=user_id))


def texts(node: Any) -> str:
    """Every text in blocks (or a message, or a view), one per line, to search for words."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        inner = [texts(v) for k, v in node.items() if not (k == "text" and v in own)]
        return "\n".join(t for t in own + inner if t)
    if isinstance(node, list):
        return "\n".join(t for t in (texts(item) for item in node) if t)
    return ""


def everything(message: dict) -> str:
    """All the text of a message or view, to look for words wherever the blocks put them."""
    return texts(message.get("blocks")) + "\n" + str(message.get("text", ""))


def listed_numbers(message: dict) -> list[int]:
    """Ticket numbers in the rows of a list answer, in order."""
    rows = [b["text"]["text"] for b in message["blocks"] if b.get("accessory")]
    return [int(re.search(r"\*#(\d+)\*", row).group(1)) for row in rows]


STATUS_EVENT = "ticketbot_status"


def is_card_update(call) -> bool:
    """A chat.update of a card (the triage channel's), not of a requester's status message."""
    return call.args.get("channel") == TRIAGE


def card_updates(slack) -> int:
    return len([c for c in slack.fake.calls("chat.update") if is_card_update(c)])


def card_updated(slack, before: int, *, timeout: float = 5.0) -> dict:
    """The card update after the first `before` of them (waited for), as sent."""
    calls = slack.fake.wait_for("chat.update", before + 1, predicate=is_card_update,
                                timeout=timeout)  # fmt: skip
    return calls[before].args


def status_posts(slack) -> list:
    """The requester's status messages the bot posted (each ticket's first, then updated)."""
    return [
        c
        for c in slack.fake.calls("chat.postMessage")
        if not c.failed and (c.args.get("metadata") or {}).get("event_type") == STATUS_EVENT
    ]


def raised(slack, trigger: Callable[[], Any]) -> dict:
    """Do what raises a ticket; return its status message as posted (the requester's
    confirmation, posted once the card is posted and remembered)."""
    before = len(status_posts(slack))
    response = trigger()
    assert response.status_code == 200, response.text
    slack.fake.wait_for(
        "chat.postMessage",
        predicate=lambda c: (c.args.get("metadata") or {}).get("event_type") == STATUS_EVENT,
        count=before + 1,
    )
    return status_posts(slack)[before].args


def number_of(status: dict) -> int:
    return int(re.search(r"#(\d+)", status["text"]).group(1))


def create_ticket(
    slack, title: str = "Printer jammed", *, user_id: str = REQUESTER, **values: Any
) -> int:
    """Raise a ticket through `/ticket new` and its modal; wait for the card and the
    requester's status message."""
    view = opened(slack, lambda: slack.send.command(f"new {title}", user_id=user_id))
    fields = {InputId.PRIORITY: {InputId.PRIORITY: static(values.pop("priority", "normal"))}}
    fields.update(values)
    status = raised(slack, lambda: slack.send.view_submission(view, fields, user_id=user_id))
    return number_of(status)


def card_action(slack, action_id: str, *, number: int = 1, user_id: str = AGENT, **chosen):
    """Use a control on the ticket's live card, as it is in Slack right now."""
    card = slack.card(number)
    block = next(b for b in card["blocks"] if b.get("type") == "actions")
    action = {"action_id": action_id, "block_id": block["block_id"], **chosen}
    return slack.send.block_actions(
        [action], user_id=user_id, channel_id=card["channel"], message=card
    )


def choose(value: str) -> dict:
    """The `selected_option` of a static select, for card_action."""
    return {"selected_option": static(value)["selected_option"]}


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)
