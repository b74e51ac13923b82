"""manifest.yml: valid for Slack, and in step with what the app registers and calls.

Slack only delivers what the manifest declares and only answers calls its scopes allow, so
a listener or Web API call without its manifest entry fails silently in production.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from ticketbot.handlers import register_all
from ticketbot.ids import CallbackId

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "slack" / "manifest.schema.1.0.0.json"

# Scopes the bot needs for what it does, whatever the code looks like today.
REQUIRED_SCOPES = {
    "commands": "/ticket and the shortcuts",
    "chat:write": "cards, thread replies and ephemeral answers",
    "reactions:read": "the reaction_added event",
    "channels:history": "message.channels and reading a reacted-to message",
    "groups:history": "the same in private channels",
    "channels:read": "member_joined_channel (the bot invited) and a channel's privacy",
    "groups:read": "the same in private channels",
    "users:read": "people's profiles",
    "users:read.email": "the requester's address, prefilled in the Email form",
    "usergroups:read": "agents and admins configured as user groups",
    "im:write": "direct messages to requesters (chat.postMessage to a user id)",
    "files:write": "the report's chart, uploaded beside the report",
    "files:read": "the file input of the related-document form",
}
# What a listener kind needs before Slack will send it anything.
LISTENER_SCOPES = {"command": {"commands"}, "shortcut": {"commands"}}
EVENT_SCOPES = {
    "app_home_opened": set(),
    "reaction_added": {"reactions:read"},
    "message": {"channels:history", "groups:history", "im:history"},
    "function_executed": set(),
    "app_uninstalled": set(),
    "tokens_revoked": set(),
    "member_joined_channel": {"channels:read", "groups:read"},
}
# Every Web API method the app calls. A new call fails the test until it is listed here.
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_delete": {"chat:write"},
    "chat_getPermalink": set(),
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "conversations_open": {"im:write"},
    "conversations_info": {"channels:read", "groups:read"},
    "usergroups_users_list": {"usergroups:read"},
    "usergroups_list": {"usergroups:read"},
    "users_info": {"users:read"},
    "views_open": set(),
    "views_push": set(),
    "views_update": set(),
    "views_publish": set(),
    "files_upload_v2": {"files:write"},
    "auth_test": set(),
    "functions_completeSuccess": set(),
    "functions_completeError": set(),
}
WEB_API_CALL = re.compile(r"\bclient\.(\w+)\(")


class RecordingApp:
    """Stands in for Bolt's App so register_all shows every listener it adds."""

    def __init__(self) -> None:
        self.listeners: list[tuple[str, object]] = []

    def __getattr__(self, kind: str):
        def register(*args, **kwargs):
            if len(args) == 1 and callable(args[0]) and not kwargs:  # bare @app.error
                self.listeners.append((kind, None))
                return args[0]
            self.listeners.append((kind, args[0] if args else kwargs))
            return lambda function: function

        return register

    def registered(self, kind: str) -> set:
        return {str(key) for listener, key in self.listeners if listener == kind}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def app() -> RecordingApp:
    recorder = RecordingApp()
    register_all(recorder)
    return recorder


def bot_scopes(manifest: dict) -> set[str]:
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_manifest_follows_slacks_official_schema(manifest):
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMA}: cannot validate manifest.yml")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
    ]
    assert errors == []


def test_slash_command_and_shortcuts(manifest):
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ticket"]
    shortcuts = {s["name"]: s for s in manifest["features"]["shortcuts"]}
    assert set(shortcuts) == {"Create ticket", "Link to ticket", "New ticket"}
    for name, callback_id in [
        ("Create ticket", CallbackId.SHORTCUT_CREATE),
        ("Link to ticket", CallbackId.SHORTCUT_LINK),
    ]:
        assert shortcuts[name]["type"] == "message"
        assert shortcuts[name]["callback_id"] == callback_id
        assert "from this message" in shortcuts[name]["description"]
    assert shortcuts["New ticket"]["type"] == "global"
    assert shortcuts["New ticket"]["callback_id"] == CallbackId.SHORTCUT_NEW


def test_bot_events_and_request_urls(manifest):
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "reaction_added",
        "message.channels",
        "message.groups",
        "message.im",
        "member_joined_channel",
        "function_executed",
        "app_uninstalled",
        "tokens_revoked",
    }
    interactivity = settings["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert all(c["url"].endswith("/slack/events") for c in manifest["features"]["slash_commands"])


def test_the_manifest_declares_what_the_app_listens_to(manifest, app):
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    shortcuts = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    events = {e.split(".")[0] for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    assert app.registered("command") == commands
    assert app.registered("shortcut") == shortcuts
    assert app.registered("event") | {"function_executed"} == events
    # Each Workflow Builder step the app runs is declared, with the inputs it reads.
    assert app.registered("function") == set(manifest["functions"])
    assert set(manifest["functions"]["raise_ticket"]["input_parameters"]) == {
        "title", "description", "requester", "queue", "priority"}
    assert manifest["settings"]["function_runtime"] == "remote"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_every_listener_and_web_api_call_has_its_scope(manifest, app):
    scopes = bot_scopes(manifest)
    missing = {scope: why for scope, why in REQUIRED_SCOPES.items() if scope not in scopes}
    assert missing == {}
    for kind, needed in LISTENER_SCOPES.items():
        if app.registered(kind):
            assert needed <= scopes, f"{kind} listeners need {needed - scopes}"
    for event in app.registered("event"):
        assert event in EVENT_SCOPES, f"add the scopes the {event!r} event needs to this test"
        assert EVENT_SCOPES[event] <= scopes, f"{event} needs {EVENT_SCOPES[event] - scopes}"
    calls = {
        (method, path.relative_to(ROOT).as_posix())
        for path in sorted((ROOT / "src" / "ticketbot").rglob("*.py"))
        for method in WEB_API_CALL.findall(path.read_text(encoding="utf-8"))
    }
    assert calls, "the scan should find the Web API calls the handlers make"
    for method, where in sorted(calls):
        assert method in METHOD_SCOPES, f"{where} calls {method}: add its scopes to this test"
        needed = METHOD_SCOPES[method]
        assert needed <= scopes, f"{where} calls {method}, which needs {needed - scopes}"


def test_the_install_asks_exactly_the_manifests_bot_scopes(manifest):
    """What /slack/install asks each workspace for is what the manifest declares, no more and
    no less: Slack refuses an install asking for scopes the app's settings lack."""
    from ticketbot.slack.install import BOT_SCOPES

    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert len(set(BOT_SCOPES)) == len(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
