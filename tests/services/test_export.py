"""`ticketbot export`: tickets with their history and comments as JSON or CSV, in stored,
language-neutral values, read in batches; bad options are one line and exit code 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.support.factories import AGENT, REQUESTER, make_ticket
from ticketbot.services import comments, tickets
from ticketbot.services.export import TICKET_FIELDS, export_tickets
from ticketbot.services.parties import find_or_create_party
from ticketbot.store.models import Rating
from ticketbot.vocabulary import PartyKind, Status

LOG = "https://test.slack.com/files/U0AGT0001/F0LOG00001/boot-log.txt"
IN_SLACK = {"slack_channel_id": "C0SUPPORT1", "slack_ts": "1700000100.000100"}


@pytest.fixture
def filled(database, clock, policy):
    """#1 worked and rated, #2 raised ten days later, #3 ten days after that."""
    with database.transaction() as s:
        party = find_or_create_party(
            session=s,
            workspace_id="T0TEAM001",
            kind=PartyKind.ACCOUNT,
            name="ACME",
            now=clock.now(),
        )
        first = make_ticket(s, policy=policy, now=clock.now(), category="Hardware",
                            party_id=party.id, priority="high")  # fmt: skip
        tickets.assign(session=s, ticket=first, assignee_id=AGENT.user_id, viewer=AGENT,
                       now=clock.now() + timedelta(minutes=5))  # fmt: skip
        comments.add_comment(session=s, ticket=first, viewer=AGENT, text="On my way",
                             files=[comments.SharedFile("boot-log.txt", LOG)],
                             now=clock.now() + timedelta(minutes=6))  # fmt: skip
        comments.add_comment(session=s, ticket=first, viewer=REQUESTER, text="Secret",
                             now=clock.now() + timedelta(minutes=7), **IN_SLACK)  # fmt: skip
        comments.delete_comment_from_slack(session=s, channel_id=IN_SLACK["slack_channel_id"],
                                           ts=IN_SLACK["slack_ts"],
                                           now=clock.now() + timedelta(minutes=8))  # fmt: skip
        later = clock.now() + timedelta(hours=1)
        tickets.change_status(session=s, ticket=first, status=Status.CLOSED, solution="Roller",
                              viewer=AGENT, now=later, policy=policy)  # fmt: skip
        s.add(Rating(ticket_id=first.id, score=5, rated_by=REQUESTER.user_id, rated_at=later))
        make_ticket(s, policy=policy, now=clock.now() + timedelta(days=10),
                    title='VPN, "down"\nagain', visibility="internal",
                    source="reaction")  # fmt: skip
        make_ticket(s, policy=policy, now=clock.now() + timedelta(days=20), title="Third")
    return database


def run(database, *args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TICKETBOT_CONFIG", "SLACK_BOT_TOKEN")}
    env["DATABASE_URL"] = database.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "ticketbot.cli", "export", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]  # after the migration's log lines


def test_json_holds_every_ticket_with_its_history_and_comments(filled, tmp_path):
    done = run(filled, "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert last_line(done.stderr) == "exported 3 ticket(s) to standard output"
    first, second, third = json.loads(done.stdout)
    assert list(first)[: len(TICKET_FIELDS)] == list(TICKET_FIELDS)
    assert {k: first[k] for k in ("number", "status", "priority", "source", "visibility")} == {
        "number": 1, "status": "closed", "priority": "high", "source": "slash_command",
        "visibility": "public",
    }  # fmt: skip
    assert (first["party_kind"], first["party_name"], first["rating"]) == ("account", "ACME", 5)
    assert first["created_at"] == "2026-11-23T09:00:00Z"
    assert first["closed_at"] == "2026-11-23T10:00:00Z"
    assert first["assignee_id"] == AGENT.user_id and first["solution"] == "Roller"
    assert [(h["field"], h["old_value"], h["new_value"]) for h in first["history"]] == [
        ("assignee", None, AGENT.user_id),
        ("comment", None, "deleted"),  # who deleted a comment and when, never what it said
        ("solution", None, "Roller"),
        ("status", "open", "closed"),
    ]
    assert first["history"][0]["at"] == "2026-11-23T09:05:00Z"
    assert [(c["author_id"], c["text"]) for c in first["comments"]] == [
        (AGENT.user_id, "On my way"),
        (REQUESTER.user_id, None),  # deleted in Slack: its text does not come back
    ]
    assert "Secret" not in done.stdout
    assert first["comments"][0]["files"] == [{"name": "boot-log.txt", "permalink": LOG}]
    assert first["comments"][1]["deleted_at"] == "2026-11-23T09:08:00Z"
    assert first["comments"][1]["files"] is None
    assert second["title"] == 'VPN, "down" again' and second["visibility"] == "internal"
    assert (second["history"], second["comments"], second["rating"]) == ([], [], None)
    assert third["number"] == 3


def test_csv_to_a_directory_writes_tickets_history_and_comments(filled, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    done = run(filled, "--format", "csv", "--output", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with (out / "tickets.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert tuple(rows[0]) == TICKET_FIELDS
    assert rows[0]["party_name"] == "ACME" and rows[0]["rating"] == "5"
    assert rows[1]["title"] == 'VPN, "down" again' and rows[1]["closed_at"] == ""
    with (out / "history.csv").open(newline="", encoding="utf-8") as f:
        history = list(csv.DictReader(f))
    assert [(h["number"], h["field"], h["new_value"]) for h in history] == [
        ("1", "assignee", AGENT.user_id),
        ("1", "comment", "deleted"),
        ("1", "solution", "Roller"),
        ("1", "status", "closed"),
    ]
    with (out / "comments.csv").open(newline="", encoding="utf-8") as f:
        notes = list(csv.DictReader(f))
    assert [(n["workspace_id"], n["number"], n["text"]) for n in notes] == [
        ("T0TEAM001", "1", "On my way"),
        ("T0TEAM001", "1", ""),
    ]
    assert json.loads(notes[0]["files"]) == [{"name": "boot-log.txt", "permalink": LOG}]
    assert notes[1]["files"] == ""


def test_since_keeps_the_tickets_raised_from_that_date(filled, tmp_path):
    target = tmp_path / "recent.csv"
    done = run(filled, "--format", "csv", "--since", "2026-12-03", "--output", str(target),
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert last_line(done.stderr) == f"exported 2 ticket(s) to {target}"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["number"] for r in rows] == ["2", "3"]


def test_an_empty_base_is_an_empty_list(database, tmp_path):
    done = run(database, "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--format", "json", "--since", "yesterday"],
         "ticketbot: --since: 'yesterday' is not a date (YYYY-MM-DD)"),
        (["--format", "csv", "--output", "missing/dir/out.csv"],
         "ticketbot: --output: the directory missing/dir does not exist"),
    ],
)  # fmt: skip
def test_bad_options_are_one_line(tmp_path, args, error):
    env = {k: v for k, v in os.environ.items() if k != "TICKETBOT_CONFIG"}
    done = subprocess.run(
        [sys.executable, "-m", "ticketbot.cli", "export", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == error
    assert not (tmp_path / "ticketbot.db").exists()  # nothing was touched


def test_batches_keep_each_ticket_with_its_own_history(database, clock, policy):
    with database.transaction() as s:
        for n in range(7):
            ticket = make_ticket(s, policy=policy, now=clock.now(), title=f"Ticket {n}")
            for m in range(n % 3):
                comments.add_comment(session=s, ticket=ticket, viewer=AGENT, text=f"{n}.{m}",
                                     now=clock.now())  # fmt: skip
    with database.snapshot() as s:
        exported = list(export_tickets(session=s, batch=2))
    assert [t["number"] for t in exported] == list(range(1, 8))
    for n, ticket in enumerate(exported):
        assert [c["text"] for c in ticket["comments"]] == [f"{n}.{m}" for m in range(n % 3)]
