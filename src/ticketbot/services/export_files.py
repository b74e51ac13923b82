"""`ticketbot export`: tickets as JSON or CSV, written as they are read.

JSON is one array of tickets, each with its `history` and `comments`. CSV is one row per
ticket; given a directory, the export also writes `history.csv` and `comments.csv`, whose
rows name their ticket by `workspace_id` and `number` (a comment's `files` as JSON)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from ticketbot.services.export import COMMENT_FIELDS, HISTORY_FIELDS, TICKET_FIELDS

KEY_FIELDS = ("workspace_id", "number")


def write_json(tickets: Iterable[dict], out: TextIO) -> int:
    count = 0
    out.write("[")
    for ticket in tickets:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(ticket, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _csv(out: TextIO, fields: tuple[str, ...]) -> csv.DictWriter:
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    return writer


def _flat(row: dict) -> dict:
    """A CSV cell holds one value: a list (a comment's files) is written as its JSON."""
    return {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in row.items()
    }


def write_csv(
    tickets: Iterable[dict],
    out: TextIO,
    *,
    history: TextIO | None = None,
    comments: TextIO | None = None,
) -> int:
    rows = _csv(out, TICKET_FIELDS)
    changes = _csv(history, KEY_FIELDS + HISTORY_FIELDS) if history else None
    notes = _csv(comments, KEY_FIELDS + COMMENT_FIELDS) if comments else None
    count = 0
    for ticket in tickets:
        rows.writerow(ticket)
        key = {name: ticket[name] for name in KEY_FIELDS}
        if changes is not None:
            changes.writerows(key | line for line in ticket["history"])
        if notes is not None:
            notes.writerows(key | _flat(note) for note in ticket["comments"])
        count += 1
    return count


def export_to(
    tickets: Iterable[dict], *, fmt: str, output: Path | None, stdout: TextIO
) -> tuple[int, str]:
    """Write the export; returns how many tickets and where they went, for the operator."""
    write = write_json if fmt == "json" else write_csv
    if output is None:
        return write(tickets, stdout), "standard output"
    with ExitStack() as files:

        def open_(path: Path) -> TextIO:
            # newline="" lets the csv module write its own line ends (RFC 4180).
            return files.enter_context(path.open("w", encoding="utf-8", newline=""))

        if not output.is_dir():
            return write(tickets, open_(output)), str(output)
        if fmt == "json":
            return write_json(tickets, open_(output / "tickets.json")), str(output / "tickets.json")
        count = write_csv(
            tickets,
            open_(output / "tickets.csv"),
            history=open_(output / "history.csv"),
            comments=open_(output / "comments.csv"),
        )
        return count, str(output / "{tickets,history,comments}.csv")
