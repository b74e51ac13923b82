"""The Socket Mode half of the harness, proven against slack_sdk's builtin Socket Mode client
(`ticketbot socket` runs its websocket-client one, tests/test_socket_mode.py) and checked for
the acks Slack would not take and for connections ended with and without a close frame."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.fake_slack import FakeSlack
from tests.support.fixtures import fake_slack  # noqa: F401
from tests.support.slack_builders import PayloadBuilder
from tests.support.socket_mode import SocketModeServer

APP_TOKEN = "xapp-1-A0APP0001-1-abc"


@pytest.fixture
def server(fake_slack: FakeSlack) -> Iterator[SocketModeServer]:  # noqa: F811
    with SocketModeServer(fake_slack) as server:
        yield server


def open_url(fake: FakeSlack) -> str:
    return WebClient(base_url=fake.api_url).apps_connections_open(app_token=APP_TOKEN)["url"]


def test_connections_open_takes_the_app_token_and_only_it(fake_slack, server) -> None:  # noqa: F811
    bot = WebClient(token="xoxb-1", base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as refused:
        bot.apps_connections_open(app_token="xoxb-1")
    assert refused.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=APP_TOKEN, base_url=fake_slack.api_url).auth_test()
    assert refused.value.response["error"] == "not_allowed_token_type"
    assert open_url(fake_slack).startswith(f"ws://127.0.0.1:{server.port}/link/?ticket=")


def test_slack_sdks_client_gets_hello_envelopes_and_acks(fake_slack, server) -> None:  # noqa: F811
    messages: list[dict] = []
    requests: list[SocketModeRequest] = []
    handled = threading.Event()

    def answer(client: SocketModeClient, request: SocketModeRequest) -> None:
        requests.append(request)
        client.send_socket_mode_response(
            SocketModeResponse(request.envelope_id, payload={"text": "Pong"})
        )
        handled.set()

    client = SocketModeClient(
        app_token=APP_TOKEN, web_client=WebClient(base_url=fake_slack.api_url)
    )
    client.message_listeners.append(lambda _client, message, _raw: messages.append(message))
    client.socket_mode_request_listeners.append(answer)
    try:
        client.connect()
        link = server.wait_for_link(1)
        fields = PayloadBuilder().command("ping")
        envelope_id = server.slash_command(fields)
        ack = server.wait_for_ack(envelope_id)
        assert handled.wait(5)
        client.auto_reconnect_enabled = False
        server.drop(link)  # sooner than client.close(), whose reader waits out its timeout
    finally:
        client.close()
    assert messages[0]["type"] == "hello" and messages[0]["num_connections"] == 1
    [request] = requests
    assert (request.type, request.payload, request.accepts_response_payload) == (
        "slash_commands",
        fields,
        True,
    )
    assert (ack.envelope_id, ack.payload, ack.link) == (envelope_id, {"text": "Pong"}, 1)
    assert ack.seconds < 3


def test_a_url_opens_one_connection(fake_slack, server) -> None:  # noqa: F811
    url = open_url(fake_slack)
    with connect(url) as websocket:
        assert json.loads(websocket.recv(timeout=5))["type"] == "hello"
        with pytest.raises(InvalidStatus) as refused, connect(url):
            pass
    assert refused.value.response.status_code == 401
    assert fake_slack.pop_errors() == [
        f"socket mode: connection refused: {url.removeprefix(f'ws://127.0.0.1:{server.port}')!r}"
        " is not a fresh URL"
    ]


@pytest.mark.parametrize(
    ("how", "close_frame", "cause"),
    [("close", 1001, None), ("eof", None, EOFError), ("reset", None, ConnectionResetError)],
)
def test_a_connection_is_dropped_with_or_without_a_close_frame(
    fake_slack,  # noqa: F811
    server,
    how,
    close_frame,
    cause,
) -> None:
    with connect(open_url(fake_slack)) as websocket:
        websocket.recv(timeout=5)  # hello
        link = server.drop(server.wait_for_link(1), how=how)
        with pytest.raises(ConnectionClosed) as ended:
            websocket.recv(timeout=5)
    assert link.closed and server.open_links() == []
    assert (ended.value.rcvd.code if ended.value.rcvd else None) == close_frame
    assert type(ended.value.__cause__) is (cause or type(None))


def test_a_silenced_connection_answers_no_ping(fake_slack, server) -> None:  # noqa: F811
    with connect(open_url(fake_slack)) as websocket:
        websocket.recv(timeout=5)  # hello
        with server.silenced(server.wait_for_link(1)):
            unanswered = websocket.ping()
            assert not unanswered.wait(0.5)
        assert unanswered.wait(5)  # read at last


def test_acks_slack_would_not_take_are_reported(fake_slack, server) -> None:  # noqa: F811
    build = PayloadBuilder()
    with connect(open_url(fake_slack)) as websocket:
        websocket.recv(timeout=5)  # hello
        server.wait_for_link(1)
        event = server.event(build.event({"type": "app_home_opened", "user": "U0REQ0001"}))
        websocket.recv(timeout=5)
        websocket.send(json.dumps({"envelope_id": event, "payload": {"text": "ok"}}))
        server.wait_for_ack(event)
        websocket.send(json.dumps({"envelope_id": event}))
        websocket.send(json.dumps({"envelope_id": "never-sent"}))
        websocket.send("ok")
        command = server.slash_command(build.command("help"))
        websocket.recv(timeout=5)
        answer = {"text": "Help", "blocks": [{"type": "section"}]}
        websocket.send(json.dumps({"envelope_id": command, "payload": answer}))
        server.wait_for_ack(command)
    assert fake_slack.pop_errors() == [
        f"socket mode: ack of events_api {event}: a payload where the envelope accepts none: "
        "Slack drops it",
        f"socket mode: ack for an already acked envelope {event}",
        "socket mode: ack for an unknown envelope never-sent",
        "socket mode: not an ack: 'ok'",
        f"socket mode: ack of slash_commands {command}: /blocks/0: a section needs text or fields",
    ]
