"""`ticketbot workspace` as an operator meets it: list, delete (typing the id to confirm, or
--yes in scripts), a new secret key; and what serve and socket ask for with many workspaces."""

from __future__ import annotations

import os
import subprocess
import sys

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from tests.support.databases import START
from tests.support.factories import make_ticket
from ticketbot.config import SlaConfig
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade
from ticketbot.store.models import BOTS, Ticket

KEEP, GONE = "T0KEEP001", "T0GONE001"
ENV_KEYS = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
            "SLACK_CLIENT_SECRET", "TICKETBOT_SECRET_KEY", "TICKETBOT_CONFIG", "DATABASE_URL",
            "SLACK_API_URL"}  # fmt: skip


def run(args, tmp_path, *, input: str | None = None, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    return subprocess.run(
        [sys.executable, "-m", "ticketbot.cli", *args],
        cwd=tmp_path,
        env={**clean, **env},
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
    )


def _database(tmp_path) -> tuple[str, Database]:
    url = f"sqlite:///{tmp_path / 'ticketbot.db'}"
    database = Database(url)
    upgrade(database)
    policy = DeadlinePolicy.from_config(SlaConfig())
    with database.transaction() as session:
        for workspace in (KEEP, GONE, GONE):
            make_ticket(session, policy=policy, now=START, workspace_id=workspace)
        session.execute(
            BOTS.insert(),
            [
                {"client_id": "1.2", "app_id": "A1", "team_id": team, "team_name": name,
                 "bot_token": "sealed", "is_enterprise_install": False,
                 "installed_at": START.replace(tzinfo=None)}
                for team, name in ((KEEP, "Keep Co"), (GONE, "Gone Co"))
            ],
        )  # fmt: skip
    return url, database


def _tickets(database: Database) -> dict[str, int]:
    with database.transaction() as session:
        return dict(
            session.execute(
                select(Ticket.workspace_id, func.count()).group_by(Ticket.workspace_id)
            ).all()
        )


def test_delete_asks_to_type_the_workspace_id(tmp_path):
    url, database = _database(tmp_path)
    wrong = run(["workspace", "delete", GONE], tmp_path, DATABASE_URL=url, input="T0KEEP001\n")
    assert wrong.returncode == 1
    assert f"Type {GONE} to delete it" in wrong.stdout and "2 ticket(s)" in wrong.stdout
    assert "not deleted" in wrong.stderr
    nothing = run(["workspace", "delete", GONE], tmp_path, DATABASE_URL=url, input="")
    assert nothing.returncode == 1 and "--yes" in nothing.stderr
    assert _tickets(database) == {KEEP: 1, GONE: 2}

    typed = run(["workspace", "delete", GONE], tmp_path, DATABASE_URL=url, input=f"{GONE}\n")
    assert typed.returncode == 0, typed.stderr
    assert f"deleted workspace {GONE}" in typed.stdout and "tickets: 2" in typed.stdout
    assert _tickets(database) == {KEEP: 1}
    with database.transaction() as session:
        assert list(session.execute(select(BOTS.c.team_id)).scalars()) == [KEEP]
    database.dispose()


def test_delete_with_yes_and_the_list(tmp_path):
    url, database = _database(tmp_path)
    listed = run(["workspace", "list"], tmp_path, DATABASE_URL=url)
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == [
        f"{GONE} Gone Co: installed, 2 ticket(s)",
        f"{KEEP} Keep Co: installed, 1 ticket(s)",
    ]
    done = run(["workspace", "delete", GONE, "--yes"], tmp_path, DATABASE_URL=url)
    assert done.returncode == 0 and "Type" not in done.stdout
    assert _tickets(database) == {KEEP: 1}
    again = run(["workspace", "delete", GONE, "--yes"], tmp_path, DATABASE_URL=url)
    assert again.returncode == 0 and f"nothing is kept for workspace {GONE}" in again.stdout
    bad = run(["workspace", "delete", "everything", "--yes"], tmp_path, DATABASE_URL=url)
    assert bad.returncode == 2 and "is not a workspace id" in bad.stderr
    database.dispose()


def test_a_new_secret_key_is_a_fernet_key(tmp_path):
    printed = run(["workspace", "key"], tmp_path)
    assert printed.returncode == 0
    Fernet(printed.stdout.strip().encode())  # raises if it is not one


def test_many_workspaces_need_no_bot_token_but_refuse_a_bad_key(tmp_path):
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s3cret"}
    result = run(["serve"], tmp_path, **oauth)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "ticketbot: missing environment variable(s): SLACK_SIGNING_SECRET"
    )
    half = run(["check-config"], tmp_path, SLACK_CLIENT_ID="1.2")
    assert half.returncode == 2 and "SLACK_CLIENT_SECRET go together" in half.stderr
    key = run(["check-config"], tmp_path, **oauth, TICKETBOT_SECRET_KEY="not-a-key")
    assert key.returncode == 2 and "not a Fernet key" in key.stderr
    assert "not-a-key" not in key.stderr  # a secret is never printed, even a wrong one
    socket = run(["socket"], tmp_path, **oauth, SLACK_APP_TOKEN="xapp-1")
    assert socket.returncode == 2 and "ticketbot serve" in socket.stderr
