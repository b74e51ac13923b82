"""SQL statements per interaction, for a ticket with 5 and with 500 history lines.

The same interactions as `tests/handlers/test_statement_counts.py` (which asserts the counts are
equal), through the app and a fake Slack, on SQLite and PostgreSQL; this prints the counts
and the statements themselves. Usage:

    python benchmarks/sql_statements.py [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

from loadkit.targets import POSTGRES, database  # noqa: E402

from tests.support.databases import START  # noqa: E402
from tests.support.fake_slack import FakeSlack  # noqa: E402
from tests.support.scenario import start_scenario  # noqa: E402
from tests.support.statements import (  # noqa: E402
    INTERACTIONS,
    LONG,
    SHORT,
    _ticket_with_history,
    cost,
)
from ticketbot.clock import FakeClock  # noqa: E402
from ticketbot.config import TicketbotConfig  # noqa: E402
from ticketbot.store.db import Database  # noqa: E402

CONFIG = {
    "agents": ["U0AGT0001", "U0AGT0002"],
    "admins": ["U0MGR0001"],
    "triage_channel": "C0SUPPORT1",
    "sla": {"alert_channel": "C0SLAALERT"},
}


def measure(url: str) -> dict[str, dict[int, list[str]]]:
    db = Database(url)
    costs: dict[str, dict[int, list[str]]] = {}
    try:
        with FakeSlack() as fake:
            scenario = start_scenario(
                db, fake, FakeClock(START), TicketbotConfig.model_validate(CONFIG)
            )
            slack = next(scenario)
            try:
                for name, interaction in INTERACTIONS.items():
                    numbers = {n: _ticket_with_history(slack, n) for n in (SHORT, LONG)}
                    cost(slack, interaction, numbers[SHORT], SHORT)  # warm connections, caches
                    numbers[SHORT] = _ticket_with_history(slack, SHORT)
                    costs[name] = {
                        changes: cost(slack, interaction, number, changes)
                        for changes, number in numbers.items()
                    }
            finally:
                scenario.close()
    finally:
        db.dispose()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--url", default=POSTGRES)
    args = parser.parse_args()
    print(f"| interaction | database | {SHORT} history lines | {LONG} history lines |")
    print("| --- | --- | --: | --: |")
    listings = {}
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp), args.url) as url:
            costs = measure(url)
        for name, by_size in costs.items():
            print(f"| {name} | {kind} | {len(by_size[SHORT])} | {len(by_size[LONG])} |")
            listings[(name, kind)] = by_size[LONG]
    for (name, kind), seen in listings.items():
        print(f"\n{name} on {kind}, {LONG} history lines:")
        for statement in seen:
            print("    " + " ".join(statement.split())[:150])


if __name__ == "__main__":
    main()
