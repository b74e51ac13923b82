"""Hostile requests against `ticketbot serve`, from outside: what it answers, what it logs,
what it does.

300 signed requests Slack would never send (truncated `payload=`, wrong content types,
bytes that are not UTF-8, JSON null/[]/strings, views without a type, nesting 100,000 deep,
lone surrogates, and one field at a time deleted or mistyped at every path of real payloads
of each kind: slash command, block_actions, view_submission, shortcut, message_action,
block_suggestion, and the events the app handles), then 50 unsigned, stale or forged ones.
Counts the answers by status (target: no 5xx), the tracebacks in the server's log (its
stderr; target 0), and the Web API calls and database rows the unsigned ones caused
(target 0). SQLite and PostgreSQL (a private schema, dropped after); about a minute each.

    python benchmarks/hostile.py [--db sqlite|postgresql] [--malformed 300] [--show 10]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

import requests  # noqa: E402
from loadkit.burst import Request  # noqa: E402
from loadkit.faultkit import Bench, bench, comment_views, interaction, open_view, settle  # noqa: E402
from loadkit.malformed import Case, Real, forged, mutations, structural  # noqa: E402
from loadkit.payloads import AGENTS, GENERAL, REQUESTER  # noqa: E402
from loadkit.targets import POSTGRES, SIGNING_SECRET  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tests.support.slack_payloads import plain, static  # noqa: E402
from ticketbot.ids import ActionId, CallbackId, InputId  # noqa: E402
from ticketbot.store.models import Comment, ProcessedEvent, Ticket, TicketChange  # noqa: E402

FORGED = 50
MAX_BODY = 2 * 1024 * 1024


@dataclass
class Result:
    db: str
    malformed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    paths: tuple[int, int] = (0, 0)  # mutated paths sent, of all
    tracebacks: int = 0
    exceptions: Counter[str] = field(default_factory=Counter)  # last line of each traceback
    forged: int = 0
    forged_statuses: Counter[str] = field(default_factory=Counter)
    forged_calls: int = 0
    forged_rows: int = 0
    rejected: int = 0  # payloads the app sent that the fake Slack refused (Block Kit rules)


def real_payloads(b: Bench) -> list[Real]:
    """One real payload of each kind, made from what the app really rendered."""
    build, card = b.build, b.cards[0]
    comment_view = comment_views(b, 1)[0][1]
    user_message = {"type": "message", "user": REQUESTER, "ts": "1700000500.000100"}
    user_message["text"] = "The printer on floor 3 is jammed again"
    link_click = build.message_action(
        CallbackId.SHORTCUT_LINK, user_id=AGENTS[0], channel_id=GENERAL, message=user_message
    )
    link_view = open_view(b, interaction(link_click), CallbackId.LINK_MODAL)
    actions = next(x for x in card.message["blocks"] if x.get("type") == "actions")
    status = {
        "action_id": ActionId.STATUS,
        "block_id": actions["block_id"],
        "selected_option": static("in_progress")["selected_option"],
    }
    reply = {
        "type": "message",
        "channel": card.channel,
        "channel_type": "channel",
        "user": REQUESTER,
        "text": "Any news on this?",
        "ts": "1900000000.000001",
        "thread_ts": card.ts,
    }
    edited = {**reply, "text": "Any news on this? (edited)"}
    events = {
        "event message (thread reply)": reply,
        "event message_changed": {
            "type": "message",
            "subtype": "message_changed",
            "channel": card.channel,
            "hidden": True,
            "message": edited,
            "previous_message": reply,
            "ts": "1900000000.000002",
        },
        "event message_deleted": {
            "type": "message",
            "subtype": "message_deleted",
            "channel": card.channel,
            "hidden": True,
            "deleted_ts": reply["ts"],
            "previous_message": reply,
            "ts": "1900000000.000003",
        },
        "event reaction_added": {
            "type": "reaction_added",
            "user": REQUESTER,
            "reaction": "ticket",
            "item": {"type": "message", "channel": GENERAL, "ts": user_message["ts"]},
            "item_user": REQUESTER,
            "event_ts": "1900000000.000004",
        },
        "event app_home_opened": {
            "type": "app_home_opened",
            "user": AGENTS[0],
            "channel": "D0HOME0001",
            "tab": "home",
        },
    }
    values = {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain("Checked the tray.")}}
    reals = [
        Real("slash command", "form", build.command("show 1", user_id=REQUESTER)),
        Real(
            "block_actions",
            "interaction",
            build.block_actions(
                [status], user_id=AGENTS[0], channel_id=card.channel, message=card.message
            ),
        ),
        Real(
            "view_submission",
            "interaction",
            build.view_submission(comment_view, values, user_id=AGENTS[0]),
        ),
        Real("shortcut", "interaction", build.shortcut(CallbackId.SHORTCUT_NEW)),
        Real(
            "message_action",
            "interaction",
            build.message_action(
                CallbackId.SHORTCUT_CREATE, channel_id=GENERAL, message=user_message
            ),
        ),
        Real(
            "block_suggestion",
            "interaction",
            build.block_suggestion(
                InputId.TICKET_PICKER, InputId.TICKET_PICKER, "print", view=link_view
            ),
        ),
    ]
    reals += [Real(kind, "event", build.event(ev)) for kind, ev in events.items()]
    return reals


def traceback_summary(log: str) -> Counter[str]:
    """The exception that ends each traceback of the log, with the frame that raised it."""
    found: Counter[str] = Counter()
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = block.splitlines()
        ending = next((n for n, line in enumerate(lines[1:], 1) if not line.startswith(" ")), 1)
        frames = [line.strip() for line in lines[:ending] if line.strip().startswith("File ")]
        where = frames[-1] if frames else ""
        found[f"{lines[ending].strip()[:160]} ({where[:160]})"] += 1
    return found


def rows(b: Bench) -> tuple[int, ...]:
    with b.database.snapshot() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Ticket, TicketChange, Comment, ProcessedEvent)
        )


def total_calls(b: Bench) -> int:
    return sum(b.fake.report()["calls"].values())


def run(db: str, args: argparse.Namespace) -> Result:
    result = Result(db)
    with bench(db, cards=3, admin_url=args.url) as b:
        reals = real_payloads(b)
        by_kind = {real.kind: real for real in reals}
        shapes = structural(by_kind)
        mutated = mutations(reals, every_value=args.every_value)
        chosen: list[Case] = shapes + mutated[: max(0, args.malformed - len(shapes))]
        result.paths = (len(chosen) - len(shapes), len(mutated))
        # A body too large is refused unread and its connection closed after: sent last.
        chosen.sort(key=lambda case: len(case.body) > MAX_BODY)
        settle(b)
        sent = b.send([Request(c.body, c.content_type, tag=c.name) for c in chosen], concurrency=4)
        result.malformed = len(sent)
        if args.verbose:
            for outcome in sent[: len(shapes)]:
                print(f"  {outcome.status or outcome.failure}: {outcome.request.tag}")
        for outcome in sent:
            status = str(outcome.status) if outcome.status is not None else outcome.failure
            result.statuses[status] += 1
            if outcome.status is None or outcome.status >= 500:
                result.server_errors.append(f"{status}: {outcome.request.tag}")
        # Long enough for what the signed ones started and Slack's pacing holds back (a
        # channel takes about a post a second) to be done before the forged ones are sent.
        settle(b, quiet=6.0)

        # Unsigned, stale, forged: nothing may come of them.
        calls, before = total_calls(b), rows(b)
        methods_before = Counter(b.fake.report()["calls"])
        bodies = [real.encode() for real in reals]
        every = [
            (case, body, {**headers, "Content-Type": content_type})
            for index, (body, content_type) in enumerate(bodies)
            for case, body, headers in forged(SIGNING_SECRET, reals[index].kind, body)
        ]
        forgeries = [every[n * len(every) // FORGED] for n in range(FORGED)]  # kinds and ways
        url = f"http://127.0.0.1:{b.server.port}/slack/events"
        with requests.Session() as session:
            for _case, body, headers in forgeries:
                answer = session.post(url, data=body, headers=headers, timeout=10)
                result.forged_statuses[str(answer.status_code)] += 1
        settle(b, quiet=2.0)
        result.forged = len(forgeries)
        result.forged_calls = total_calls(b) - calls
        late = Counter(b.fake.report()["calls"]) - methods_before
        if late:  # work the signed requests started, still under way: which calls
            print(f"{db}: Web API calls during the forged phase: {dict(late)}")
        result.forged_rows = sum(rows(b)) - sum(before)
        result.rejected = b.fake.report()["rejected"]
        result.tracebacks = b.tracebacks()
        result.exceptions = traceback_summary(b.server.log)
        if args.log:
            (args.log / f"hostile-{db}.log").write_text(b.server.log)
    return result


def table(results: list[Result]) -> str:
    lines = [
        "| db | signed malformed | answered 200 | 400 | other | 5xx or no answer | tracebacks "
        "| Slack refused | forged | 401 | Web API calls after forged | rows written by forged |",
        "| --- | --: | --: | --: | --- | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for r in results:
        other = {k: v for k, v in r.statuses.items() if k not in ("200", "400")}
        bad = len(r.server_errors)
        other_text = ", ".join(f"{k}: {v}" for k, v in sorted(other.items())) or "-"
        lines.append(
            f"| {r.db} | {r.malformed} | {r.statuses.get('200', 0)} | {r.statuses.get('400', 0)} "
            f"| {other_text} | {bad} | {r.tracebacks} | {r.rejected} | {r.forged} "
            f"| {r.forged_statuses.get('401', 0)} | {r.forged_calls} | {r.forged_rows} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="default: both")
    parser.add_argument("--malformed", type=int, default=300, help="signed malformed requests")
    parser.add_argument(
        "--every-value",
        action="store_true",
        help="every wrong value at every path (about 3,800 requests) instead of one each; "
        "with --malformed 4000 to send them all",
    )
    parser.add_argument("--verbose", action="store_true", help="list the structural cases")
    parser.add_argument("--show", type=int, default=10, help="5xx cases to list")
    parser.add_argument("--url", default=POSTGRES, help="PostgreSQL to make a schema in")
    parser.add_argument("--log", type=Path, help="keep the server's log in this directory")
    args = parser.parse_args()
    if args.log:
        args.log.mkdir(parents=True, exist_ok=True)
    results = []
    for db in [args.db] if args.db else ["sqlite", "postgresql"]:
        result = run(db, args)
        results.append(result)
        sent, total = result.paths
        print(f"{db}: {sent} of {total} mutated paths sent (shallowest first)", flush=True)
        for line in result.server_errors[: args.show]:
            print(f"  {line}")
        for line, times in result.exceptions.items():
            print(f"  traceback x{times}: {line}")
    print()
    print(table(results))


if __name__ == "__main__":
    main()
