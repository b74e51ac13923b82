"""The report's chart as a PNG: tickets per day by source, deadlines met by category.

Drawn on matplotlib's Figure and Agg canvas directly, never pyplot: no GUI, no global state
shared between the threads that answer Slack."""

from __future__ import annotations

import io
from collections import defaultdict

from ticketbot.i18n import _, label
from ticketbot.services.reports import Report
from ticketbot.views.report import percent, report_title
from ticketbot.vocabulary import Source

# Okabe-Ito: told apart by people with any common colour blindness.
SOURCE_COLOURS = {
    Source.SLASH_COMMAND: "#0072B2",
    Source.MESSAGE_SHORTCUT: "#E69F00",
    Source.GLOBAL_SHORTCUT: "#009E73",
    Source.REACTION: "#CC79A7",
    Source.APP_HOME: "#56B4E9",
    Source.CLI: "#999999",
    Source.REQUEST_CHANNEL: "#D55E00",
    Source.WORKFLOW: "#F0E442",
}
MET_COLOUR = "#009E73"
MAX_CATEGORIES = 10
MAX_DAY_LABELS = 15


def chart_alt_text(report: Report) -> str:
    return _(
        "Two bar charts: tickets raised per day by source, and the share of deadlines met by "
        "category. The message above gives the same figures as text."
    )


def _per_day(report: Report, axes) -> None:
    days = list(report.period.days)
    index = {day: i for i, day in enumerate(days)}
    counts: dict[Source, list[int]] = defaultdict(lambda: [0] * len(days))
    for day, source, n in report.daily:
        if day in index:
            counts[source][index[day]] += n
    stacked = [0] * len(days)
    positions = list(range(len(days)))
    for source in Source:
        if source not in counts:
            continue
        axes.bar(
            positions,
            counts[source],
            bottom=stacked,
            label=label(source),
            color=SOURCE_COLOURS[source],
            width=0.8,
        )
        stacked = [a + b for a, b in zip(stacked, counts[source], strict=True)]
    step = max(1, -(-len(days) // MAX_DAY_LABELS))
    axes.set_xticks(positions[::step], [d.strftime("%m-%d") for d in days[::step]])
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.set_ylabel(_("Tickets"))
    axes.set_title(_("Tickets raised per day, by source"), loc="left")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", alpha=0.3)
    if counts:
        # Under the dates, never over the bars.
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, fontsize="small", frameon=False
        )
    else:
        axes.text(0.5, 0.5, _("No ticket raised"), ha="center", transform=axes.transAxes)


def _met_by_category(report: Report, axes) -> None:
    rows = [c for c in report.sla_by_category if c.closed][:MAX_CATEGORIES]
    axes.set_title(_("Deadlines met, by category (tickets closed)"), loc="left")
    axes.set_xlim(0, 100)
    axes.set_xlabel("%")
    if not rows:
        axes.set_yticks([])
        axes.text(0.5, 0.5, _("No ticket closed"), ha="center", transform=axes.transAxes)
        return
    rows.reverse()  # barh draws bottom-up: the busiest category ends on top
    names = [c.key or _("No category") for c in rows]
    shares = [100 * c.met / c.closed for c in rows]
    bars = axes.barh(range(len(rows)), shares, color=MET_COLOUR, height=0.6)
    axes.set_yticks(range(len(rows)), [n if len(n) <= 30 else n[:29] + "…" for n in names])
    axes.bar_label(
        bars,
        [f"{percent(c.met, c.closed)} ({c.met}/{c.closed})" for c in rows],
        padding=4,
        fontsize="small",
    )
    axes.grid(axis="x", alpha=0.3)


def report_chart(report: Report, *, weekly: bool = False) -> bytes:
    from matplotlib.figure import Figure  # heavy: imported when a chart is drawn

    figure = Figure(figsize=(10, 8), dpi=100, layout="constrained")
    days, categories = figure.subplots(2, 1, height_ratios=[3, 2])
    figure.suptitle(report_title(report.period, weekly=weekly), fontsize="large")
    _per_day(report, days)
    _met_by_category(report, categories)
    out = io.BytesIO()
    # No software version in the file: the same report draws the same bytes.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
