"""The report as a message: every figure in plain lists a screen reader reads in order (the
chart image that follows only repeats them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from ticketbot.i18n import N_, _, label, ngettext
from ticketbot.services.periods import Period
from ticketbot.services.reports import Compliance, Durations, PartyName, Report
from ticketbot.views.blocks import context, divider, fields, header, message, section
from ticketbot.views.limits import SECTION_TEXT
from ticketbot.views.text import date_token, duration, safe

AGE_LABELS = {
    "under_1d": N_("Under a day"),
    "1d_3d": N_("1 to 3 days"),
    "3d_7d": N_("3 to 7 days"),
    "7d_30d": N_("7 to 30 days"),
    "over_30d": N_("Over 30 days"),
}


def period_name(period: Period) -> str:
    if period.kind == "rolling":
        days = len(period.days)
        return ngettext("last {days} day", "last {days} days", days).format(days=days)
    if period.kind == "week":
        return _("week {week}").format(week=period.key)
    return period.key


def report_title(period: Period, *, weekly: bool = False) -> str:
    if weekly:
        return _("Weekly ticket report, {period}").format(period=period_name(period))
    return _("Ticket report, {period}").format(period=period_name(period))


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def _durations(found: Durations) -> str:
    if not found.count or found.median is None or found.p90 is None:
        return "—"
    return _("median {median}, 90% within {p90}").format(
        median=_short(found.median), p90=_short(found.p90)
    )


def _short(delta: timedelta) -> str:
    return duration(delta) if delta >= timedelta(minutes=1) else _("under a minute")


def _lines(title: str, rows: Iterable[tuple[str, str]]) -> dict:
    """A titled list, one `• name: value` line each, cut to one section."""
    text = f"*{title}*"
    for name, value in rows:
        line = f"\n• {name}: {value}"
        if len(text) + len(line) > SECTION_TEXT - 2:
            text += "\n…"
            break
        text += line
    return section(text)


def _counted(rows, total: int, name, *, rest: str) -> list[tuple[str, str]]:
    shown = [(name(key), f"{n} ({percent(n, total)})") for key, n in rows]
    others = total - sum(n for _key, n in rows)
    if others > 0:
        shown.append((rest, f"{others} ({percent(others, total)})"))
    return shown


def _compliance(rows: Iterable[Compliance], name) -> list[tuple[str, str]]:
    return [
        (name(c.key), _("{share} ({met} of {closed})").format(
            share=percent(c.met, c.closed), met=c.met, closed=c.closed
        ))
        for c in rows
    ]  # fmt: skip


def _category(value: str | None) -> str:
    return safe(value, 100) if value else _("No category")


def _party(value: PartyName | None) -> str:
    if value is None:
        return _("No related party")
    return f"{label(value.kind)}: {safe(value.name, 100)}"


def _backlog(report: Report) -> dict:
    backlog = report.backlog
    rows = [(_(AGE_LABELS[name]), str(n)) for name, n in backlog.ages]
    block = _lines(_("Open now: {count}, by age").format(count=backlog.open), rows)
    if backlog.oldest_number is not None and backlog.oldest_created_at is not None:
        block["text"]["text"] += "\n" + _("Oldest: #{number}, raised {when}").format(
            number=backlog.oldest_number, when=date_token(backlog.oldest_created_at, "{date}")
        )
    return block


def _satisfaction(report: Report) -> str:
    found = report.satisfaction
    if not found.count or found.average is None:
        return _("no ratings")
    return ngettext(
        "{average} / 5 ({count} rating)", "{average} / 5 ({count} ratings)", found.count
    ).format(average=f"{found.average:.1f}", count=found.count)


def _overview(report: Report) -> dict:
    sla = report.sla
    return fields(
        [
            (_("Raised"), str(report.raised)),
            (_("Closed"), str(report.closed)),
            (_("Open now"), str(report.backlog.open)),
            (
                _("Deadlines met"),
                _("{share} ({met} of {closed})").format(
                    share=percent(sla.met, sla.closed), met=sla.met, closed=sla.closed
                ),
            ),
            (_("First response"), _durations(report.first_response)),
            (_("Resolution"), _durations(report.resolution)),
            (_("Satisfaction"), _satisfaction(report)),
        ]
    )


def _breakdowns(
    report: Report, names: Mapping[str, str], queue_names: Mapping[str, str]
) -> list[dict]:
    raised = report.raised

    def person(user_id: str | None) -> str:
        return safe(names.get(user_id, user_id), 100) if user_id else _("Unassigned")

    def counted(rows, name, rest: str = "") -> list[tuple[str, str]]:
        return _counted(rows, raised, name, rest=rest)

    def queue(key: str) -> str:
        return safe(queue_names.get(key, key), 40)

    blocks = []
    if len(queue_names) > 1 and (report.queues is None or len(report.queues) > 1):
        blocks.append(_lines(_("By queue"), counted(report.by_queue, queue)))
    blocks += [
        _lines(_("Where tickets come from"), counted(report.by_source, label)),
        _lines(_("By category"), counted(report.by_category, _category, _("Other categories"))),
        _lines(_("By priority"), counted(report.by_priority, label)),
        _lines(_("By status now"), counted(report.by_status, label)),
        _lines(_("By assignee"), counted(report.by_assignee, person, _("Others"))),
        _lines(_("Related to"), counted(report.by_party, _party, _("Other parties"))),
    ]
    if report.closed:
        blocks += [
            _lines(_("Deadlines met by priority"), _compliance(report.sla_by_priority, label)),
            _lines(_("Deadlines met by category"), _compliance(report.sla_by_category, _category)),
        ]
    return blocks


def report_message(
    report: Report,
    *,
    names: Mapping[str, str],
    weekly: bool = False,
    chart: bool = True,
    queue_names: Mapping[str, str] | None = None,
) -> dict:
    """`names` are display names by user id: names, not mentions, so a report posted in a
    channel pings nobody. `queue_names`: every queue's name by key (tickets by queue when
    there are several)."""
    queue_names = queue_names or {}
    period = report.period
    title = report_title(period, weekly=weekly)
    span = _("{first} to {last}, days in {zone}").format(
        first=period.first_day.isoformat(), last=period.last_day.isoformat(), zone=period.timezone
    )
    if report.queues is not None and len(queue_names) > 1:
        covered = ", ".join(safe(queue_names.get(k, k), 40) for k in report.queues)
        span += " · " + _("Queues: {queues}").format(queues=covered)
    blocks = [header(title), context(span)]
    if report.empty:
        nothing = _("Nothing happened in this period: no ticket raised, none closed, no rating.")
        blocks += [section(nothing), _backlog(report)]
        return message(f"{title}: {nothing}", blocks)

    blocks += [
        _overview(report),
        divider(),
        *_breakdowns(report, names, queue_names),
        _backlog(report),
    ]
    satisfaction = report.satisfaction
    if satisfaction.count:
        rows = [
            (ngettext("{n} star", "{n} stars", n).format(n=n), str(satisfaction.scores[n]))
            for n in sorted(satisfaction.scores)
        ]
        heading = _("Satisfaction: {summary}").format(summary=_satisfaction(report))
        blocks.append(_lines(heading, reversed(rows)))
    if chart:
        blocks.append(context(_("The chart below shows the same figures by day and category.")))
    summary = _("{raised} raised, {closed} closed, {open} open now").format(
        raised=report.raised, closed=report.closed, open=report.backlog.open
    )
    return message(f"{title}: {summary}", blocks)


def report_sent(link: str | None, *, chart_error: str | None = None) -> dict:
    """The answer to /ticket report, where it was asked."""
    words = _("direct message")
    where = f"<{link}|{words}>" if link else words
    text = _("Report sent to you in a {where}.").format(where=where)
    if chart_error:
        text += " " + _("Slack refused its chart ({reason}); every figure is in the text.").format(
            reason=safe(chart_error, 100)
        )
    return message(text, [section(f":bar_chart: {text}")])
