"""The few report expressions SQLite and PostgreSQL spell differently.

PostgreSQL has time zones and ordered-set aggregates; SQLite has neither, so there the
percentiles read the sorted values at their offsets and local days come from the period's
own day boundaries. Both interpolate percentiles the same way (`percentile_cont`), so one
data set gives one answer on either database."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    case,
    cast,
    extract,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from ticketbot.services.periods import Period


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def seconds_between(session: Session, start, end) -> ColumnElement[float]:
    """end - start in seconds, as a number both databases can sort."""
    if dialect_of(session) == "postgresql":
        return cast(extract("epoch", end) - extract("epoch", start), Float)
    return cast(func.strftime("%s", end), Integer) - cast(func.strftime("%s", start), Integer)


def local_day(session: Session, column, period: Period) -> ColumnElement:
    """The local date of an instant, in the period's time zone."""
    if dialect_of(session) == "postgresql":
        # Stored values are UTC without a zone: read them as UTC, then as local wall time.
        return cast(func.timezone(period.timezone, func.timezone("UTC", column)), Date)
    if period.timezone == "UTC":
        return func.date(column)
    # SQLite knows no time zones: each local day is the span between two known instants.
    starts = period.day_starts()
    whens = [(column < starts[i + 1], day.isoformat()) for i, day in enumerate(period.days)]
    return case(*whens[:-1], else_=whens[-1][1])


def grouped(
    session: Session,
    where: Sequence,
    sets: Mapping[str, tuple[ColumnElement, ...]],
    aggregates: Sequence[ColumnElement],
) -> dict[str, list[tuple]]:
    """`aggregates` of the rows matching `where`, grouped by each named set of columns, as
    rows of (*keys, *aggregates). PostgreSQL does it in one scan with GROUPING SETS; SQLite
    has none, so there each set is its own query."""
    if dialect_of(session) != "postgresql":
        found = {}
        for name, group in sets.items():
            query = select(*group, *aggregates).where(*where).group_by(*group)
            found[name] = [tuple(row) for row in session.execute(query)]
        return found
    # The same column objects in SELECT and GROUP BY, so their bound parameters match.
    columns: list[ColumnElement] = []
    for group in sets.values():
        columns += [c for c in group if not any(c is seen for seen in columns)]
    position = {id(c): i for i, c in enumerate(columns)}
    names = {frozenset(position[id(c)] for c in group): name for name, group in sets.items()}
    query = (
        select(*(func.grouping(c) for c in columns), *columns, *aggregates)
        .where(*where)
        .group_by(func.grouping_sets(*(tuple_(*group) for group in sets.values())))
    )
    found = {name: [] for name in sets}
    width = len(columns)
    for row in session.execute(query):
        kept = frozenset(i for i in range(width) if row[i] == 0)  # 1: rolled up, not a key
        name = names[kept]
        keys = tuple(row[width + position[id(c)]] for c in sets[name])
        found[name].append((*keys, *row[2 * width :]))
    return found


def as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def percentiles(
    session: Session, value: ColumnElement, where: Sequence, fractions: Sequence[float]
) -> tuple[int, list[float | None]]:
    """How many values match, and their percentiles (continuous, as `percentile_cont`)."""
    if dialect_of(session) == "postgresql":
        wanted = array([float(f) for f in fractions])
        row = session.execute(
            select(
                func.count(value),
                func.percentile_cont(wanted).within_group(value).cast(ARRAY(Float)),
            ).where(*where)
        ).one()
        count, found = int(row[0]), row[1]
        return count, list(found) if count else [None] * len(fractions)
    count = int(session.scalar(select(func.count(value)).where(*where)) or 0)
    if not count:
        return 0, [None] * len(fractions)
    results: list[float | None] = []
    for fraction in fractions:
        position = fraction * (count - 1)
        low = math.floor(position)
        pair = session.scalars(
            select(value).where(*where).order_by(value).offset(low).limit(2)
        ).all()
        below = float(pair[0])
        above = float(pair[1]) if len(pair) > 1 else below
        results.append(below + (above - below) * (position - low))
    return count, results
