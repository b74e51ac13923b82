"""Where the CPU of one interaction goes, without threads or HTTP in the way.

Builds ticketbot's Bolt app in this process with a listener "pool" that runs each listener
inline, so the whole interaction (the body read as the server reads it, the signature check,
Bolt, the handler, SQL, card rendering, the Web API call to a fake Slack in another process)
happens in the main thread under cProfile. Usage:

    python benchmarks/profile_interaction.py status [--database sqlite] [-n 500] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from concurrent.futures import Executor, Future
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

from loadkit.client import _sign  # noqa: E402
from loadkit.fake_process import FakeSlackProcess  # noqa: E402
from loadkit.payloads import CONFIG_YAML, interactions  # noqa: E402
from loadkit.targets import (  # noqa: E402
    POSTGRES,
    SIGNING_SECRET,
    USERGROUPS,
    database,
    seed_cards,
    settings,
    workdir,
)

from ticketbot.app import build_app  # noqa: E402
from ticketbot.config import parse_config  # noqa: E402
from ticketbot.http.web import SlackRequest, read_body  # noqa: E402
from ticketbot.runtime import Runtime  # noqa: E402
from ticketbot.store.db import Database  # noqa: E402


class Inline(Executor):
    """Runs the work after the ack at once, in the caller's thread."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interaction", choices=["help", "new", "status", "comment", "home"])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument(
        "--no-cprofile",
        action="store_true",
        help="time without cProfile, e.g. under `py-spy record -- python ...`",
    )
    args = parser.parse_args()
    with (
        workdir() as tmp,
        FakeSlackProcess(USERGROUPS) as fake,
        database(args.database, Path(tmp), POSTGRES) as url,
    ):
        cards = seed_cards(url, fake, 20)
        runtime = Runtime(
            settings=settings(url, fake.api_url),
            config=parse_config(CONFIG_YAML),
            database=Database(url),
        )
        app = build_app(runtime, work=Inline())  # the work after the ack, inline too
        chosen = {i.name: i for i in interactions(cards, fake.response_url)}
        pick = chosen[args.interaction].picker(1)

        def once(seq: int) -> None:
            template = pick(0, seq)
            body = template.render(seq)
            stamp = str(int(time.time()))
            text = body.decode()
            read = read_body(text, template.content_type)
            assert isinstance(read, dict), read
            request = SlackRequest(
                text=text,
                body=read,
                query="",
                headers={
                    "content-type": template.content_type,
                    "x-slack-request-timestamp": stamp,
                    "x-slack-signature": _sign(
                        SIGNING_SECRET.encode(), stamp.encode(), body
                    ).decode(),
                },
            )
            response = app.dispatch(request)
            assert response.status == 200, (response.status, response.body)

        for seq in range(1, 51):  # warm caches, connections, compiled statements
            once(seq)
        profile = None if args.no_cprofile else cProfile.Profile(time.process_time)
        began, cpu_began = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        for seq in range(51, 51 + args.n):
            once(seq)
        if profile:
            profile.disable()
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
        runtime.database.dispose()
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    print(
        f"{args.interaction} on {args.database}: {elapsed / args.n * 1000:.2f} ms wall, "
        f"{cpu / args.n * 1000:.2f} ms CPU each ({'un' if not profile else ''}profiled, "
        "fake Slack in another process)"
    )


if __name__ == "__main__":
    main()
