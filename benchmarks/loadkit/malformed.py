"""Hostile requests for `hostile.py`: signed bodies Slack would never send, and unsigned,
stale or forged ones.

The signed ones are of two sorts. Structural: truncated `payload=`, wrong content types,
bytes that are not UTF-8, JSON that is not an object, views without a type, nesting deeper
than any parser's stack, lone surrogates. Mutations: real payloads of every kind the app
takes (a slash command, block_actions, view_submission, shortcut, message_action,
block_suggestion, and each event type it handles), with one field at a time deleted or
given a value of the wrong type, at every path of the payload; shallow paths first, as those
are the ones listeners read."""

from __future__ import annotations

import copy
import itertools
import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from loadkit.burst import Request
from tests.support.slack_requests import FORM, JSON, sign, slack_json

DELETE = object()
WRONG_JSON = (DELETE, None, 12, [], {}, "x", True, -1.5, "\ud800")
WRONG_FORM = (DELETE, "", "x", "12", "[]", "null", "\ud800")


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    content_type: str
    depth: int = 0  # of the mutated path; 0 for structural cases


@dataclass(frozen=True)
class Real:
    """A real payload and how it travels: "form" (a slash command's fields), "interaction"
    (a form with the JSON in `payload`) or "event" (a JSON envelope)."""

    kind: str
    transport: str
    payload: dict

    def encode(self, payload: dict | None = None) -> tuple[bytes, str]:
        payload = self.payload if payload is None else payload
        if self.transport == "form":
            return urlencode(payload, encoding="utf-8", errors="surrogatepass").encode(), FORM
        if self.transport == "interaction":
            return urlencode({"payload": slack_json(payload)}).encode(), FORM
        return slack_json(payload).encode(), JSON

    def fresh(self, number: int) -> dict:
        """The payload as a new delivery: an event of its own id and ts, so that the app's
        deduplication of retries does not stop the copies before the code under test."""
        payload = copy.deepcopy(self.payload)
        if self.transport == "event":
            payload["event_id"] = f"EvM{number:09d}"
            if "ts" in payload["event"]:
                payload["event"]["ts"] = f"1910000000.{number:06d}"
        return payload

    def request(self) -> Request:
        return Request(*self.encode(), tag=self.kind)


def paths(node, prefix: tuple = ()):
    """Every path to a value inside a payload (the first two items of a list)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:2]):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def mutated(payload: dict, path: tuple, value) -> dict:
    copied = copy.deepcopy(payload)
    node = copied
    for part in path[:-1]:
        node = node[part]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copied


def _label(value) -> str:
    return "deleted" if value is DELETE else f"= {json.dumps(value)}"


def mutations(reals: list[Real], *, every_value: bool = False) -> list[Case]:
    """One mutation per path of every real payload, the wrong values taken in turn (or each
    of them: `every_value`); ordered by depth, the kinds interleaved, so that any prefix of
    the list covers every kind."""
    cases = []
    deliveries = itertools.count(1)
    for real in reals:
        wrong = WRONG_FORM if real.transport == "form" else WRONG_JSON
        for number, path in enumerate(paths(real.payload)):
            values = wrong if every_value else [wrong[number % len(wrong)]]
            for value in values:
                payload = real.fresh(next(deliveries))
                body, content_type = real.encode(mutated(payload, path, value))
                where = ".".join(str(p) for p in path)
                name = f"{real.kind}: {where} {_label(value)}"
                cases.append(Case(name, body, content_type, len(path)))
    order = {id(case): n for n, case in enumerate(cases)}
    return sorted(cases, key=lambda c: (c.depth, order[id(c)] % 97, order[id(c)]))


def structural(reals: dict[str, Real]) -> list[Case]:
    click_body = reals["block_actions"].encode()[0]
    event_body = reals["event message (thread reply)"].encode()[0]
    command_body = reals["slash command"].encode()[0]
    submission = reals["view_submission"].payload
    typeless = copy.deepcopy(submission)
    del typeless["view"]["type"]
    other_type = copy.deepcopy(submission)
    other_type["view"]["type"] = "workflow_step"
    reply = reals["event message (thread reply)"]
    lone = reply.fresh(999_001)
    lone["event"]["text"] = "broken \ud800 text"
    huge_text = reply.fresh(999_002)
    huge_text["event"]["text"] = "x" * 100_001

    def form(payload: dict) -> bytes:
        return urlencode({"payload": slack_json(payload)}).encode()

    deep = b'{"type":"event_callback","event":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001
    cases = [
        ("truncated payload= (1 %)", click_body[: len(click_body) // 100], FORM),
        ("truncated payload= (half)", click_body[: len(click_body) // 2], FORM),
        ("truncated payload= (last byte gone)", click_body[:-1], FORM),
        ("truncated payload= (cut in a %-escape)", click_body[: click_body.rindex(b"%") + 1], FORM),
        ("truncated event JSON (half)", event_body[: len(event_body) // 2], JSON),
        ("truncated event JSON (last byte gone)", event_body[:-1], JSON),
        ("empty body, form type", b"", FORM),
        ("empty body, JSON type", b"", JSON),
        ("payload= empty", b"payload=", FORM),
        ("payload= not JSON", b"payload=hello%20there", FORM),
        ("payload= twice", click_body + b"&" + click_body, FORM),
        ("form without payload or command", b"foo=bar&baz=1", FORM),
        ("event JSON as text/plain", event_body, "text/plain"),
        ("event JSON as multipart/form-data", event_body, "multipart/form-data; boundary=x"),
        ("event JSON as application/xml", event_body, "application/xml"),
        ("event JSON without a content type", event_body, ""),
        ("event JSON under the form type", event_body, FORM),
        ("interaction form under the JSON type", click_body, JSON),
        ("command under the JSON type", command_body, JSON),
        ("command as text/html", command_body, "text/html"),
        ("not UTF-8: payload=\\xff\\xfe", b"payload=\xff\xfe\xfa", FORM),
        ("not UTF-8: Latin-1 in event JSON", event_body.replace(b"Any news", b"\xe9t\xe9"), JSON),
        ("not UTF-8: Latin-1 byte in a command", command_body + b"&text=caf\xe9", FORM),
        ("not UTF-8 once %-decoded: payload=%FF%FE", b"payload=%FF%FE", FORM),
        ("UTF-8 BOM before the event JSON", b"\xef\xbb\xbf" + event_body, JSON),
        ("JSON null", b"null", JSON),
        ("JSON []", b"[]", JSON),
        ('JSON "a string"', b'"a string"', JSON),
        ("JSON 12", b"12", JSON),
        ("JSON true", b"true", JSON),
        ("JSON {}", b"{}", JSON),
        ("payload=null", b"payload=null", FORM),
        ("payload=[]", b"payload=%5B%5D", FORM),
        ('payload="a string"', b"payload=%22a%20string%22", FORM),
        ("payload=12", b"payload=12", FORM),
        ("payload={}", b"payload=%7B%7D", FORM),
        ("view_submission whose view has no type", form(typeless), FORM),
        ("view_submission whose view is a workflow_step", form(other_type), FORM),
        ("view_submission whose view is null", form({**submission, "view": None}), FORM),
        ("view_submission whose view is a string", form({**submission, "view": "V1"}), FORM),
        ("event JSON nested 100,000 deep", deep, JSON),
        ("payload= nested 100,000 deep", b"payload=" + b"%5B" * 100_000 + b"%5D" * 100_000, FORM),
        ("event text with a lone surrogate", slack_json(lone).encode(), JSON),
        ("event text over 100,000 characters", slack_json(huge_text).encode(), JSON),
        ("body over 2 MB", b"payload=" + b"a" * (2 * 1024 * 1024 + 1), FORM),
    ]
    return [Case(name, body, content_type) for name, body, content_type in cases]


# --- Unsigned, stale, forged --------------------------------------------------------------


def forged(secret: str, name: str, body: bytes) -> list[tuple[str, bytes, dict[str, str]]]:
    """Ten ways a request fails verification, for one real body: (case, body, headers)."""
    now = str(int(time.time()))
    good = sign(secret, now, body)
    stale, future = str(int(time.time()) - 301), str(int(time.time()) + 310)
    ways = {
        "no signature headers": (body, None, None),
        "timestamp not a number": (body, "abc", good),
        "timestamp not whole": (body, f"{now}.5", good),
        "no signature": (body, now, None),
        "garbage signature": (body, now, "v0=zz"),
        "another secret": (body, now, sign("another-secret", now, body)),
        "stale (301 s old)": (body, stale, sign(secret, stale, body)),
        "from the future (310 s)": (body, future, sign(secret, future, body)),
        "body changed after signing": (body + b"&text=list", now, good),
        "v1 scheme": (body, now, good.replace("v0=", "v1=")),
    }
    out = []
    for way, (sent, timestamp, signature) in ways.items():
        headers = {}
        if timestamp is not None:
            headers["X-Slack-Request-Timestamp"] = timestamp
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        out.append((f"{name}: {way}", sent, headers))
    return out
