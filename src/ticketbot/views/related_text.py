"""Related items as text: one line per item, amounts, time spent, and the counts a card or
`/ticket show` carries. Every user value is escaped here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from ticketbot.i18n import _, label
from ticketbot.services.related import RelatedSummary
from ticketbot.store.models import RelatedItem
from ticketbot.views.text import date_token, duration, escape, safe, user
from ticketbot.vocabulary import RelatedKind

ICONS = {
    RelatedKind.ACTIVITY: ":spiral_calendar_pad:",
    RelatedKind.DOCUMENT: ":page_facing_up:",
    RelatedKind.SERVICE: ":wrench:",
    RelatedKind.EXPENSE: ":receipt:",
    RelatedKind.PURCHASE_ORDER: ":shopping_trolley:",
    RelatedKind.QUOTE: ":memo:",
    RelatedKind.EMAIL: ":email:",
    RelatedKind.PROJECT: ":card_index_dividers:",
    RelatedKind.TIMESHEET: ":stopwatch:",
    RelatedKind.SERVICE_CONTRACT: ":scroll:",
}
TITLE_LIMIT = 150
EXCERPT = 200


def money(cents: int, currency: str | None) -> str:
    units, rest = divmod(cents, 100)
    return f"{units}.{rest:02d} {escape(currency or '')}".strip()


def minutes_text(minutes: int) -> str:
    return duration(timedelta(minutes=minutes))


def _title(item: RelatedItem) -> str:
    title = safe(item.title, TITLE_LIMIT)
    if item.url:
        # Addresses were checked on the way in: no spaces, '<', '>' or '|' can end the link.
        return f"<{escape(item.url)}|{title}>"
    return f"*{title}*"


def item_line(item: RelatedItem, today: date | None = None) -> str:
    """What one item says in the Related modal: its kind's essentials, then notes."""
    kind = RelatedKind(item.kind)
    parts = [f"{ICONS[kind]} {_title(item)}"]
    if item.reference:
        parts.append(safe(item.reference, 100))
    if item.amount_cents is not None:
        parts.append(money(item.amount_cents, item.currency))
    if kind is RelatedKind.TIMESHEET and item.minutes:
        parts.append(minutes_text(item.minutes))
        if item.worker_id:
            parts.append(user(item.worker_id))
        if item.worked_on:
            parts.append(item.worked_on.isoformat())
    if item.closed_at is not None:
        parts.append(_("done {when}").format(when=date_token(item.closed_at, "{date_short}")))
    elif item.due_on is not None:
        overdue = today is not None and item.due_on < today
        words = _("overdue since {day}") if overdue else _("due {day}")
        icon = ":warning: " if overdue else ""
        parts.append(icon + words.format(day=item.due_on.isoformat()))
    lines = [" · ".join(parts)]
    if item.details:
        lines.append(f"> {safe(' '.join(item.details.split()), EXCERPT)}")
    lines.append(
        _("added by {user} {when}").format(
            user=user(item.created_by), when=date_token(item.created_at, "{date_short}")
        )
    )
    return "\n".join(lines)


def group_title(kind: RelatedKind, done: bool, total: int, summary: RelatedSummary | None) -> str:
    name = _("Activity history") if done else label(kind)
    extra = ""
    if summary is not None and kind is RelatedKind.TIMESHEET and summary.minutes:
        extra = " · " + _("{time} spent").format(time=minutes_text(summary.minutes))
    if summary is not None and kind is RelatedKind.EXPENSE and summary.expenses:
        extra = " · " + ", ".join(money(c, cur) for cur, c in summary.expenses.items())
    return f"{ICONS[kind]} *{name}* ({total}){extra}"


def counts_text(counts: Mapping[RelatedKind | str, int], minutes: int = 0) -> str:
    """'Activity 2 · Document 1 · Time spent 1 h': labels for kinds, other names escaped."""
    parts = [
        f"{label(name) if isinstance(name, RelatedKind) else safe(str(name), 75)} {int(count)}"
        for name, count in counts.items()
        if count
    ]
    if minutes:
        parts.append(_("Time spent {time}").format(time=minutes_text(minutes)))
    return " · ".join(parts)
