"""The Web API client keeps one connection per thread, and still behaves as slack_sdk's."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from ticketbot.slack.client import KeepAliveWebClient, KeptRespond, KeptWebhookClient


class _Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, close_after_each: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.close_after_each = close_after_each
        self.connections: set[int] = set()
        self.requests = 0


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Counting

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.connections.add(self.client_address[1])
        self.server.requests += 1
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.server.close_after_each:
            # As a server dropping an idle connection: no "Connection: close" said first.
            self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(request):
    server = _Counting(close_after_each=getattr(request, "param", False))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _client(server: _Counting) -> KeepAliveWebClient:
    port = server.server_address[1]
    return KeepAliveWebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{port}/api/")


def test_calls_of_one_thread_share_one_connection(server):
    client = _client(server)
    for _ in range(3):
        assert client.api_test()["ok"] is True
    assert server.requests == 3
    assert len(server.connections) == 1


def test_each_thread_has_its_own_connection(server):
    client = _client(server)
    threads = [threading.Thread(target=client.api_test) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.api_test()
    assert server.requests == 3
    assert len(server.connections) == 3  # two threads, then this one


@pytest.mark.parametrize("server", [True], indirect=True)
def test_a_connection_the_server_closed_is_replaced_without_losing_the_call(server):
    client = _client(server)
    for _ in range(3):
        assert client.api_test()["ok"] is True
    assert server.requests == 3  # each call reached the server exactly once
    assert len(server.connections) == 3


def test_rate_limits_and_errors_reach_slack_sdk_as_with_urllib(fake_slack):
    client = KeepAliveWebClient(
        token="xoxb-test",
        base_url=fake_slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)
    posted = client.chat_postMessage(channel="C1", text="hello")
    assert posted["ok"] is True
    assert len(fake_slack.calls("chat.postMessage")) == 2  # refused once, then taken

    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="again")
    assert refused.value.response.status_code == 429

    fake_slack.fail_next("chat.update", status=200, error="message_not_found")
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="C1", ts="1.0", text="x")
    assert missing.value.response["error"] == "message_not_found"


def _ticketbot_client(fake_slack) -> KeepAliveWebClient:
    from ticketbot.config import Settings
    from ticketbot.slack.client import slack_client

    return slack_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.api_url))


def test_a_post_sent_without_an_answer_is_never_sent_again(fake_slack):
    """Slack did post it; only its answer was lost. Sending it again would post it twice."""
    from ticketbot.slack.client import DeliveryUncertain

    fake_slack.fail_next("chat.postMessage", status=200, drop=True)
    with pytest.raises(DeliveryUncertain):
        _ticketbot_client(fake_slack).chat_postMessage(channel="C0SLAALERT", text="Deadline near")
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert len(fake_slack.messages) == 1


def test_an_update_without_an_answer_is_sent_again(fake_slack):
    """An update says the same thing twice: safe to repeat, so it is."""
    client = _ticketbot_client(fake_slack)
    posted = client.chat_postMessage(channel="C0SLAALERT", text="v1")
    fake_slack.fail_next("chat.update", status=200, drop=True)
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
    assert len(fake_slack.calls("chat.update")) == 2
    assert fake_slack.message(posted["channel"], posted["ts"])["text"] == "v2"


def test_a_post_answered_500_is_not_retried_but_an_update_is(fake_slack):
    client = _ticketbot_client(fake_slack)
    fake_slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0SLAALERT", text="once")
    assert len(fake_slack.calls("chat.postMessage")) == 1
    posted = client.chat_postMessage(channel="C0SLAALERT", text="v1")
    fake_slack.fail_next("chat.update", status=500)
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
    assert [c.failed for c in fake_slack.calls("chat.update")] == [True, False]


def test_each_outcome_of_a_call_is_counted_by_method(fake_slack):
    from tests.support.metrics import current
    from ticketbot.pacing import Pacer

    def counted(method: str) -> dict[str, float]:
        outcomes = ("ok", "error", "ratelimited", "server_error", "failure", "paced")
        return {
            o: current("ticketbot_slack_api_calls_total", method=method, outcome=o)
            for o in outcomes
        }

    client = KeepAliveWebClient(
        token="xoxb-test",
        base_url=fake_slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    before = counted("chat.postMessage")
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)
    client.chat_postMessage(channel="C1", text="hello")  # refused once, then taken
    fake_slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="nobody there")
    fake_slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="Slack is down")
    after = counted("chat.postMessage")
    assert {o: after[o] - before[o] for o in after} == {
        "ok": 1,
        "error": 1,
        "ratelimited": 1,
        "server_error": 1,
        "failure": 0,
        "paced": 0,
    }

    with socket.socket() as closed:  # a port nobody listens on: no answer at all
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    nowhere = KeepAliveWebClient(base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[])
    before = counted("auth.test")
    with pytest.raises(URLError):
        nowhere.auth_test()
    assert counted("auth.test")["failure"] - before["failure"] == 1

    paced = Pacer()
    quick = KeepAliveWebClient(base_url=fake_slack.api_url, pacer=paced, max_wait=0.0)
    paced.pause(quick._workspace, "users.info", 30)
    before = counted("users.info")
    with pytest.raises(SlackClientError, match="paced"):
        quick.users_info(user="U0REQ0001")
    assert counted("users.info")["paced"] - before["paced"] == 1
    assert fake_slack.calls("users.info") == []


def test_a_post_sent_on_a_kept_connection_without_an_answer_is_never_sent_again(fake_slack):
    """On a connection kept from an earlier call, a lost answer is no proof that the request
    never reached Slack: the post is reported uncertain, not sent again."""
    from ticketbot.slack.client import DeliveryUncertain

    client = _ticketbot_client(fake_slack)
    client.auth_test()  # the connection is kept from here on
    fake_slack.fail_next("chat.postMessage", status=200, drop=True)
    with pytest.raises(DeliveryUncertain):
        client.chat_postMessage(channel="C0SLAALERT", text="Deadline near")
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert len(fake_slack.messages) == 1


def _answers(server: _Counting) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/actions/T0TEAM001/1/abc"


def test_answers_to_a_response_url_share_one_connection(server):
    respond = KeptRespond(response_url=_answers(server))
    assert respond("Working on it", response_type="ephemeral").status_code == 200
    assert respond({"text": "Done", "replace_original": True}).status_code == 200
    told = KeptWebhookClient(_answers(server)).send_dict({"text": "Busy"})
    assert told.status_code == 200 and told.body == '{"ok": true}'
    assert server.requests == 3
    assert len(server.connections) == 1  # Bolt's own respond opens one per answer


@pytest.mark.parametrize("server", [True], indirect=True)
def test_an_answer_on_a_connection_the_host_closed_goes_on_a_new_one(server):
    respond = KeptRespond(response_url=_answers(server))
    for text in ("one", "two", "three"):
        assert respond(text).status_code == 200
    assert server.requests == 3
    assert len(server.connections) == 3


def test_an_answer_refused_by_slack_reads_as_with_slack_sdk(fake_slack):
    """An expired response_url: Slack's 404 is the answer's status, as slack_sdk gives it; the
    next answer goes on (the refusal did not spoil the kept connection)."""
    respond = KeptRespond(response_url=fake_slack.response_url("late"))
    fake_slack.fail_next("response_url", status=404)
    refused = respond("hello")
    assert refused.status_code == 404 and "internal_error" in refused.body
    assert respond("hello again").status_code == 200
    assert [c.args["text"] for c in fake_slack.calls("response_url")] == ["hello", "hello again"]
