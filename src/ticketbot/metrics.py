"""What ticketbot shows Prometheus at GET /metrics: every metric's definition, and the scrape.

`ticketbot serve` runs several gunicorn worker processes and a scrape reaches one of them, so
the values live in prometheus_client's multiprocess mode: each process writes its own files
in PROMETHEUS_MULTIPROC_DIR (which `serve` sets before this module is first imported) and a
scrape adds up the files of every process. Counters and histograms keep a dead worker's
counts; gauges count the live processes only (`livesum`, see `process_exited`). Without that
variable (tests, `ticketbot socket`, one process) the values live in this process's memory.

What the database knows (how far behind each outbox is) is read at scrape time by a
collector (`Backlogs`), once, whichever worker answers. A leaf: nothing of ticketbot here,
the hooks in the other modules call in with one line each."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.error import HTTPError
from urllib.parse import urlsplit

import prometheus_client
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

logger = logging.getLogger("ticketbot.metrics")

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client chose where values live when this module imported it, from this variable.
MULTIPROCESS = bool(os.environ.get(MULTIPROCESS_VARIABLE))
if MULTIPROCESS:  # a command other than `serve` run where the variable is set for it
    os.makedirs(os.environ[MULTIPROCESS_VARIABLE], exist_ok=True)
prometheus_client.disable_created_metrics()  # no `_created` twin of every counter

# Slack waits three seconds for an ack: finer below a second, and around the deadline.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0)

ACK_SECONDS = Histogram(
    "ticketbot_slack_ack_seconds",
    "Time from a signed request's arrival at /slack/events to its answer (the ack), by kind",
    ["kind"],
    buckets=ACK_BUCKETS,
)
REQUESTS = Counter(
    "ticketbot_slack_requests",
    "Requests to /slack/events by kind and HTTP status (kind unsigned: failed verification)",
    ["kind", "status"],
)
WORK_QUEUE_DEPTH = Gauge(
    "ticketbot_work_queue_depth",
    "Tasks waiting or running in the queue of work after the ack, over live processes",
    multiprocess_mode="livesum",
)
WORK_QUEUE_REJECTIONS = Counter(
    "ticketbot_work_queue_rejections",
    "Work after an ack refused because the queue was full (answered 'busy, try again')",
)
WORK_QUEUE_COALESCED = Counter(
    "ticketbot_work_queue_coalesced",
    "Work after an ack left to the same task already waiting its turn (App Home refreshes)",
)
API_CALLS = Counter(
    "ticketbot_slack_api_calls",
    "Web API calls by method and outcome: ok, error (ok: false or another 4xx), "
    "ratelimited (429), server_error (5xx), failure (no answer), paced (refused by the pacer)",
    ["method", "outcome"],
)
PACER_WAIT = Counter(
    "ticketbot_slack_pacer_wait_seconds",
    "Seconds Web API calls waited for their turn under Slack's rate limits, by method",
    ["method"],
)
DB_IN_USE = Gauge(
    "ticketbot_db_connections_in_use",
    "Database connections checked out of the pools, over live processes",
    multiprocess_mode="livesum",
)
BUSY = Gauge(
    "ticketbot_background_busy",
    "Passes running now of the work woken by changes (cards, webhooks), over live processes",
    ["job"],
    multiprocess_mode="livesum",
)
BUSY_SECONDS = Counter(
    "ticketbot_background_busy_seconds",
    "Seconds spent in passes of the work woken by changes (cards, webhooks)",
    ["job"],
)

# The kinds of request to /slack/events.
UNSIGNED, OTHER, SLASH_COMMAND = "unsigned", "other", "slash_command"
INTERACTIONS = frozenset(
    {
        "block_actions",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
    }
)
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")

# The outcomes of Web API calls.
OK, ERROR, RATELIMITED, SERVER_ERROR = "ok", "error", "ratelimited", "server_error"
FAILURE, PACED = "failure", "paced"


def request_kind(body: Mapping[str, Any]) -> str:
    """slash_command, an interaction's type, event:<type> for the Events API, or other."""
    if "command" in body:
        return SLASH_COMMAND
    kind = body.get("type")
    if isinstance(kind, str) and kind in INTERACTIONS:
        return kind
    if kind == "event_callback":
        event = body.get("event")
        name = event.get("type") if isinstance(event, dict) else None
        if isinstance(name, str) and _EVENT_TYPE.fullmatch(name):
            return f"event:{name}"
    return OTHER


def acked(kind: str, status: int, seconds: float) -> None:
    """One answer at /slack/events. Only a signed request is an ack Slack waits for."""
    REQUESTS.labels(kind, str(status)).inc()
    if kind != UNSIGNED:
        ACK_SECONDS.labels(kind).observe(seconds)


@contextmanager
def api_call(method: str) -> Iterator[None]:
    """One Web API call as its caller sees it, retries included: ok, or error when Slack
    answered ok: false (what went wrong on the way, each attempt counts: `api_attempt`)."""
    try:
        yield
    except Exception as error:
        if getattr(getattr(error, "response", None), "status_code", None) == 200:
            API_CALLS.labels(method, ERROR).inc()
        raise
    API_CALLS.labels(method, OK).inc()


def api_paced(method: str) -> None:
    API_CALLS.labels(method, PACED).inc()


@contextmanager
def api_attempt(url: str) -> Iterator[None]:
    """One HTTP request of a Web API call: a 429, a 5xx, another 4xx or no answer."""
    try:
        yield
    except HTTPError as error:
        code = error.code
        outcome = RATELIMITED if code == 429 else SERVER_ERROR if code >= 500 else ERROR
        API_CALLS.labels(_method_of(url), outcome).inc()
        raise
    except OSError:  # URLError, a timeout, a connection reset: no answer came
        API_CALLS.labels(_method_of(url), FAILURE).inc()
        raise


def _method_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rpartition("/")[2] or OTHER


def paced(method: str, seconds: float) -> None:
    if seconds > 0:
        PACER_WAIT.labels(method).inc(seconds)


def watch_pool(engine: Any) -> None:
    """Count the connections an engine's pool has handed out and not yet taken back."""
    from sqlalchemy import event

    event.listen(engine, "checkout", lambda *_args: DB_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_args: DB_IN_USE.dec())


@contextmanager
def busy(job: str) -> Iterator[None]:
    """A pass of background work (`job`: cards, webhooks) runs inside."""
    started = time.monotonic()
    with BUSY.labels(job).track_inprogress():
        try:
            yield
        finally:
            BUSY_SECONDS.labels(job).inc(time.monotonic() - started)


class Backlog(NamedTuple):
    """One outbox: rows pending, those due now, and how long the oldest due one has waited."""

    pending: int
    due: int
    lag_seconds: float


class Backlogs:
    """A collector reading every outbox's backlog from the database at scrape time (`read`:
    outbox name -> Backlog). When the database cannot say, the scrape goes on without."""

    def __init__(self, read: Callable[[], Mapping[str, Backlog]]) -> None:
        self._read = read

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "ticketbot_outbox_pending", "Outbox rows not done yet, by outbox", labels=["outbox"]
            ),
            GaugeMetricFamily(
                "ticketbot_outbox_due", "Outbox rows due to be tried, by outbox", labels=["outbox"]
            ),
            GaugeMetricFamily(
                "ticketbot_outbox_lag_seconds",
                "How long the oldest due outbox row has waited (0: none due), by outbox",
                labels=["outbox"],
            ),
        )

    def describe(self):
        return self._families()

    def collect(self):
        pending, due, lag = self._families()
        try:
            backlogs = self._read()
        except Exception as error:  # a scrape answers with the rest
            logger.warning("outbox backlog not read for the metrics: %s", type(error).__name__)
            return []
        for name, backlog in sorted(backlogs.items()):
            pending.add_metric([name], backlog.pending)
            due.add_metric([name], backlog.due)
            lag.add_metric([name], max(backlog.lag_seconds, 0.0))
        return [pending, due, lag]


class _InMemory:
    """This process's own values, when they are not kept in files (one process)."""

    def collect(self):
        return REGISTRY.collect()


def exposition(accept: str | None, *collectors: Any) -> tuple[bytes, str]:
    """The scrape (body, content type) in the format `accept` asks for: every process's
    values, then what `collectors` read now."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(_InMemory())
    for collector in collectors:
        registry.register(collector)
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


def process_exited(pid: int) -> None:
    """A worker process is gone: its gauges no longer count (its counters still do)."""
    if MULTIPROCESS:
        mark_process_dead(pid)
