"""`/ticket`: open the create modal, show, list, search, help."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from ticketbot.handlers.common import (
    ModalContext,
    runtime_of,
    sla_of,
    viewer_of,
    workspace_of,
)
from ticketbot.handlers.faq import faq_answer, suggestions_at_open
from ticketbot.handlers.reports import report_command
from ticketbot.i18n import N_, _
from ticketbot.services import comments as comment_service
from ticketbot.services import faq as faq_service
from ticketbot.services import links as link_service
from ticketbot.services import related as related_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import related_kinds_for
from ticketbot.services.errors import NotFound
from ticketbot.services.finder import Scope, list_tickets, search_tickets
from ticketbot.views.card import can_become_faq, ticket_detail
from ticketbot.views.forms import create_modal
from ticketbot.views.lists import help_message, ticket_list
from ticketbot.views.notices import notice
from ticketbot.views.text import safe
from ticketbot.vocabulary import Source

COMMAND = "/ticket"
_SHOW = re.compile(r"^(?:show\s+)?#?(\d{1,9})$", re.IGNORECASE)
SCOPE_TITLES = {
    Scope.OPEN: N_("Open tickets"),
    Scope.MINE: N_("My tickets"),
    Scope.ASSIGNED: N_("Assigned to me"),
    Scope.WAITING: N_("Waiting on reply"),
    Scope.CLOSED: N_("Closed tickets"),
    Scope.ALL: N_("All tickets"),
}


def open_create_modal(
    client: WebClient,
    runtime,
    trigger_id: str,
    *,
    title: str = "",
    description: str = "",
    context: ModalContext,
    note: str | None = None,
    workspace_id: str = "",
    user_id: str = "",
):
    client.views_open(
        trigger_id=trigger_id,
        view=create_modal(
            categories=runtime.config.categories,
            products=runtime.config.products,
            metadata=context.dump(),
            title=title,
            description=description,
            note=note,
            suggestions=suggestions_at_open(runtime, workspace_id, user_id, title),
        ),
    )


def show_ticket(
    runtime, client: WebClient, *, workspace_id: str, user_id: str, number: int, viewer
) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        ticket = ticket_service.get_ticket(
            session=session, workspace_id=workspace_id, number=number, viewer=viewer
        )
        latest = comment_service.latest_comments(session=session, ticket=ticket, limit=5)
        linked = link_service.links_of(session=session, ticket=ticket)
        kinds = related_kinds_for(viewer, runtime.config.related_kinds)
        counted = related_service.summary(session=session, ticket=ticket, kinds=kinds)
        in_faq = can_become_faq(ticket) and (
            faq_service.entry_of(session=session, ticket=ticket) is not None
        )
    return ticket_detail(
        ticket,
        sla_of(runtime, ticket),
        comments=latest,
        links=linked,
        card_link=ticket.card_permalink,
        email=runtime.mailer is not None,
        related_counts=counted.counts,
        time_spent_minutes=counted.minutes,
        faq_button=viewer.is_agent and can_become_faq(ticket),
        in_faq=in_faq,
    )


def register(app: App) -> None:
    @app.command(COMMAND)
    def on_ticket_command(ack: Ack, body: dict, respond: Respond, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        text = " ".join((body.get("text") or "").split())
        word, _sep, rest = text.partition(" ")
        word = word.lower()
        workspace_id = workspace_of(body)
        user_id = body["user_id"]

        if word in ("", "new", "create"):
            open_create_modal(
                client,
                runtime,
                body["trigger_id"],
                title=rest,
                context=ModalContext(
                    source=Source.SLASH_COMMAND,
                    channel_id=body.get("channel_id"),
                    response_url=body.get("response_url"),
                ),
                workspace_id=workspace_id,
                user_id=user_id,
            )
            return
        if word == "help":
            respond(response_type="ephemeral", **help_message(COMMAND))
            return
        viewer = viewer_of(context, client, user_id)
        shown = _SHOW.match(text)
        if shown:
            try:
                detail = show_ticket(
                    runtime,
                    client,
                    workspace_id=workspace_id,
                    user_id=user_id,
                    number=int(shown.group(1)),
                    viewer=viewer,
                )
            except NotFound as missing:
                respond(response_type="ephemeral", **notice(missing.message))
                return
            respond(response_type="ephemeral", **detail)
            return
        if word == "list":
            try:
                scope = Scope(rest.lower() or Scope.OPEN)
            except ValueError:
                respond(
                    response_type="ephemeral",
                    **notice(
                        _(
                            "Unknown list *{name}*. "
                            "Try open, mine, assigned, waiting, closed or all."
                        ).format(name=safe(rest, 50))
                    ),
                )
                return
            with runtime.database.transaction() as session:
                found = list_tickets(
                    session=session, workspace_id=workspace_id, viewer=viewer, scope=scope, limit=21
                )
            items = [(t, sla_of(runtime, t)) for t in found]
            respond(
                response_type="ephemeral",
                **ticket_list(
                    _(SCOPE_TITLES[scope]), items, empty=_("No tickets here."), more=len(found) > 20
                ),
            )
            return
        if word == "report":
            report_command(runtime, client, respond, body=body, viewer=viewer, text=rest)
            return
        if word == "faq":
            respond(
                response_type="ephemeral",
                **faq_answer(runtime, workspace_id=workspace_id, viewer=viewer, words=rest),
            )
            return
        if word == "search":
            if not rest:
                respond(
                    response_type="ephemeral",
                    **notice(_("Search for what? Try `/ticket search printer`.")),
                )
                return
            with runtime.database.transaction() as session:
                found = search_tickets(
                    session=session, workspace_id=workspace_id, viewer=viewer, query=rest, limit=21
                )
            items = [(t, sla_of(runtime, t)) for t in found]
            respond(
                response_type="ephemeral",
                **ticket_list(
                    _("Tickets matching “{query}”").format(query=rest[:100]),
                    items,
                    empty=_("No ticket matches “{query}”.").format(query=safe(rest, 100)),
                    more=len(found) > 20,
                ),
            )
            return
        message = help_message(COMMAND)
        message["blocks"].insert(
            0, notice(_("I did not understand “{text}”.").format(text=safe(text, 200)))["blocks"][0]
        )
        respond(response_type="ephemeral", **message)
