"""A workspace's data as a whole: how much there is, and deleting all of it
(`ticketbot workspace delete`). Uninstalling the bot keeps it; only this removes it.

Every table that holds a workspace's rows says so with a `workspace_id` column, or hangs off
a ticket; the installation tables name it `team_id`. Tables added later are covered the same
way, without a list to keep up to date here."""

from __future__ import annotations

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from ticketbot.store.models import BOTS, INSTALLATIONS, Base, ScheduledRun, Ticket


def _condition(table: Table, workspace_id: str):
    """Which rows of `table` are the workspace's; None: the table holds none of them."""
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    if "team_id" in table.c:  # slack_sdk's installation tables
        return table.c.team_id == workspace_id
    if table.name == ScheduledRun.__tablename__:  # per workspace: "job:T0123"
        return table.c.job.endswith(f":{workspace_id}")
    for foreign_key in table.foreign_keys:
        if foreign_key.column is Ticket.__table__.c.id:
            mine = select(Ticket.id).where(Ticket.workspace_id == workspace_id)
            return foreign_key.parent.in_(mine.scalar_subquery())
    return None


def _tables() -> list[Table]:
    """Dependents before what they depend on."""
    return list(reversed(Base.metadata.sorted_tables))


def workspace_rows(*, session: Session, workspace_id: str) -> dict[str, int]:
    """How many rows each table holds for the workspace (tables with none left out)."""
    counts = {}
    for table in _tables():
        condition = _condition(table, workspace_id)
        if condition is None:
            continue
        found = session.scalar(select(func.count()).select_from(table).where(condition)) or 0
        if found:
            counts[table.name] = found
    return counts


def delete_workspace(*, session: Session, workspace_id: str) -> dict[str, int]:
    """Delete everything the workspace has here, its installation included; returns how
    many rows went from each table."""
    deleted = {}
    for table in _tables():
        condition = _condition(table, workspace_id)
        if condition is None:
            continue
        gone = session.execute(
            delete(table).where(condition).execution_options(synchronize_session=False)
        ).rowcount
        if gone:
            deleted[table.name] = gone
    return deleted


def installed_teams(*, session: Session) -> dict[str, str | None]:
    """The workspaces with an installation, by id, with their names."""
    rows = session.execute(
        select(BOTS.c.team_id, func.max(BOTS.c.team_name)).group_by(BOTS.c.team_id)
    ).all()
    names = {team: name for team, name in rows if team}
    for team, name in session.execute(
        select(INSTALLATIONS.c.team_id, func.max(INSTALLATIONS.c.team_name)).group_by(
            INSTALLATIONS.c.team_id
        )
    ).all():
        if team:
            names.setdefault(team, name)
    return names


def known_workspaces(*, session: Session) -> dict[str, int]:
    """Every workspace that has tickets here, with how many."""
    rows = session.execute(
        select(Ticket.workspace_id, func.count()).group_by(Ticket.workspace_id)
    ).all()
    return dict(rows)
