"""SlackSender's payloads: their shape, and end to end through a real Bolt app to FakeSlack.

The end-to-end tests prove the payloads route to the right Bolt listeners with the fields
Bolt reads, and that what the listeners send back passes the fake's checks.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from tests.support.fake_slack import FakeSlack
from tests.support.fixtures import fake_slack  # noqa: F401
from tests.support.slack_requests import FORM, SlackSender, plain, static, users

SECRET = "bolt-signing-secret"
BUTTON = {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def text_input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    label_text = {"type": "plain_text", "text": label}
    return {"type": "input", "block_id": block_id, "label": label_text, "element": element}


def modal(**extra: Any) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": label.lower()}
        for label in ("Low", "High")
    ]
    return {
        "type": "modal",
        "callback_id": "new_ticket",
        "title": {"type": "plain_text", "text": "New ticket"},
        "submit": {"type": "plain_text", "text": "Create"},
        "private_metadata": "C0GENERAL1",
        "blocks": [
            text_input("title", "Title", {"type": "plain_text_input", "action_id": "title"}),
            text_input(
                "priority",
                "Priority",
                {"type": "static_select", "action_id": "priority", "options": options},
            ),
            text_input("assignee", "Assignee", {"type": "users_select", "action_id": "assignee"}),
        ],
        **extra,
    }


APP_URL = "http://127.0.0.1:9"  # requests to it are intercepted by `responses`


def sent_payload() -> dict[str, Any]:
    return json.loads(parse_qs(responses.calls[-1].request.body.decode())["payload"][0])


@responses.activate
def test_event_envelope_escaping_and_retry_headers() -> None:
    responses.add(responses.POST, f"{APP_URL}/slack/events")
    sender = SlackSender(APP_URL, SECRET, timestamp=lambda: 1_800_000_000.5)
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT0001> a/b é", "ts": "1.000100"}
    sender.event(event, event_id="Ev0TEST01", retry_num=1, retry_reason="http_timeout")

    request = responses.calls[0].request
    assert b"a\\/b \\u00e9" in request.body, "Slack escapes slashes and non-ASCII characters"
    envelope = json.loads(request.body)
    assert (envelope["type"], envelope["event_id"], envelope["event_time"]) == (
        "event_callback",
        "Ev0TEST01",
        1_800_000_000,
    )
    assert envelope["event"]["event_ts"] == "1.000100"
    assert envelope["authorizations"][0]["user_id"] == "UBOT0001"
    assert request.headers["X-Slack-Retry-Num"] == "1"
    assert request.headers["X-Slack-Request-Timestamp"] == "1800000000"


@responses.activate
def test_view_submission_state_is_built_from_the_view() -> None:
    responses.add(responses.POST, f"{APP_URL}/slack/events")
    sender = SlackSender(APP_URL, SECRET)
    chosen = {"title": {"title": plain("Printer")}, "priority": {"priority": static("high")}}
    sender.view_submission(modal(), chosen)

    view = sent_payload()["view"]
    values = view["state"]["values"]
    assert values["title"]["title"] == {"type": "plain_text_input", "value": "Printer"}
    assert values["priority"]["priority"]["selected_option"]["text"]["text"] == "High"
    assert values["assignee"]["assignee"] == {"type": "users_select", "selected_user": None}
    assert (view["callback_id"], view["private_metadata"]) == ("new_ticket", "C0GENERAL1")
    assert view["id"] and view["hash"] and view["app_installed_team_id"] == "T0TEAM001"
    with pytest.raises(ValueError, match="not offered"):
        sender.view_submission(modal(), {"priority": {"priority": static("urgent")}})
    with pytest.raises(ValueError, match="no input"):
        sender.view_submission(modal(), {"nope": {"nope": plain("x")}})
    with pytest.raises(ValueError, match="users_select"):
        sender.view_submission(modal(), {"assignee": {"assignee": plain("U1")}})


@responses.activate
def test_block_actions_on_a_message_carry_its_state_and_response_url() -> None:
    responses.add(responses.POST, f"{APP_URL}/slack/events")
    sender = SlackSender(APP_URL, SECRET)
    select = {
        "type": "static_select",
        "action_id": "prio",
        "options": modal()["blocks"][1]["element"]["options"],
    }
    actions = {"type": "actions", "block_id": "a", "elements": [BUTTON, select]}
    message = {"type": "message", "ts": "1700000000.000100", "text": "t", "blocks": [actions]}
    sender.block_actions([{"action_id": "prio", **static("low")}], channel_id="C1", message=message)

    payload = sent_payload()
    (action,) = payload["actions"]
    assert (action["type"], action["block_id"], action["selected_option"]["value"]) == (
        "static_select",
        "a",
        "low",
    )
    assert payload["state"]["values"]["a"]["prio"]["selected_option"]["value"] == "low"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert payload["response_url"].startswith("http://127.0.0.1:9/response/")


class _BoltHandler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        request = BoltRequest(body=body, headers={k: [v] for k, v in self.headers.items()})
        response = self.server.app.dispatch(request)
        payload = response.body.encode()
        self.send_response(response.status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


HOME = {
    "type": "home",
    "blocks": [
        section("Your tickets"),
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                {**BUTTON, "action_id": "home_new"},
                {
                    "type": "external_select",
                    "action_id": "component",
                    "placeholder": {"type": "plain_text", "text": "Component"},
                },
            ],
        },
    ],
}


def ticket_app(fake: FakeSlack, seen: list[Any]) -> App:
    app = App(client=WebClient(base_url=fake.api_url, token="xoxb-test"), signing_secret=SECRET)

    @app.command("/ticket")
    def open_form(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.view("new_ticket")
    def create(ack: Any, view: dict[str, Any], client: WebClient) -> None:
        ack()
        values = view["state"]["values"]
        title = values["title"]["title"]["value"]
        priority = values["priority"]["priority"]["selected_option"]["text"]["text"]
        close = {**BUTTON, "action_id": "close", "value": "T-1"}
        client.chat_postMessage(
            channel=view["private_metadata"],
            text=f"{title} ({priority})",
            blocks=[section(f"*{title}* ({priority})"), {"type": "actions", "elements": [close]}],
        )

    @app.action("close")
    def close_ticket(ack: Any, action: dict[str, Any], respond: Any) -> None:
        ack()
        respond(replace_original=True, text=f"{action['value']} closed")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view=HOME)

    @app.action("home_new")
    def home_new(ack: Any, body: dict[str, Any]) -> None:
        ack()
        seen.append(("home_new", body["container"]["type"], body["view"]["id"]))

    @app.options("component")
    def components(ack: Any, payload: dict[str, Any]) -> None:
        option = {"text": {"type": "plain_text", "text": f"{payload['value']}base"}, "value": "db"}
        ack(options=[option])

    @app.shortcut("new_ticket_shortcut")
    def shortcut(ack: Any, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=shortcut["trigger_id"], view=modal(notify_on_close=True))

    @app.shortcut("ticket_from_message")
    def from_message(ack: Any, shortcut: dict[str, Any]) -> None:
        ack()
        seen.append(("from_message", shortcut["message"]["text"], shortcut["channel"]["id"]))

    @app.view_closed("new_ticket")
    def closed(ack: Any, view: dict[str, Any]) -> None:
        ack()
        seen.append(("closed", view["id"]))

    return app


@pytest.fixture
def bolt_app(fake_slack: FakeSlack) -> Iterator[tuple[str, list[Any]]]:  # noqa: F811
    seen: list[Any] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BoltHandler)
    server.app = ticket_app(fake_slack, seen)  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    # Bolt runs listeners after ack() on worker threads, so their effects trail the response.
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_command_modal_submission_and_button_through_bolt(
    fake_slack: FakeSlack,  # noqa: F811
    bolt_app: tuple[str, list[Any]],
) -> None:
    sender = SlackSender(bolt_app[0], SECRET, response_url=fake_slack.response_url)

    assert sender.command("").status_code == 200
    (opened,) = fake_slack.wait_for("views.open")
    assert opened.args["trigger_id"] == sender.last_trigger_id

    values = {
        "title": {"title": plain("Printer on fire")},
        "priority": {"priority": static("high")},
        "assignee": {"assignee": users("U0ALICE01")},
    }
    assert sender.view_submission(opened.response["view"], values).status_code == 200
    (posted,) = fake_slack.wait_for("chat.postMessage")
    assert posted.args["text"] == "Printer on fire (High)"

    card = fake_slack.message(posted.response["channel"], posted.response["ts"])
    response = sender.block_actions([{"action_id": "close"}], channel_id="C0GENERAL1", message=card)
    assert response.status_code == 200
    fake_slack.wait_for("response_url")
    assert fake_slack.message("C0GENERAL1", card["ts"])["text"] == "T-1 closed"
    with pytest.raises(ValueError, match="no element"):
        sender.block_actions([{"action_id": "reopen"}], channel_id="C0GENERAL1", message=card)


def test_every_payload_kind_reaches_its_bolt_listener(
    fake_slack: FakeSlack,  # noqa: F811
    bolt_app: tuple[str, list[Any]],
) -> None:
    url, seen = bolt_app
    sender = SlackSender(url, SECRET, response_url=fake_slack.response_url)

    opened_home = {"type": "app_home_opened", "user": "U0REQ0001", "channel": "D0REQ0001"}
    assert sender.event({**opened_home, "tab": "home"}).status_code == 200
    home = fake_slack.wait_for("views.publish")[0].response["view"]
    sender.block_actions([{"action_id": "home_new"}], view=home)
    suggestions = sender.block_suggestion("component", "home_actions", "data", view=home).json()
    assert suggestions["options"][0]["text"]["text"] == "database"
    sender.shortcut("new_ticket_shortcut")
    sender.view_closed(fake_slack.wait_for("views.open")[0].response["view"])
    message = {"type": "message", "ts": "1690000000.000100", "user": "U0REQ0001", "text": "help"}
    sender.message_action("ticket_from_message", channel_id="C0GENERAL1", message=message)

    eventually(lambda: len(seen) == 3)
    assert sorted(seen) == [
        ("closed", fake_slack.calls("views.open")[0].response["view"]["id"]),
        ("from_message", "help", "C0GENERAL1"),
        ("home_new", "view", home["id"]),
    ]
    with pytest.raises(ValueError, match="dispatch_action"):
        sender.block_actions([{"action_id": "title"}], view=modal())


def test_bolt_rejects_stale_or_forged_requests(bolt_app: tuple[str, list[Any]]) -> None:
    sender = SlackSender(bolt_app[0], SECRET)

    assert sender.post(b"text=hi", FORM, timestamp=int(time.time()) - 600).status_code == 401
    assert sender.post(b"text=hi", FORM, signature="v0=" + "0" * 64).status_code == 401
    stale_clock = SlackSender(bolt_app[0], SECRET, timestamp=lambda: time.time() - 600)
    assert stale_clock.command("x").status_code == 401
    assert sender.url_verification("chal-123").json() == {"challenge": "chal-123"}
