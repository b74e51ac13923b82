"""Read-then-render: what a person asked to see, as the views draw it. Nothing here writes.

Each screen reads in a read-only transaction (under SQLite it neither takes nor waits for the
write lock) and returns a message or a view; the listener sends it."""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from ticketbot.i18n import N_, _
from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import faq as faq_service
from ticketbot.services import history as history_service
from ticketbot.services import links as link_service
from ticketbot.services import related as related_service
from ticketbot.services import settings as stored_settings
from ticketbot.services.access import (
    Role,
    Viewer,
    can_add_related,
    can_manage_related,
    related_kinds_for,
)
from ticketbot.services.conversation import notify_level
from ticketbot.services.deadlines import SlaState
from ticketbot.services.errors import Forbidden
from ticketbot.services.faq import FaqHit
from ticketbot.services.finder import (
    Scope,
    due_soonest,
    list_tickets,
    search_tickets,
    unassigned,
)
from ticketbot.services.parties import search_parties
from ticketbot.services.queues import is_away
from ticketbot.slack.cards import sla_of
from ticketbot.slack.flows import find_ticket
from ticketbot.slack.forms import ModalContext, states
from ticketbot.store.models import Ticket
from ticketbot.views.card import can_become_faq, ticket_detail
from ticketbot.views.faq import faq_list, faq_modal
from ticketbot.views.forms import create_modal, with_queue
from ticketbot.views.history import PAGE_SIZE, history_modal
from ticketbot.views.home import SECTION_LIMIT, home_view
from ticketbot.views.lists import ticket_list
from ticketbot.views.notices import notice
from ticketbot.views.options import party_options, ticket_options
from ticketbot.views.related import related_modal
from ticketbot.views.settings import home_section
from ticketbot.views.setup import first_run_home, not_set_up
from ticketbot.views.text import safe

logger = logging.getLogger("ticketbot.screens")
SUGGESTIONS = 3
OPTIONS_LIMIT = 25
AT_RISK = (SlaState.AT_RISK, SlaState.BREACHED)
SCOPE_TITLES = {
    Scope.OPEN: N_("Open tickets"),
    Scope.MINE: N_("My tickets"),
    Scope.ASSIGNED: N_("Assigned to me"),
    Scope.WAITING: N_("Waiting on reply"),
    Scope.CLOSED: N_("Closed tickets"),
    Scope.ALL: N_("All tickets"),
}


def load_ticket(runtime: Runtime, workspace_id: str, number: int, viewer: Viewer) -> Ticket:
    """The ticket as the viewer may see it (NotFound otherwise), for reading."""
    with runtime.database.transaction(read_only=True) as session:
        return find_ticket(session, workspace_id, number, viewer)


def today(runtime: Runtime) -> date:
    """The team's date (business-hours zone when configured): what 'overdue' is measured by."""
    hours = runtime.config.sla.business_hours
    zone = ZoneInfo(hours.timezone) if hours else None
    now = runtime.clock.now()
    return (now.astimezone(zone) if zone else now).date()


# --- One ticket ----------------------------------------------------------------------------


def ticket_screen(runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer) -> dict:
    """`/ticket show N`: every field, the latest comments, linked conversations, controls."""
    with runtime.database.transaction(read_only=True) as session:
        ticket = find_ticket(session, workspace_id, number, viewer)
        latest = comment_service.latest_comments(
            session=session, ticket=ticket, limit=5, notes=viewer.works_on(ticket)
        )
        linked = link_service.links_of(session=session, ticket=ticket)
        kinds = related_kinds_for(viewer, runtime.config.related_kinds, ticket)
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
        faq_button=viewer.works_on(ticket) and can_become_faq(ticket),
        in_faq=in_faq,
    )


def shared_ticket(runtime: Runtime, ticket: Ticket) -> dict:
    """A public copy of the ticket for a channel: no controls, no comments."""
    return ticket_detail(ticket, sla_of(runtime, ticket), comments=[], links=[], shared=True)


def history_view(runtime: Runtime, ticket: Ticket, page: int, viewer: Viewer) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        entries, total = history_service.timeline_page(
            session=session,
            ticket=ticket,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
            hide=related_service.hidden_history(viewer, ticket),
            notes=viewer.works_on(ticket),
        )
    return history_modal(
        ticket,
        entries,
        page=page,
        total=total,
        metadata=ModalContext(number=ticket.number, page=page).dump(),
    )


def related_view(runtime: Runtime, ticket: Ticket, viewer: Viewer) -> dict:
    enabled = runtime.config.related_kinds
    kinds = related_kinds_for(viewer, enabled, ticket)
    with runtime.database.transaction(read_only=True) as session:
        linked = link_service.links_of(session=session, ticket=ticket, limit=50)
        groups = related_service.groups(session=session, ticket=ticket, kinds=kinds)
        summary = related_service.summary(session=session, ticket=ticket, kinds=kinds)
    return related_modal(
        ticket,
        linked,
        groups=groups,
        summary=summary,
        addable=[k for k in enabled if can_add_related(viewer, ticket, k)],
        manage=can_manage_related(viewer, ticket),
        today=today(runtime),
        metadata=ModalContext(number=ticket.number).dump(),
    )


# --- Lists ---------------------------------------------------------------------------------


def list_screen(runtime: Runtime, *, workspace_id: str, viewer: Viewer, scope: Scope) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        found = list_tickets(
            session=session, workspace_id=workspace_id, viewer=viewer, scope=scope, limit=21
        )
    items = [(t, sla_of(runtime, t)) for t in found]
    return ticket_list(
        _(SCOPE_TITLES[scope]), items, empty=_("No tickets here."), more=len(found) > 20
    )


def search_screen(runtime: Runtime, *, workspace_id: str, viewer: Viewer, query: str) -> dict:
    if not query:
        return notice(_("Search for what? Try `/ticket search printer`."))
    with runtime.database.transaction(read_only=True) as session:
        found = search_tickets(
            session=session, workspace_id=workspace_id, viewer=viewer, query=query, limit=21
        )
    items = [(t, sla_of(runtime, t)) for t in found]
    return ticket_list(
        _("Tickets matching “{query}”").format(query=query[:100]),
        items,
        empty=_("No ticket matches “{query}”.").format(query=safe(query, 100)),
        more=len(found) > 20,
    )


def home_screen(runtime: Runtime, *, workspace_id: str, viewer: Viewer) -> dict:
    """App Home: my open tickets; for agents, my assignments and what is at risk. Before the
    workspace is set up: the setup for an admin, who can set it up for anyone else."""
    if stored_settings.needs_setup(runtime.config, runtime.file_config):
        return _first_run_home(runtime, workspace_id=workspace_id, viewer=viewer)
    with runtime.database.transaction(read_only=True) as session:
        mine = list_tickets(
            session=session,
            workspace_id=workspace_id,
            viewer=viewer,
            scope=Scope.MINE,
            limit=SECTION_LIMIT + 1,
            open_only=True,
        )
        assigned = at_risk = new = None
        if viewer.is_agent:
            new = unassigned(
                session=session, workspace_id=workspace_id, viewer=viewer, limit=SECTION_LIMIT + 1
            )
            assigned = list_tickets(
                session=session,
                workspace_id=workspace_id,
                viewer=viewer,
                scope=Scope.ASSIGNED,
                limit=SECTION_LIMIT + 1,
            )
            at_risk = due_soonest(session=session, workspace_id=workspace_id, viewer=viewer)
        notify = notify_level(session=session, workspace_id=workspace_id, user_id=viewer.user_id)
        settings_row = (
            stored_settings.latest(session=session, workspace_id=workspace_id)
            if viewer.role is Role.ADMIN
            else None
        )
        away = (
            is_away(session=session, workspace_id=workspace_id, user_id=viewer.user_id)
            if viewer.is_agent
            else None
        )

    def with_sla(tickets):
        return [(t, sla_of(runtime, t)) for t in tickets]

    risky = None
    if at_risk is not None:
        risky = [(t, s) for t, s in with_sla(at_risk) if s.state in AT_RISK]
    return home_view(
        mine=with_sla(mine),
        assigned=with_sla(assigned) if assigned is not None else None,
        at_risk=risky,
        notify=notify,
        away=away,
        settings=(
            home_section(
                settings_row.version if settings_row else None,
                settings_row.changed_by if settings_row else None,
                settings_row.changed_at if settings_row else None,
            )
            if viewer.role is Role.ADMIN
            else None
        ),
        new=with_sla(new) if new is not None else None,
    )


def _first_run_home(runtime: Runtime, *, workspace_id: str, viewer: Viewer) -> dict:
    admin = viewer.role is Role.ADMIN
    settings = []
    if admin:
        with runtime.database.transaction(read_only=True) as session:
            row = stored_settings.latest(session=session, workspace_id=workspace_id)
        settings = home_section(row.version if row else None, row.changed_by if row else None,
                                row.changed_at if row else None)  # fmt: skip
    return first_run_home(admin=admin, admins=runtime.config.admins, settings=settings)


def party_choices(runtime: Runtime, *, workspace_id: str, query: str) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        parties = search_parties(
            session=session, workspace_id=workspace_id, query=query, limit=OPTIONS_LIMIT
        )
    return party_options(parties, query)


def ticket_choices(runtime: Runtime, *, workspace_id: str, viewer: Viewer, query: str) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        if query:
            found = search_tickets(
                session=session,
                workspace_id=workspace_id,
                viewer=viewer,
                query=query,
                limit=OPTIONS_LIMIT,
            )
        else:
            found = list_tickets(
                session=session,
                workspace_id=workspace_id,
                viewer=viewer,
                scope=Scope.OPEN,
                limit=OPTIONS_LIMIT,
            )
    return ticket_options(found)


# --- The FAQ -------------------------------------------------------------------------------


def faq_screen(runtime: Runtime, *, workspace_id: str, viewer: Viewer, words: str) -> dict:
    """`/ticket faq [words]`: matching entries, or the latest ones."""
    with runtime.database.transaction(read_only=True) as session:
        if words:
            hits = faq_service.search_faq(
                session=session, workspace_id=workspace_id, viewer=viewer, query=words, limit=11
            )
        else:
            hits = faq_service.latest_faq(session=session, workspace_id=workspace_id, viewer=viewer)
    if words:
        shown = words[:100]
        return faq_list(
            _("FAQ entries matching “{query}”").format(query=shown),
            hits,
            empty=_("No FAQ entry matches “{query}”. Try fewer or shorter words.").format(
                query=safe(words, 100)
            ),
        )
    return faq_list(
        _("Latest FAQ entries"),
        hits,
        empty=_("The FAQ is empty. Agents add closed tickets to it with *Convert to FAQ*."),
    )


def faq_form(runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer) -> dict:
    """Convert to FAQ: the question and answer prefilled from the ticket, for agents."""
    with runtime.database.transaction(read_only=True) as session:
        ticket = find_ticket(session, workspace_id, number, viewer)
        faq_service.check_convertible(session=session, ticket=ticket, viewer=viewer)
    return faq_modal(ticket, metadata=ModalContext(number=ticket.number).dump())


def suggestions(
    runtime: Runtime, workspace_id: str, viewer: Viewer, title: str
) -> list[FaqHit] | None:
    """None when the database cannot say: suggestions are a help, never in the way."""
    try:
        with runtime.database.transaction(read_only=True) as session:
            return faq_service.suggest_faq(
                session=session,
                workspace_id=workspace_id,
                viewer=viewer,
                title=title,
                limit=SUGGESTIONS,
            )
    except SQLAlchemyError as error:
        logger.warning("no FAQ suggestions: %s", error.__class__.__name__)
        return None


def queue_choices(runtime: Runtime) -> list[tuple[str, str]]:
    """(key, name) of every queue, for a form's Queue select (shown when there are several)."""
    return [(queue.key, queue.name) for queue in runtime.config.desks]


def form_for_queue(runtime: Runtime, view: dict, key: str) -> dict:
    """A create or edit form as the user has it, offering the chosen queue's categories and
    products."""
    queue = runtime.config.queue(key)
    return with_queue(
        view, states(view), categories=list(queue.categories), products=list(queue.products)
    )


def create_form(
    runtime: Runtime,
    *,
    context: ModalContext,
    workspace_id: str = "",
    user_id: str = "",
    title: str = "",
    description: str = "",
    note: str | None = None,
) -> dict:
    """The create form, with FAQ entries matching the title it opens with.

    The trigger_id lives three seconds, so this asks Slack nothing (a user-group lookup could):
    it suggests what any requester may read, plus entries from the user's own tickets.
    Before the workspace is set up it opens nothing and says who can set it up."""
    if stored_settings.needs_setup(runtime.config, runtime.file_config):
        raise Forbidden(not_set_up(runtime.config.admins)["text"])
    hits = None
    if title.strip():
        hits = suggestions(runtime, workspace_id, Viewer(user_id), title) or None
    queue = runtime.config.queue_of_channel(context.channel_id) or runtime.config.desks[0]
    return create_modal(
        categories=list(queue.categories),
        products=list(queue.products),
        queues=queue_choices(runtime),
        queue=queue.key,
        metadata=context.dump(),
        title=title,
        description=description,
        note=note,
        suggestions=hits,
    )
