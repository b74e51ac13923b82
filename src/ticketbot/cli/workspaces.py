"""`ticketbot workspace`: the workspaces the bot serves, and deleting one's data."""

from __future__ import annotations

import argparse
import re
import sys

from ticketbot.cli.common import open_runtime, upgrade_database
from ticketbot.config import ConfigError

TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,31}$")


def add_commands(commands) -> None:
    workspace = commands.add_parser("workspace", help="the workspaces the bot serves")
    sub = workspace.add_subparsers(dest="workspace_command", required=True)
    sub.add_parser(
        "list", help="the installed workspaces and those with tickets here"
    ).set_defaults(func=cmd_workspace_list)
    delete = sub.add_parser(
        "delete", help="delete a workspace's tickets, settings and installation for good"
    )
    delete.add_argument("team_id", metavar="TEAM_ID", help="the workspace id (T...)")
    delete.add_argument("--yes", action="store_true", help="do not ask to type the id again")
    delete.set_defaults(func=cmd_workspace_delete)
    sub.add_parser(
        "key", help="print a new TICKETBOT_SECRET_KEY (encrypts the stored Slack tokens)"
    ).set_defaults(func=cmd_workspace_key)


def cmd_workspace_list(args: argparse.Namespace) -> int:
    from ticketbot.services.workspaces import installed_teams, known_workspaces

    runtime = open_runtime()
    upgrade_database(runtime)
    with runtime.database.snapshot() as session:
        installed = installed_teams(session=session)
        tickets = known_workspaces(session=session)
    for team in sorted(set(installed) | set(tickets)):
        state = "installed" if team in installed else "uninstalled (data kept)"
        name = f" {installed[team]}" if installed.get(team) else ""
        print(f"{team}{name}: {state}, {tickets.get(team, 0)} ticket(s)")
    if not installed and not tickets:
        print("no workspace yet")
    return 0


def cmd_workspace_delete(args: argparse.Namespace) -> int:
    from ticketbot.services.workspaces import delete_workspace, workspace_rows

    team = args.team_id.strip()
    if not TEAM_ID.match(team):
        raise ConfigError(f"{args.team_id!r} is not a workspace id (T followed by letters, digits)")
    runtime = open_runtime()
    upgrade_database(runtime)
    with runtime.database.snapshot() as session:
        rows = workspace_rows(session=session, workspace_id=team)
    if not rows:
        print(f"nothing is kept for workspace {team}")
        return 0
    tickets = rows.get("tickets", 0)
    print(
        f"workspace {team}: {tickets} ticket(s), {sum(rows.values())} row(s) in "
        f"{len(rows)} table(s), its installation included"
    )
    if not args.yes:
        try:
            typed = input(f"This cannot be undone. Type {team} to delete it: ")
        except EOFError:
            print("not deleted: nothing was typed (in scripts, add --yes)", file=sys.stderr)
            return 1
        if typed.strip() != team:
            print("not deleted: the id typed was not the workspace's", file=sys.stderr)
            return 1
    with runtime.database.transaction() as session:
        deleted = delete_workspace(session=session, workspace_id=team)
    for table, count in sorted(deleted.items()):
        print(f"  {table}: {count}")
    print(f"deleted workspace {team}: {sum(deleted.values())} row(s)")
    return 0


def cmd_workspace_key(args: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())
    return 0
