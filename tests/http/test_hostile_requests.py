"""Forged and malformed requests, as an attacker or a broken proxy would send them.

Nothing is read from a request before its signature is verified: any failed verification is
a 401 that causes no Web API call, no response_url post and no database write. A signed body
Slack would never send is a 400 (or a polite answer), never a 5xx, never a traceback, and
nothing of it is stored."""

from __future__ import annotations

import copy
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests.support.scenario import SIGNING_SECRET
from tests.support.slack_payloads import plain
from tests.support.slack_requests import FORM, JSON, sign, slack_json
from tests.support.steps import (
    AGENT,
    GENERAL,
    REQUESTER,
    TRIAGE,
    card_action,
    create_ticket,
    opened,
    seed_ticket,
)
from tests.support.thread_messages import file_reply, shared_file
from ticketbot.ids import ActionId, CallbackId, InputId, ticket_block_id
from ticketbot.store.models import Comment, Ticket, TicketChange


@pytest.fixture
def quiet_log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def no_tracebacks(caplog) -> None:
    traced = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert traced == [], [r.getMessage() for r in traced]


def count(slack, model) -> int:
    with slack.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def command_fields(slack, **overrides) -> dict:
    fields = slack.send.build.command("show 1", user_id=REQUESTER, channel_id=GENERAL)
    return {**fields, **overrides}


# --- Forged: refused before anything is read ------------------------------------------------


def forged(slack) -> dict[str, tuple[bytes, dict]]:
    body = urlencode(command_fields(slack)).encode()
    now = str(int(time.time()))
    good = sign(SIGNING_SECRET, now, body)
    stale = str(int(time.time()) - 301)
    future = str(int(time.time()) + 310)  # past the 300 s allowed, however long the request takes
    return {
        "no headers": (body, {}),
        "timestamp not a number": (body, {"ts": "abc", "sig": good}),
        "timestamp not whole": (body, {"ts": f"{now}.5", "sig": good}),
        "no signature": (body, {"ts": now}),
        "garbage signature": (body, {"ts": now, "sig": "v0=zz"}),
        "another secret": (body, {"ts": now, "sig": sign("another-secret", now, body)}),
        "stale": (body, {"ts": stale, "sig": sign(SIGNING_SECRET, stale, body)}),
        "from the future": (body, {"ts": future, "sig": sign(SIGNING_SECRET, future, body)}),
        "body changed after signing": (body + b"&text=list", {"ts": now, "sig": good}),
        "v1 scheme": (body, {"ts": now, "sig": good.replace("v0=", "v1=")}),
    }


@pytest.mark.parametrize(
    "name",
    [
        "no headers",
        "timestamp not a number",
        "timestamp not whole",
        "no signature",
        "garbage signature",
        "another secret",
        "stale",
        "from the future",
        "body changed after signing",
        "v1 scheme",
    ],
)
def test_an_unverified_request_gets_401_and_causes_nothing(slack, quiet_log, name):
    seed_ticket(slack, "Printer jammed")
    before = len(slack.fake.calls())  # the app's own auth.test at start
    body, parts = forged(slack)[name]
    headers = {"Content-Type": FORM}
    if "ts" in parts:
        headers["X-Slack-Request-Timestamp"] = parts["ts"]
    if "sig" in parts:
        headers["X-Slack-Signature"] = parts["sig"]
    import requests

    response = requests.post(slack.send.url, data=body, headers=headers, timeout=10)
    assert response.status_code == 401
    slack.settle()
    # Not even the error handler answered: no Web API call, no response_url post.
    assert slack.fake.calls()[before:] == []
    no_tracebacks(quiet_log)


# --- Signed but malformed: 400, nothing stored, no traceback --------------------------------


def _card_click(slack, **action) -> dict:
    payload = slack.send.build.block_actions(
        [{"action_id": ActionId.ASSIGN, "block_id": ticket_block_id(1), "type": "users_select"}],
        user_id=AGENT,
        channel_id=TRIAGE,
    )
    payload["actions"][0].update(action)
    return payload


def malformed(slack) -> dict[str, tuple[bytes, str]]:
    view = slack.send.build.view_submission({"type": "modal", "blocks": []}, {})
    viewless = copy.deepcopy(view)
    del viewless["view"]["type"]
    event = slack.send.build.event({"type": "message", "channel": TRIAGE, "ts": "1.2"})
    bad_user = copy.deepcopy(event)
    bad_user["event"]["user"] = "robert'); DROP TABLE tickets;--"
    deep = 100_000
    return {
        "an event nested 100,000 deep": (b'{"a":' * deep + b"1" + b"}" * deep, JSON),
        "a payload nested 100,000 deep": (
            b"payload=" + b"%5B" * deep + b"1" + b"%5D" * deep,
            FORM,
        ),
        "truncated payload": (b"payload=%7B%22type%22%3A%22block_act", FORM),
        "payload of null": (b"payload=null", FORM),
        "payload of a list": (b"payload=%5B1%2C2%5D", FORM),
        "JSON null": (b"null", JSON),
        "JSON list": (b"[]", JSON),
        "JSON that stops": (b'{"type": "event_callback", "event": {', JSON),
        "not UTF-8": (b"payload=\xff\xfe\xfa", FORM),
        "JSON under a form type": (json.dumps(event).encode(), FORM),
        "a view without a type": (urlencode({"payload": slack_json(viewless)}).encode(), FORM),
        "no actions": (
            urlencode({"payload": slack_json({**_card_click(slack), "actions": []})}).encode(),
            FORM,
        ),
        "selected_user not a user": (
            urlencode({"payload": slack_json(_card_click(slack, selected_user="not-a-user"))})
            .encode(),
            FORM,
        ),
        "a command without its user": (
            urlencode({k: v for k, v in command_fields(slack).items() if k != "user_id"}).encode(),
            FORM,
        ),
        "an event without its event": (
            json.dumps({k: v for k, v in event.items() if k != "event"}).encode(),
            JSON,
        ),
        "an event user that is not an id": (json.dumps(bad_user).encode(), JSON),
        "an unknown kind of request": (
            json.dumps({"type": "interactive_surprise", "team": {"id": "T0TEAM001"}}).encode(),
            JSON,
        ),
    }


MALFORMED = [
    "an event nested 100,000 deep",
    "a payload nested 100,000 deep",
    "truncated payload",
    "payload of null",
    "payload of a list",
    "JSON null",
    "JSON list",
    "JSON that stops",
    "not UTF-8",
    "JSON under a form type",
    "a view without a type",
    "no actions",
    "selected_user not a user",
    "a command without its user",
    "an event without its event",
    "an event user that is not an id",
    "an unknown kind of request",
]


@pytest.mark.parametrize("name", MALFORMED)
def test_a_signed_malformed_request_gets_400_and_stores_nothing(slack, quiet_log, name):
    seed_ticket(slack, "Printer jammed")
    calls = len(slack.fake.calls())
    body, content_type = malformed(slack)[name]
    before = count(slack, TicketChange), count(slack, Comment), count(slack, Ticket)
    response = slack.send.post(body, content_type)
    assert response.status_code == 400, response.text
    slack.settle()
    assert (count(slack, TicketChange), count(slack, Comment), count(slack, Ticket)) == before
    with slack.database.transaction() as session:
        assert session.scalars(select(Ticket.assignee_id)).all() == [None]
    assert slack.fake.calls()[calls:] == []
    no_tracebacks(quiet_log)


# --- Signed, well formed, but a field a listener reads is of the wrong type -------------------

LONE_SURROGATE = "\ud800"  # half of a UTF-16 pair: JSON can carry it, no database can store it


def _card_in_thread(slack) -> str:
    seed_ticket(slack, "Printer jammed")
    thread = "1700000000.000100"
    with slack.database.transaction() as session:
        found = session.scalars(select(Ticket)).one()
        found.card_channel_id, found.card_ts = TRIAGE, thread
    return thread


def _shortcut(slack, **changes) -> bytes:
    message = {"type": "message", "user": REQUESTER, "ts": "1700000000.000200", "text": "Help"}
    payload = slack.send.build.message_action(
        CallbackId.SHORTCUT_CREATE, user_id=REQUESTER, channel_id=GENERAL, message=message
    )
    for path, value in changes.items():
        node = payload
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return urlencode({"payload": slack_json(payload)}).encode()


def _reply_without_user(slack, user) -> bytes:
    reply = {
        "type": "message",
        "channel": TRIAGE,
        "text": "me too",
        "ts": "1700000001.000100",
        "thread_ts": _card_in_thread(slack),
    }
    if user is not _DELETE:
        reply["user"] = user
    return json.dumps(slack.send.build.event(reply)).encode()


TRUSTED = {
    "shortcut message_ts 12": lambda slack: _shortcut(slack, message_ts=12),
    "shortcut message_ts true": lambda slack: _shortcut(slack, message_ts=True),
    "shortcut message_ts -1.5": lambda slack: _shortcut(slack, message_ts=-1.5),
    "shortcut message_ts lone surrogate": lambda slack: _shortcut(
        slack, message_ts=LONE_SURROGATE
    ),
    "shortcut message.ts 12": lambda slack: _shortcut(slack, **{"message.ts": 12}),
    "shortcut message.text 12": lambda slack: _shortcut(slack, **{"message.text": 12}),
    "shortcut message.text true": lambda slack: _shortcut(slack, **{"message.text": True}),
    "shortcut message.text -1.5": lambda slack: _shortcut(slack, **{"message.text": -1.5}),
    "thread reply, user null": lambda slack: _reply_without_user(slack, None),
    "thread reply, no user": lambda slack: _reply_without_user(slack, _DELETE),
}


@pytest.mark.parametrize("name", list(TRUSTED))
def test_a_field_a_listener_reads_of_the_wrong_type_is_refused_politely(slack, quiet_log, name):
    body = TRUSTED[name](slack)
    calls = len(slack.fake.calls())
    before = count(slack, TicketChange), count(slack, Comment), count(slack, Ticket)
    response = slack.send.post(body, JSON if body.startswith(b"{") else FORM)
    assert response.status_code in (200, 400), response.text
    slack.settle()
    assert (count(slack, TicketChange), count(slack, Comment), count(slack, Ticket)) == before
    # No form opened from it, and no "Something went wrong" sent anywhere.
    assert slack.fake.calls()[calls:] == []
    no_tracebacks(quiet_log)


def test_a_comment_with_a_lone_surrogate_is_refused_and_stores_nothing(slack, quiet_log):
    create_ticket(slack, "Printer jammed")
    view = opened(slack, lambda: card_action(slack, ActionId.COMMENT))
    calls = len(slack.fake.calls())
    typed = {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain(f"Swapped {LONE_SURROGATE}")}}
    response = slack.send.view_submission(view, typed, user_id=AGENT)
    assert response.status_code in (200, 400), response.text
    slack.settle()
    assert count(slack, Comment) == 0
    assert slack.fake.calls()[calls:] == []
    no_tracebacks(quiet_log)


def _paths(node, prefix=()):
    """Every path to a value inside a payload."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _mutated(payload: dict, path: tuple, value) -> dict:
    copied = copy.deepcopy(payload)
    node = copied
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copied


_DELETE = object()
WRONG_VALUES = (_DELETE, None, 12, [], {}, "x")


def test_hundreds_of_mutated_payloads_never_get_a_5xx_or_a_traceback(slack, quiet_log):
    """Every field of real payloads, one at a time, deleted or given a wrong type."""
    seed_ticket(slack, "Printer jammed")
    build = slack.send.build
    originals = {
        "interaction": _card_click(slack, selected_user=AGENT),
        "event": build.event(
            {
                "type": "message",
                "channel": TRIAGE,
                "user": REQUESTER,
                "text": "hi",
                "ts": "1700000001.000100",
                "thread_ts": "1700000000.000100",
            }
        ),
    }
    sent = 0
    statuses: dict[int, int] = {}
    for kind, payload in originals.items():
        for path in _paths(payload):
            for value in WRONG_VALUES:
                mutated = _mutated(payload, path, value)
                if kind == "event":
                    response = slack.send.post(json.dumps(mutated).encode(), JSON)
                else:
                    body = urlencode({"payload": slack_json(mutated)}).encode()
                    response = slack.send.post(body, FORM)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                sent += 1
    slack.settle()
    assert sent >= 300
    assert set(statuses) <= {200, 400}, statuses
    no_tracebacks(quiet_log)
    with slack.database.transaction() as session:
        assert set(session.scalars(select(Ticket.assignee_id))) <= {None, AGENT}


def test_mutated_files_of_a_reply_in_a_card_thread_never_get_a_5xx(slack, quiet_log):
    """Every field of a shared file, one at a time: refused, or kept as a name and a safe link."""
    seed_ticket(slack, "Printer jammed")
    thread = "1700000000.000100"
    with slack.database.transaction() as session:
        found = session.scalars(select(Ticket)).one()
        found.card_channel_id, found.card_ts = TRIAGE, thread
    log = shared_file("F0LOG00001", "boot-log.txt", user=REQUESTER)
    share = file_reply("See the log", "1", thread, [log], user=REQUESTER, channel=TRIAGE)
    payload = slack.send.build.event(share)
    statuses: dict[int, int] = {}
    for n, path in enumerate(_paths(payload["event"]["files"], ("event", "files"))):
        for m, value in enumerate(WRONG_VALUES):
            mutated = _mutated(payload, path, value)
            mutated["event"]["ts"] = f"1700000001.{n:04d}{m:02d}"
            mutated["event_id"] = f"Ev0FILE{n:04d}{m:02d}"
            response = slack.send.post(json.dumps(mutated).encode(), JSON)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    slack.settle()
    assert set(statuses) == {200, 400}, statuses
    no_tracebacks(quiet_log)
    with slack.database.transaction() as session:
        kept = session.scalars(select(Comment.files)).all()
    assert len(kept) > 50
    for files in kept:
        for shared in files or []:
            assert set(shared) == {"name", "permalink"} and isinstance(shared["name"], str)
            assert shared["permalink"] in (None, log["permalink"])
