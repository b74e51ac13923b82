"""`settings export` and `settings import`: a workspace's stored settings as YAML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ticketbot.cli.common import open_runtime, upgrade_database
from ticketbot.config import ConfigError


def _workspace(runtime, chosen: str | None) -> str:
    """The workspace named, else the only one with stored settings, else the bot token's."""
    from sqlalchemy import select

    from ticketbot.store.models import SettingsVersion

    if chosen:
        return chosen
    with runtime.database.transaction(read_only=True) as session:
        known = sorted(set(session.scalars(select(SettingsVersion.workspace_id))))
    if len(known) == 1:
        return known[0]
    if known:
        raise ConfigError(f"several workspaces have settings ({', '.join(known)}): name one "
                          "with --workspace")  # fmt: skip
    if runtime.settings.slack_bot_token is None:
        raise ConfigError("no workspace has stored settings yet: name one with --workspace")
    from ticketbot.slack.client import slack_client

    return slack_client(runtime.settings).auth_test()["team_id"]


def cmd_settings_export(args: argparse.Namespace) -> int:
    import yaml

    from ticketbot.services import settings as stored

    runtime = open_runtime()
    upgrade_database(runtime)
    workspace = _workspace(runtime, args.workspace)
    with runtime.database.transaction(read_only=True) as session:
        row = stored.latest(session=session, workspace_id=workspace)
        document = row.document if row else stored.document_of(runtime.file_config)
        origin = (
            f"version {row.version}, {row.changed_at:%Y-%m-%d %H:%M} UTC by {row.changed_by}"
            if row
            else "not stored yet: ticketbot.yml's"
        )
    text = f"# ticketbot settings of {workspace}: {origin}\n" + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: settings of {workspace} ({origin})")
    else:
        sys.stdout.write(text)
    return 0


def cmd_settings_import(args: argparse.Namespace) -> int:
    from ticketbot.config.errors import read_yaml
    from ticketbot.services import settings as stored

    runtime = open_runtime()
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{args.file}: cannot read it ({error.strerror})") from None
    document, _node = read_yaml(text, args.file)
    document = document or {}
    stored.parse_document(document, runtime.file_config, args.file)  # before the database
    upgrade_database(runtime)
    workspace = _workspace(runtime, args.workspace)
    with runtime.database.transaction() as session:
        row = stored.save(
            session=session, workspace_id=workspace, document=document,
            file_config=runtime.file_config, actor=f"import {Path(args.file).name}"[:64],
            now=runtime.clock.now(),
        )  # fmt: skip
        version, summary = row.version, row.summary
    print(f"settings of {workspace}: version {version} ({summary})")
    return 0


def add_commands(commands) -> None:
    settings = commands.add_parser("settings", help="a workspace's stored settings, as YAML")
    settings_commands = settings.add_subparsers(dest="settings_command", required=True)
    export = settings_commands.add_parser("export", help="write the stored settings as YAML")
    export.add_argument("--workspace", help="the workspace's id (T...); default: the only one")
    export.add_argument("--output", "-o", help="a file (default: standard output)")
    export.set_defaults(func=cmd_settings_export)
    load = settings_commands.add_parser(
        "import", help="replace the stored settings with a YAML file (validated first)"
    )
    load.add_argument("file", metavar="FILE")
    load.add_argument("--workspace", help="the workspace's id (T...); default: the only one")
    load.set_defaults(func=cmd_settings_import)
