"""The Slack test harness itself: the fake Web API, its Block Kit checks, and the sender.

The fake is driven with slack_sdk's real WebClient and the sender's requests are checked by
slack_sdk's SignatureVerifier, so the harness is proven against the libraries the bot uses
rather than against itself. test_support_bolt.py puts a real Bolt app between the two.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.support.fake_slack import FakeSlack
from tests.support.fixtures import fake_slack  # noqa: F401
from tests.support.slack_requests import FORM, SlackSender

SECRET = "harness-signing-secret"


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def opt(text: str, value: str) -> dict[str, Any]:
    return {"text": pt(text), "value": value}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": md(text), **extra}


def field(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": pt(label), "element": element, **extra}


def modal(title: str = "New ticket", **extra: Any) -> dict[str, Any]:
    priorities = [opt("Low", "low"), opt("High", "high")]
    return {
        "type": "modal",
        "callback_id": "new_ticket",
        "title": pt(title),
        "submit": pt("Create"),
        "private_metadata": "C0GENERAL1",
        "blocks": [
            field("title", "Title", {"type": "plain_text_input", "action_id": "title"}),
            field(
                "priority",
                "Priority",
                {"type": "static_select", "action_id": "priority", "options": priorities},
            ),
            field(
                "assignee",
                "Assignee",
                {"type": "users_select", "action_id": "assignee"},
                optional=True,
            ),
        ],
        **extra,
    }


BUTTON = {"type": "button", "action_id": "go", "text": pt("Go")}
OPTION = opt("A", "a")
OPTIONS = [OPTION, opt("B", "b")]
# A spread of what a ticket bot sends, so the checks are proven free of false alarms.
RICH_TEXT = {"type": "text", "text": "hi", "style": {"bold": True}}
CONFIRM = {"title": pt("Sure?"), "text": md("Really"), "confirm": pt("Yes"), "deny": pt("No")}
VALID_MESSAGE_BLOCKS = [
    {"type": "header", "text": pt("Ticket T-1 :fire:")},
    section("*T-1*", fields=[md("*Status*\nOpen")], accessory={**BUTTON, "confirm": CONFIRM}),
    section("more", accessory={"type": "overflow", "action_id": "more", "options": OPTIONS}),
    {"type": "divider"},
    {"type": "context", "elements": [md("by <@U1>"), pt("2 min ago")]},
    {
        "type": "actions",
        "elements": [
            {
                "type": "static_select",
                "action_id": "s",
                "options": OPTIONS,
                "initial_option": OPTION,
            },
            {"type": "multi_users_select", "action_id": "u", "initial_users": ["U1"]},
            {"type": "datepicker", "action_id": "d", "initial_date": "2026-11-30"},
            {"type": "checkboxes", "action_id": "x", "options": [{**OPTION, "text": md("*a*")}]},
        ],
    },
    {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [RICH_TEXT]}]},
]
VALID_MODAL = modal(close=pt("Cancel"), notify_on_close=True, external_id="ticket-1")
VALID_MODAL["blocks"] += [
    field("e", "Email", {"type": "email_text_input", "action_id": "e"}, hint=pt("Work email")),
    field(
        "g",
        "Team",
        {
            "type": "static_select",
            "action_id": "g",
            "option_groups": [{"label": pt("Ops"), "options": OPTIONS}],
        },
    ),
    field(
        "d",
        "Details",
        {
            "type": "plain_text_input",
            "action_id": "d",
            "multiline": True,
            "max_length": 3000,
            "initial_value": "It broke",
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        },
        dispatch_action=True,
    ),
]


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:  # noqa: F811
    return WebClient(base_url=fake_slack.api_url, token="xoxb-test")


def expect_rejection(fake: FakeSlack, call: Any, code: str) -> list[str]:
    with pytest.raises(SlackApiError) as raised:
        call()
    assert raised.value.response["error"] == code
    errors = fake.pop_errors()
    assert errors, "a rejected payload must be listed in fake.errors"
    return errors


# FakeSlack: recording and responses


def test_post_message_is_recorded_and_answered_like_slack(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
) -> None:
    first = client.chat_postMessage(channel="C0GENERAL1", text="hi", blocks=[section("*hi*")])
    second = client.chat_postMessage(channel="C0GENERAL1", text="again")

    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["user"] == "UBOT0001"
    assert first["message"]["blocks"][0]["block_id"], "Slack fills in missing block ids"
    (call, _) = fake_slack.calls("chat.postMessage")
    assert call.args["blocks"] == [section("*hi*")], "JSON-in-form arguments are decoded"
    assert "token" not in call.args and not call.failed
    assert fake_slack.message("C0GENERAL1", first["ts"])["text"] == "hi"


def test_api_calls_need_a_bot_token(fake_slack: FakeSlack) -> None:  # noqa: F811
    anonymous = WebClient(base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as raised:
        anonymous.chat_postMessage(channel="C0GENERAL1", text="hi")
    assert raised.value.response["error"] == "not_authed"
    assert fake_slack.calls()[0].failed


def test_update_and_delete_track_message_state(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
) -> None:
    ts = client.chat_postMessage(channel="C0GENERAL1", text="v1", blocks=[section("one")])["ts"]
    client.chat_update(channel="C0GENERAL1", ts=ts, text="v2")

    latest = fake_slack.message("C0GENERAL1", ts)
    assert latest["text"] == "v2"
    assert latest["blocks"][0]["text"]["text"] == "one", "blocks omitted from chat.update stay"
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="C0GENERAL1", ts="1.000001", text="x")
    client.chat_delete(channel="C0GENERAL1", ts=ts)
    assert ("C0GENERAL1", ts) not in fake_slack.messages
    permalink_ts = client.chat_postMessage(channel="C0GENERAL1", text="x")["ts"]
    link = client.chat_getPermalink(channel="C0GENERAL1", message_ts=permalink_ts)["permalink"]
    assert link == f"https://test.slack.com/archives/C0GENERAL1/p{permalink_ts.replace('.', '')}"


def test_directory_lookups(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    fake_slack.users["U0ALICE01"] = {"tz": "Europe/Berlin", "profile": {"email": "a@x.test"}}
    fake_slack.users["U0GONE001"] = None
    fake_slack.usergroups["S0ONCALL1"] = ["U0ALICE01"]

    alice = client.users_info(user="U0ALICE01", include_locale=True)["user"]
    assert (alice["tz"], alice["profile"]["email"], alice["locale"]) == (
        "Europe/Berlin",
        "a@x.test",
        "en-US",
    )
    bob = client.users_info(user="U0BOB0001")["user"]
    assert bob["profile"]["email"] == "u0bob0001@example.com" and "locale" not in bob
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0GONE001")
    assert client.usergroups_users_list(usergroup="S0ONCALL1")["users"] == ["U0ALICE01"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S0NOPE001")
    assert client.conversations_open(users="U0ALICE01")["channel"]["id"] == "D0ALICE01"


def test_conversations_info_says_whether_a_channel_is_private(
    fake_slack: FakeSlack, client: WebClient  # noqa: F811
) -> None:
    fake_slack.channels["C0SECRET01"] = {"is_private": True}
    fake_slack.channels["C0GONE0001"] = None
    public = client.conversations_info(channel="C0PUBLIC01")["channel"]
    assert (public["id"], public["is_channel"], public["is_private"]) == ("C0PUBLIC01", True, False)
    secret = client.conversations_info(channel="C0SECRET01")["channel"]
    assert (secret["is_channel"], secret["is_private"], secret["is_group"]) == (False, True, False)
    assert client.conversations_info(channel="G0LEGACY01")["channel"]["is_private"] is True
    assert client.conversations_info(channel="D0ALICE01")["channel"]["is_im"] is True
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_info(channel="C0GONE0001")


def test_history_and_replies_come_from_seeded_messages(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
) -> None:
    fake_slack.messages[("C0GENERAL1", "1690000000.000100")] = {"user": "U1", "text": "help"}
    fake_slack.messages[("C0GENERAL1", "1690000000.000200")] = {
        "user": "U2",
        "text": "on it",
        "thread_ts": "1690000000.000100",
    }

    history = client.conversations_history(channel="C0GENERAL1")["messages"]
    assert [m["text"] for m in history] == ["help"], "thread replies stay out of history"
    replies = client.conversations_replies(channel="C0GENERAL1", ts="1690000000.000100")
    assert [m["text"] for m in replies["messages"]] == ["help", "on it"]


def test_file_upload_v2_round_trip(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    result = client.files_upload_v2(content="a,b\n1,2\n", filename="export.csv", channel="C1")

    file_id = result["files"][0]["id"]
    assert fake_slack.uploads[file_id] == b"a,b\n1,2\n"
    assert [c.method for c in fake_slack.calls()] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_unknown_methods_are_recorded(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("tickets.teleport", params={"where": "moon"})
    assert fake_slack.calls("tickets.teleport")[0].args == {"where": "moon"}


# FakeSlack: Block Kit validation


def test_valid_block_kit_passes(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    client.chat_postMessage(channel="C1", text="ticket", blocks=VALID_MESSAGE_BLOCKS)
    client.views_open(trigger_id="1.2.3", view=VALID_MODAL)
    client.views_publish(user_id="U1", view={"type": "home", "blocks": VALID_MESSAGE_BLOCKS})
    assert fake_slack.errors == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_blocks_without_fallback_text_are_rejected(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
) -> None:
    errors = expect_rejection(
        fake_slack,
        lambda: client.chat_postMessage(channel="C0GENERAL1", blocks=[section("hi")]),
        "invalid_arguments",
    )
    assert errors == ["chat.postMessage: /text: fallback text is required with blocks"]


def test_more_than_50_blocks_are_rejected(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    client.chat_postMessage(channel="C1", text="ok", blocks=[section("x")] * 50)
    errors = expect_rejection(
        fake_slack,
        lambda: client.chat_postMessage(channel="C1", text="no", blocks=[section("x")] * 51),
        "invalid_blocks",
    )
    assert "at most 50 blocks" in errors[0]


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (section("x" * 3001), "/blocks/0/text/text"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}, "/blocks/0/fields"),
        (
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
            "/blocks/0/fields/0/text",
        ),
        ({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}, "/text/text"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}, "/blocks/0/text/type"),
        ({"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}, "/elements"),
        ({"type": "actions", "elements": [BUTTON] * 2}, "duplicate 'go'"),
        (
            {
                "type": "actions",
                "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "b" * 76}}],
            },
            "/blocks/0/elements/0/text/text",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {"type": "static_select", "options": [{**OPTION, "value": "v" * 151}]}
                ],
            },
            "/options/0/value",
        ),
        (section("x", block_id="b" * 256), "/blocks/0/block_id"),
        (section("x", accessory={**BUTTON, "action_id": "a" * 256}), "/accessory/action_id"),
        (section(""), "must be more than 0 characters"),
        (section("x", colour="red"), "/blocks/0/colour: not a field"),
        ({"type": "carousel_of_dreams"}, "unknown block type"),
        (
            {
                "type": "rich_text",
                "elements": [{"type": "rich_text_section", "elements": [md("x")]}],
            },
            "'mrkdwn' not allowed in rich_text_section",
        ),
    ],
)
def test_invalid_message_blocks_are_rejected(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
    block: dict[str, Any],
    pointer: str,
) -> None:
    errors = expect_rejection(
        fake_slack,
        lambda: client.chat_postMessage(channel="C1", text="fallback", blocks=[block]),
        "invalid_blocks",
    )
    assert any(pointer in e for e in errors), errors


def test_modal_limits(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    client.views_open(trigger_id="1.2.3", view=modal(title="t" * 24))
    errors = expect_rejection(
        fake_slack,
        lambda: client.views_open(trigger_id="1.2.3", view=modal(title="t" * 25)),
        "invalid_arguments",
    )
    assert any(e.startswith("views.open: /view/title/text") for e in errors), errors

    too_long_input = modal()
    element = too_long_input["blocks"][0]["element"]
    element.update(max_length=10, initial_value="eleven chars")
    errors = expect_rejection(
        fake_slack,
        lambda: client.views_open(trigger_id="1.2.3", view=too_long_input),
        "invalid_arguments",
    )
    assert any("/view/blocks/0/element/initial_value" in e for e in errors), errors
    no_submit = modal()
    del no_submit["submit"]
    expect_rejection(
        fake_slack,
        lambda: client.views_open(trigger_id="1.2.3", view=no_submit),
        "invalid_arguments",
    )


def test_views_update_checks_the_hash(fake_slack: FakeSlack, client: WebClient) -> None:  # noqa: F811
    opened = client.views_open(trigger_id="1.2.3", view=modal())["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Step 2"))
    assert updated["view"]["id"] == opened["id"]
    assert fake_slack.view(opened["id"])["title"]["text"] == "Step 2"
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())


# FakeSlack: fault injection


def test_rate_limit_is_retried_by_slack_sdk(fake_slack: FakeSlack) -> None:  # noqa: F811
    client = WebClient(
        base_url=fake_slack.api_url,
        token="xoxb-test",
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)

    assert client.chat_postMessage(channel="C0GENERAL1", text="hi")["ok"]
    attempts = fake_slack.calls("chat.postMessage")
    assert [(c.status, c.failed) for c in attempts] == [(429, True), (200, False)]
    assert attempts[1].at - attempts[0].at >= 1.0, "the client honoured Retry-After"


def test_injected_errors_and_server_failures(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
) -> None:
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    fake_slack.fail_next("chat.postMessage", status=503, times=2)

    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C1", text="x")
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C1", text="x")
        assert raised.value.response.status_code == 503
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.failed for c in fake_slack.calls()] == [True, True, True, False]


def test_delay_lets_the_client_time_out_while_slack_still_posts(fake_slack: FakeSlack) -> None:  # noqa: F811
    impatient = WebClient(base_url=fake_slack.api_url, token="xoxb-test", timeout=0.2)  # type: ignore[arg-type]
    fake_slack.fail_next("chat.postMessage", status=200, delay=0.5)

    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="maybe twice")
    (call,) = fake_slack.wait_for("chat.postMessage")
    assert not call.failed and len(fake_slack.messages) == 1


# FakeSlack: response_url


def test_response_url_posts_are_recorded_validated_and_applied(
    fake_slack: FakeSlack,  # noqa: F811
    client: WebClient,
) -> None:
    ts = client.chat_postMessage(channel="C1", text="open", blocks=[section("open")])["ts"]
    url = fake_slack.response_url("card", channel="C1", message_ts=ts)

    reply = {"replace_original": True, "text": "closed", "blocks": [section("closed")]}
    assert requests.post(url, json=reply, timeout=5).json() == {"ok": True}
    (call,) = fake_slack.calls("response_url")
    assert (call.path, call.args["text"]) == ("card", "closed")
    assert fake_slack.message("C1", ts)["blocks"][0]["text"]["text"] == "closed"
    bad = requests.post(url, json={"blocks": [section("no fallback")]}, timeout=5).json()
    assert bad["error"] == "invalid_arguments"
    assert fake_slack.pop_errors() == ["response_url: /text: fallback text is required with blocks"]


# SlackSender


@responses.activate
def test_sender_signature_is_accepted_by_slack_sdk() -> None:
    responses.add(responses.POST, "http://127.0.0.1:9/slack/events")  # intercepted, not sent
    SlackSender("http://127.0.0.1:9", SECRET).command("printer on fire / again")

    request = responses.calls[0].request
    stamp, signature = (
        request.headers["X-Slack-Request-Timestamp"],
        request.headers["X-Slack-Signature"],
    )
    assert SignatureVerifier(SECRET).is_valid(
        body=request.body, timestamp=stamp, signature=signature
    )
    assert not SignatureVerifier("other").is_valid(request.body, stamp, signature)
    fields = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
    assert request.headers["Content-Type"] == FORM
    assert (fields["command"], fields["text"]) == ("/ticket", "printer on fire / again")
    assert {"team_id", "team_domain", "user_name", "api_app_id", "trigger_id"} <= set(fields)
