"""What Slack sends an app, built as plain dicts: slash commands, interactions, events.

Over HTTP (slack_requests.SlackSender) a slash command's fields are form-encoded, an
interaction is a form with one `payload` field holding JSON, an event envelope is the JSON
body. In Socket Mode (socket_mode.SocketModeServer) the same dicts travel as the `payload` of
an envelope. Building them apart from the transport lets both modes share one set of shapes.
"""

from __future__ import annotations

import copy
import itertools
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.support.slack_payloads import (
    APP_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    JsonDict,
    _chosen_option,
    complete_view,
    find_element,
    resolve_state_value,
    state_values,
)


class PayloadBuilder:
    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        timestamp: Callable[[], float] | None = None,
        response_url: Callable[..., str] | None = None,
    ) -> None:
        """`response_url` makes response URLs; pass `fake.response_url` so the app's
        respond() lands in the fake. The default points at a closed loopback port, so a
        forgotten one fails loudly instead of reaching anything real."""
        self.team_id = team_id
        self.clock = timestamp or time.time
        self.make_response_url = response_url or (
            lambda name, **_: f"http://127.0.0.1:9/response/{name}"
        )
        self.channel_names: dict[str, str] = {"C0GENERAL1": "general"}
        self.last_trigger_id: str | None = None
        self._counter = itertools.count(1)
        self._rng = random.Random(1)

    # ids and common parts

    def trigger_id(self) -> str:
        self.last_trigger_id = (
            f"{next(self._counter):013d}.{self.team_id[1:]}.{secrets.token_hex(16)}"
        )
        return self.last_trigger_id

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    def _channel(self, channel_id: str) -> JsonDict:
        return {"id": channel_id, "name": self.channel_name(channel_id)}

    def channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        return self.channel_names.get(channel_id, channel_id.lower())

    def _user(self, user_id: str) -> JsonDict:
        name = f"user-{user_id.lower()}"
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _envelope(self, kind: str, user_id: str) -> JsonDict:
        return {
            "type": kind,
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _full_view(self, view: Mapping[str, Any]) -> JsonDict:
        """Accept the fake's stored view or the app's raw view argument alike."""
        if view.get("id") and view.get("hash"):
            return copy.deepcopy(dict(view))
        view_id = f"V{next(self._counter):08d}"
        return complete_view(view, view_id=view_id, rng=self._rng)

    # what Slack sends

    def command(
        self,
        text: str,
        *,
        user_id: str = "U0REQ0001",
        channel_id: str = "C0GENERAL1",
        command: str = "/ticket",
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> dict[str, str]:
        """A slash command's fields: every value a string, as in the form Slack posts."""
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": self.channel_name(channel_id),
            "user_id": user_id,
            "user_name": self._user(user_id)["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url
            or self.make_response_url(f"command-{next(self._counter)}", channel=channel_id),
            "trigger_id": trigger_id or self.trigger_id(),
        }

    def block_actions(
        self,
        actions: Sequence[Mapping[str, Any]],
        *,
        user_id: str = "U0REQ0001",
        channel_id: str | None = None,
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        container: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> JsonDict:
        """A click/selection on a message (give `message` as fake.message() returns it and
        `channel_id`), a view (give the view), or an ephemeral message (only `channel_id`).
        Each action needs an `action_id`; the rest is filled from the rendered element,
        and an action_id the surface does not have raises ValueError."""
        payload = self._envelope("block_actions", user_id)
        payload["trigger_id"] = trigger_id or self.trigger_id()
        surface = self._full_view(view) if view is not None else None
        blocks = (surface or message or {}).get("blocks") or []
        resolved = [self._action(dict(a), blocks) for a in actions] if blocks else None
        state = state_values(blocks, values) if blocks else {}
        for action in resolved or []:  # the interaction also changes the surface's state
            entry = state.get(action["block_id"], {}).get(action["action_id"])
            if entry is None:
                continue
            for key in (entry.keys() - {"type"}) & action.keys():
                entry[key] = copy.deepcopy(action[key])
        if surface is not None:
            surface["state"] = {"values": state}
            payload["container"] = {"type": "view", "view_id": surface["id"]}
            payload["view"] = surface
        else:
            if channel_id is None:
                raise ValueError("block_actions on a message needs channel_id")
            ts = (message or {}).get("ts") or (container or {}).get("message_ts")
            ts = ts or f"{self.clock():.6f}"
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": message is None,
            }
            payload["channel"] = self._channel(channel_id)
            if message is not None:  # Slack omits the message of an ephemeral one
                payload["message"] = copy.deepcopy(dict(message))
                payload["state"] = {"values": state}
            payload["response_url"] = response_url or self.make_response_url(
                f"action-{next(self._counter)}", channel=channel_id, message_ts=ts
            )
        if container is not None:
            payload["container"] = dict(container)
        # Without a rendered surface (ephemeral messages) only the test's fields are known.
        payload["actions"] = resolved or [
            {"type": "button", **a, "action_ts": self._action_ts()} for a in actions
        ]
        return payload

    def _action(self, action: JsonDict, blocks: Sequence[Any]) -> JsonDict:
        block, element = find_element(blocks, action["action_id"], action.get("block_id"))
        block_id = block["block_id"]
        if block.get("type") == "input" and not block.get("dispatch_action"):
            raise ValueError(
                f"{block_id}/{action['action_id']}: Slack sends no block_actions for an input "
                "block's element unless the block has dispatch_action: true"
            )
        out: JsonDict = {"action_id": element["action_id"], "block_id": block_id}
        out["type"] = element["type"]
        for key in ("text", "value", "style", "placeholder"):
            if key in element:
                out[key] = copy.deepcopy(element[key])
        chosen = {k: v for k, v in action.items() if k.startswith("selected_") or k == "value"}
        if element["type"] == "overflow" and "selected_option" in chosen:
            # Not a stateful input, but its click reports the option chosen, as Slack defined it.
            where = f"{block_id}/{element['action_id']}"
            out["selected_option"] = _chosen_option(element, chosen["selected_option"], where)
        elif any(k.startswith("selected_") for k in chosen):
            where = f"{block_id}/{element['action_id']}"
            out.update(resolve_state_value(element, chosen, where))
        out.update({k: v for k, v in action.items() if k not in out and k != "type"})
        out["action_ts"] = self._action_ts()
        return out

    def block_suggestion(
        self,
        action_id: str,
        block_id: str,
        value: str,
        *,
        user_id: str = "U0REQ0001",
        view: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        message: Mapping[str, Any] | None = None,
    ) -> JsonDict:
        """What an external_select sends while the user types `value`."""
        payload = self._envelope("block_suggestion", user_id)
        surface = self._full_view(view) if view is not None else None
        blocks = (surface or message or {}).get("blocks") or []
        if blocks:
            _, element = find_element(blocks, action_id, block_id)
            if element["type"] not in ("external_select", "multi_external_select"):
                raise ValueError(f"{block_id}/{action_id} is a {element['type']}, not external")
        if surface is not None:
            payload["container"] = {"type": "view", "view_id": surface["id"]}
            payload["view"] = surface
        else:
            if channel_id is None or message is None:
                raise ValueError("block_suggestion needs a view, or a channel_id and message")
            payload["container"] = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = self._channel(channel_id)
            payload["message"] = copy.deepcopy(dict(message))
        payload.update({"action_id": action_id, "block_id": block_id, "value": value})
        return payload

    def view_submission(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, Mapping[str, Any]],
        *,
        user_id: str = "U0REQ0001",
        callback_id: str | None = None,
        private_metadata: str | None = None,
        trigger_id: str | None = None,
    ) -> JsonDict:
        """Submit `view` (as the fake stored it, or the app's view argument) with the user's
        `values` {block_id: {action_id: plain(...)/static(...)/...}}; inputs left out are
        reported empty or at their initial value, as Slack does."""
        surface = self._full_view(view)
        surface["state"] = {"values": state_values(surface["blocks"], values)}
        if callback_id is not None:
            surface["callback_id"] = callback_id
        if private_metadata is not None:
            surface["private_metadata"] = private_metadata
        payload = self._envelope("view_submission", user_id)
        payload["trigger_id"] = trigger_id or self.trigger_id()
        payload["view"] = surface
        payload["response_urls"] = []
        return payload

    def view_closed(
        self, view: Mapping[str, Any], *, user_id: str = "U0REQ0001", is_cleared: bool = False
    ) -> JsonDict:
        """Only sent for views opened with notify_on_close: true."""
        payload = self._envelope("view_closed", user_id)
        payload["view"] = self._full_view(view)
        payload["is_cleared"] = is_cleared
        return payload

    def shortcut(
        self, callback_id: str, *, user_id: str = "U0REQ0001", trigger_id: str | None = None
    ) -> JsonDict:
        """A global shortcut: no channel and no response_url."""
        payload = self._envelope("shortcut", user_id)
        payload.update(
            {
                "action_ts": self._action_ts(),
                "callback_id": callback_id,
                "trigger_id": trigger_id or self.trigger_id(),
            }
        )
        return payload

    def message_action(
        self,
        callback_id: str,
        *,
        user_id: str = "U0REQ0001",
        channel_id: str,
        message: Mapping[str, Any],
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> JsonDict:
        """A message shortcut on `message` (must carry its `ts`)."""
        payload = self._envelope("message_action", user_id)
        payload.update(
            {
                "action_ts": self._action_ts(),
                "callback_id": callback_id,
                "trigger_id": trigger_id or self.trigger_id(),
                "message_ts": message["ts"],
                "message": copy.deepcopy(dict(message)),
                "channel": self._channel(channel_id),
                "response_url": response_url
                or self.make_response_url(
                    f"shortcut-{next(self._counter)}", channel=channel_id, message_ts=message["ts"]
                ),
            }
        )
        return payload

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
    ) -> JsonDict:
        """An Events API envelope (`event_callback`) around `event`."""
        now = self.clock()
        inner = copy.deepcopy(dict(event))
        inner.setdefault("event_ts", inner.get("ts") or f"{now:.6f}")
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }
