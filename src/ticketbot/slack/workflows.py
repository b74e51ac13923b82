"""The "Raise a ticket" step teams add to their own workflows in Workflow Builder.

Slack runs the step with its inputs (title, description, requester, queue, priority) in a
`function_executed` event. The ticket is stored before Slack is answered, once per step
execution however often Slack sends it; its card and the requester's status message follow,
then the step is completed with the ticket's number and a link to its card, which the next
steps of the workflow can use. Bad inputs fail the step with the reason, which Workflow
Builder shows to the person who ran it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from ticketbot.config import TicketbotConfig
from ticketbot.i18n import _
from ticketbot.runtime import Runtime
from ticketbot.services.errors import InvalidInput
from ticketbot.services.events import first_delivery
from ticketbot.services.inputs import TicketDraft, validate
from ticketbot.services.queues import find_queue
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.flows import NewTicket, store_new_ticket
from ticketbot.slack.publish import publish_new_ticket
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Priority, Source

logger = logging.getLogger("ticketbot.workflows")

RAISE_TICKET = "raise_ticket"  # the step's callback id in manifest.yml


@dataclass(frozen=True)
class Step:
    """One execution of the step: where to report, and with which token."""

    execution_id: str
    token: str | None  # the execution's own token (xwfp-...), else the bot's


def _text(inputs: dict, name: str) -> str:
    value = inputs.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise InvalidInput(_("{field} must be text.").format(field=name))
    return str(value).strip()


def _priority(chosen: str) -> Priority:
    if not chosen:
        return Priority.NORMAL
    for priority in Priority:
        if chosen.casefold() in (priority.value, priority.name.casefold()):
            return priority
    choices = ", ".join(p.value for p in Priority)
    raise InvalidInput(_("The priority must be one of: {choices}.").format(choices=choices))


def draft_from_inputs(config: TicketbotConfig, inputs: Any) -> tuple[TicketDraft, str]:
    """The ticket a step's inputs describe, and its requester; InvalidInput says what is
    wrong in words the workflow's author understands."""
    if not isinstance(inputs, dict):
        raise InvalidInput(_("The step got no inputs."))
    requester = _text(inputs, "requester")
    if not requester or requester[0] not in "UW":
        raise InvalidInput(_("The step needs a requester: a person of this workspace."))
    fields: dict[str, Any] = {
        "title": _text(inputs, "title"),
        "description": _text(inputs, "description"),
        "priority": _priority(_text(inputs, "priority")),
        "source": Source.WORKFLOW,
    }
    chosen = _text(inputs, "queue")
    if chosen:
        fields["queue"] = find_queue(config, chosen).key
    return validate(TicketDraft, fields), requester


def raise_from_step(
    runtime: Runtime, quick: WebClient, *, workspace_id: str, step: Step, inputs: Any
) -> NewTicket | None:
    """Store the step's ticket (None: this execution already raised one). Raises
    InvalidInput for inputs that cannot make a ticket."""
    draft, requester_id = draft_from_inputs(runtime.config, inputs)
    requester = runtime.directory.viewer(quick, requester_id)
    with runtime.database.transaction() as session:
        claim = f"step:{step.execution_id}"
        if not first_delivery(session=session, event_id=claim, now=runtime.clock.now()):
            return None
        return store_new_ticket(
            runtime, session, workspace_id=workspace_id, draft=draft, requester=requester,
            quick=quick,
        )  # fmt: skip


def finish_step(runtime: Runtime, client: WebClient, step: Step, new: NewTicket) -> None:
    """Post the card and the status message, then hand the workflow the ticket's number
    and the card's link."""
    publish_new_ticket(runtime, client, new)
    with runtime.database.transaction(read_only=True) as session:
        stored = session.get(Ticket, new.ticket.id)
        link = stored.card_permalink if stored is not None else None
    outputs: dict[str, Any] = {"ticket_number": new.ticket.number}
    if link:
        outputs["ticket_link"] = link
    client.functions_completeSuccess(
        function_execution_id=step.execution_id, outputs=outputs, token=step.token
    )


def fail_step(client: WebClient, step: Step, reason: str) -> None:
    try:
        client.functions_completeError(
            function_execution_id=step.execution_id, error=reason, token=step.token
        )
    except SLACK_FAILURES as error:
        logger.warning("could not fail step %s: %s", step.execution_id, failure_reason(error))
