"""The fake workspace's state and its Web API methods, with no HTTP in sight.

Each method answers the way Slack documents it, including the errors an app must handle
(message_not_found, hash_conflict, no_such_subteam, ...). Callers hold the lock.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Callable, Mapping
from typing import Any

from tests.support.slack_payloads import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    JsonDict,
    complete_view,
    rendered_blocks,
)

Handler = Callable[[JsonDict], JsonDict]


def ok(**fields: Any) -> JsonDict:
    return {"ok": True, **fields}


def error(code: str) -> JsonDict:
    return {"ok": False, "error": code}


def truthy(value: Any) -> bool:
    # slack_sdk sends booleans as "1"/"0" in forms, JSON bodies keep real booleans.
    return value is True or str(value).lower() in ("1", "true")


def _deep_merge(base: JsonDict, override: Mapping[str, Any]) -> JsonDict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def default_user(user_id: str) -> JsonDict:
    name = f"user-{user_id.lower()}"
    real_name = f"User {user_id}"
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": False,
        "real_name": real_name,
        "tz": "America/New_York",
        "tz_label": "Eastern Standard Time",
        "tz_offset": -18000,
        "is_admin": False,
        "is_bot": False,
        "is_app_user": False,
        "updated": 1700000000,
        "locale": "en-US",
        "profile": {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": name,
            "display_name_normalized": name,
            "email": f"{user_id.lower()}@example.com",
            "team": TEAM_ID,
        },
    }


class SlackWebApi:
    """Configurable workspace state plus the Web API methods that read and change it."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        self._base_url = base_url
        # Configure these from tests. users[uid] = None makes users.info answer user_not_found.
        self.users: dict[str, JsonDict | None] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.usergroup_names: dict[str, str] = {}  # a group's name (default: its id)
        # Channels conversations.info knows: channels[cid] = {"is_private": True, ...} over a
        # public channel's defaults; None makes it answer channel_not_found.
        self.channels: dict[str, JsonDict | None] = {}
        # (channel, ts) -> message: everything the app posted plus whatever tests seed.
        self.messages: dict[tuple[str, str], JsonDict] = {}
        self.views: dict[str, JsonDict] = {}
        self.uploads: dict[str, bytes] = {}
        self._files: dict[str, JsonDict] = {}
        self._home_views: dict[str, str] = {}
        self._rng = random.Random(0)  # generated ids are reproducible run to run
        # Message ts = ts_epoch + 100 µs per message: unique, increasing, and predictable.
        # Set it to the test clock's time if the app derives dates from message ts.
        self.ts_epoch = 1_700_000_000
        self._ts_counter = itertools.count(1)
        self._view_counter = itertools.count(1)
        self._file_counter = itertools.count(1)
        self.methods: dict[str, Handler] = {
            "api.test": lambda args: ok(args=args),
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.getPermalink": self._permalink,
            "reactions.add": self._reactions_add,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "usergroups.list": self._usergroups_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "views.open": self._open_view,
            "views.push": self._open_view,
            "views.update": self._update_view,
            "views.publish": self._publish_view,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "functions.completeSuccess": self._complete_function,
            "functions.completeError": self._complete_function,
        }
        # function_execution_id -> ("success", outputs) or ("error", message): a step's end.
        self.steps: dict[str, tuple[str, Any]] = {}
        # Many workspaces (Slack's OAuth install): each token speaks for one team, every
        # token not listed for TEAM_ID. `authorize()` hands out a code that oauth.v2.access
        # exchanges once for a bot token; with `rotation` the token expires in 12 hours and
        # comes with a refresh token, and a refresh retires the token it replaces.
        self.teams: dict[str, JsonDict] = {
            TEAM_ID: {"name": TEAM_NAME, "bot_user_id": BOT_USER_ID, "bot_id": BOT_ID}
        }
        self.tokens: dict[str, str] = {}
        self.usergroup_teams: dict[str, str] = {}  # user group -> its workspace (else TEAM_ID)
        self.retired: set[str] = set()  # revoked, uninstalled or rotated away
        self.client_id, self.client_secret = "1234.5678", "fake-client-secret"
        self.rotation = False
        # code -> team, installer, scopes, organisation (org-wide install)
        self._codes: dict[str, tuple[str, str, str, str | None]] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> team
        self._token_counter = itertools.count(1)
        self.calling_team: str = TEAM_ID  # the team of the call being answered
        self.methods["oauth.v2.access"] = self._oauth_access

    def team_of(self, token: str | None) -> str:
        return self.tokens.get(token or "", TEAM_ID)

    def authorize(
        self, team_id: str, name: str, *, user: str = "U0ADMIN01", scopes=(), enterprise=None
    ) -> str:
        """A person of `team_id` approved the install on Slack's page: the code Slack sends
        back to the redirect URL. `scopes`: what the authorize URL asked for; `enterprise`:
        an Enterprise Grid organisation's id, for an organisation-wide install."""
        number = len(self.teams) + 1
        self.teams.setdefault(
            team_id,
            {"name": name, "bot_user_id": f"UBOT{number:04d}", "bot_id": f"BBOT{number:04d}"},
        )
        code = f"code-{team_id}-{next(self._token_counter)}"
        self._codes[code] = (team_id, user, ",".join(scopes), enterprise)
        return code

    def _issue(self, team_id: str) -> JsonDict:
        token = f"xoxb-{team_id.lower()}-{next(self._token_counter)}"
        self.tokens[token] = team_id
        issued: JsonDict = {"access_token": token, "token_type": "bot"}
        if self.rotation:
            refresh = f"xoxe-1-{team_id.lower()}-{next(self._token_counter)}"
            self._refresh[refresh] = team_id
            issued |= {"refresh_token": refresh, "expires_in": 43200}
        return issued

    def _oauth_access(self, args: JsonDict) -> JsonDict:
        if args.get("client_id") != self.client_id or not args.get("client_secret_ok"):
            return error("invalid_client_id")
        if args.get("grant_type") == "refresh_token":
            team_id = self._refresh.pop(str(args.get("refresh_token")), None)
            if team_id is None:
                return error("invalid_refresh_token")
            for token, team in list(self.tokens.items()):
                if team == team_id:
                    self.retired.add(token)
            team = self.teams[team_id]
            return ok(
                **self._issue(team_id),
                scope="",
                bot_user_id=team["bot_user_id"],
                app_id=APP_ID,
                team={"id": team_id, "name": team["name"]},
                enterprise=None,
                is_enterprise_install=False,
            )
        found = self._codes.pop(str(args.get("code")), None)
        if found is None:
            return error("invalid_code")
        team_id, user, scopes, enterprise = found
        team = self.teams[team_id]
        return ok(
            **self._issue(team_id),
            scope=scopes,
            bot_user_id=team["bot_user_id"],
            app_id=APP_ID,
            team=None if enterprise else {"id": team_id, "name": team["name"]},
            enterprise={"id": enterprise, "name": "Grid"} if enterprise else None,
            is_enterprise_install=bool(enterprise),
            authed_user={"id": user},
        )

    def next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{int(self.ts_epoch) + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _bot_message(self, args: Mapping[str, Any], ts: str) -> JsonDict:
        message: JsonDict = {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": args.get("text") or "",
            "team": TEAM_ID,
        }
        if args.get("blocks"):
            message["blocks"] = rendered_blocks(args["blocks"], self._rng)
        for key in ("thread_ts", "metadata", "attachments"):
            if args.get(key):
                message[key] = copy.deepcopy(args[key])
        return message

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:]

    def _channel(self, args: Mapping[str, Any]) -> str | None:
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            return None
        # Posting to a user ID lands in the app's DM with that user, as on Slack.
        return self.dm_channel(channel) if channel[0] in "UW" else channel

    def post_bot_message(self, channel: str, args: Mapping[str, Any]) -> JsonDict:
        ts = self.next_ts()
        message = self._bot_message(args, ts)
        self.messages[(channel, ts)] = message
        return message

    def edit_message(self, channel: str, ts: str, args: Mapping[str, Any]) -> JsonDict:
        message = self.messages[(channel, ts)]
        if "text" in args:
            message["text"] = args.get("text") or ""
        if "blocks" in args:  # omitted blocks are kept; [] removes them (chat.update docs)
            if args["blocks"]:
                message["blocks"] = rendered_blocks(args["blocks"], self._rng)
            else:
                message.pop("blocks", None)
        message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return message

    def _auth_test(self, args: JsonDict) -> JsonDict:
        team_id = self.calling_team
        team = self.teams.get(team_id) or self.teams[TEAM_ID]
        domain = TEAM_DOMAIN if team_id == TEAM_ID else team_id.lower()
        return ok(
            url=f"https://{domain}.slack.com/",
            team=team["name"],
            user="ticketbot",
            team_id=team_id,
            user_id=team["bot_user_id"],
            bot_id=team["bot_id"],
            is_enterprise_install=False,
        )

    def _post_message(self, args: JsonDict) -> JsonDict:
        channel = self._channel(args)
        if channel is None:
            return error("channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return error("no_text")
        message = self.post_bot_message(channel, args)
        return ok(channel=channel, ts=message["ts"], message=copy.deepcopy(message))

    def _post_ephemeral(self, args: JsonDict) -> JsonDict:
        # Ephemeral messages are not stored: Slack cannot update or fetch them either.
        if self._channel(args) is None:
            return error("channel_not_found")
        if not args.get("user"):
            return error("user_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return error("no_text")
        return ok(message_ts=self.next_ts())

    def _own_message(self, args: JsonDict, ts_key: str) -> tuple[str, str, JsonDict | None]:
        channel, ts = self._channel(args) or "", str(args.get(ts_key) or "")
        message = self.messages.get((channel, ts))
        if message is not None and message.get("user") != BOT_USER_ID:
            return channel, ts, error("cant_update_message")
        return channel, ts, None if message is not None else error("message_not_found")

    def _update(self, args: JsonDict) -> JsonDict:
        channel, ts, failure = self._own_message(args, "ts")
        if failure:
            return failure
        message = self.edit_message(channel, ts, args)
        return ok(channel=channel, ts=ts, text=message["text"], message=copy.deepcopy(message))

    def _delete(self, args: JsonDict) -> JsonDict:
        channel, ts, failure = self._own_message(args, "ts")
        if failure:
            return (
                error("cant_delete_message")
                if failure["error"] == "cant_update_message"
                else failure
            )
        del self.messages[(channel, ts)]
        return ok(channel=channel, ts=ts)

    def _permalink(self, args: JsonDict) -> JsonDict:
        channel, ts = self._channel(args) or "", str(args.get("message_ts") or "")
        message = self.messages.get((channel, ts))
        if message is None:
            return error("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != ts:
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return ok(channel=channel, permalink=link)

    def _reactions_add(self, args: JsonDict) -> JsonDict:
        message = self.messages.get((self._channel(args) or "", str(args.get("timestamp") or "")))
        name = args.get("name")
        if message is None:
            return error("message_not_found")
        if not name:
            return error("invalid_name")
        reactions = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        elif BOT_USER_ID in reaction["users"]:
            return error("already_reacted")
        else:
            reaction["users"].append(BOT_USER_ID)
            reaction["count"] += 1
        return ok()

    def _complete_function(self, args: JsonDict) -> JsonDict:
        execution = str(args.get("function_execution_id") or "")
        if not execution:
            return error("invalid_arguments")
        if execution in self.steps:
            return error("function_execution_not_found")  # already completed: Slack forgets it
        if "error" in args or "outputs" not in args:
            if not str(args.get("error") or "").strip():
                return error("invalid_arguments")
            self.steps[execution] = ("error", args["error"])
            return ok()
        outputs = args["outputs"]
        if isinstance(outputs, str):
            try:
                outputs = json.loads(outputs)
            except ValueError:
                return error("invalid_arguments")
        if not isinstance(outputs, dict):
            return error("invalid_arguments")
        self.steps[execution] = ("success", outputs)
        return ok()

    def _users_info(self, args: JsonDict) -> JsonDict:
        user_id = str(args.get("user") or "")
        if user_id[:1] not in ("U", "W") or (user_id in self.users and self.users[user_id] is None):
            return error("user_not_found")
        user = _deep_merge(default_user(user_id), self.users.get(user_id) or {})
        if user_id == BOT_USER_ID:
            user.update(name="ticketbot", is_bot=True)
        if not truthy(args.get("include_locale")):
            user.pop("locale", None)  # only sent when asked for
        return ok(user=user)

    def _usergroups_list(self, args: JsonDict) -> JsonDict:
        team = self.calling_team  # each workspace lists its own (usergroup_teams, else TEAM_ID)
        groups = [
            {"id": group, "team_id": team, "is_usergroup": True,
             "name": self.usergroup_names.get(group, group), "handle": group.lower(),
             "description": "", "date_delete": 0, "user_count": len(members)}
            for group, members in self.usergroups.items()
            if self.usergroup_teams.get(group, TEAM_ID) == team
        ]  # fmt: skip
        return ok(usergroups=groups)

    def _usergroup_users(self, args: JsonDict) -> JsonDict:
        group = self.usergroups.get(str(args.get("usergroup") or ""))
        return error("no_such_subteam") if group is None else ok(users=list(group))

    def _conversations_open(self, args: JsonDict) -> JsonDict:
        if args.get("channel"):
            return ok(no_op=True, already_open=True, channel={"id": args["channel"]})
        user_ids = [u for u in str(args.get("users") or "").split(",") if u]
        if not user_ids:
            return error("users_list_not_supplied")
        if len(user_ids) == 1:
            return ok(no_op=True, already_open=True, channel={"id": self.dm_channel(user_ids[0])})
        return ok(channel={"id": "G" + "".join(u[1:4] for u in sorted(user_ids))})

    def _conversations_info(self, args: JsonDict) -> JsonDict:
        channel_id = str(args.get("channel") or "")
        if not channel_id:
            return error("channel_not_found")
        if channel_id[0] == "D":
            return ok(channel={"id": channel_id, "created": 1700000000, "is_im": True,
                               "is_org_shared": False, "user": "U" + channel_id[1:],
                               "is_user_deleted": False, "priority": 0})  # fmt: skip
        if channel_id[0] not in "CG" or self.channels.get(channel_id, {}) is None:
            return error("channel_not_found")
        overrides = self.channels.get(channel_id) or {}
        private = bool(overrides.get("is_private", channel_id[0] == "G"))
        channel = {
            "id": channel_id, "name": f"channel-{channel_id.lower()}", "is_channel": not private,
            "is_group": False, "is_im": False, "is_mpim": False, "is_private": private,
            "created": 1700000000, "is_archived": False, "is_general": False, "unlinked": 0,
            "name_normalized": f"channel-{channel_id.lower()}", "is_shared": False,
            "is_org_shared": False, "is_pending_ext_shared": False, "is_ext_shared": False,
            "context_team_id": TEAM_ID, "creator": "U0CREATOR1", "is_member": True,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }  # fmt: skip
        return ok(channel=_deep_merge(channel, overrides))

    def _listed(self, ts: str, message: JsonDict) -> JsonDict:
        return {"type": "message", "ts": ts, **copy.deepcopy(message)}

    def _history(self, args: JsonDict) -> JsonDict:
        channel = self._channel(args) or ""
        latest, oldest = float(args.get("latest") or "inf"), float(args.get("oldest") or 0)
        inclusive = truthy(args.get("inclusive"))
        found = []
        for (c, ts), message in self.messages.items():
            thread_ts = message.get("thread_ts")
            in_range = oldest <= float(ts) <= latest if inclusive else oldest < float(ts) < latest
            if c == channel and in_range and (thread_ts in (None, ts)):
                found.append(self._listed(ts, message))
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        limit = int(args.get("limit") or 100)
        return ok(
            messages=found[:limit],
            has_more=len(found) > limit,
            pin_count=0,
            response_metadata={"next_cursor": ""},
        )

    def _replies(self, args: JsonDict) -> JsonDict:
        channel, ts = self._channel(args) or "", str(args.get("ts") or "")
        if (channel, ts) not in self.messages:
            return error("thread_not_found")
        replies = [
            self._listed(t, m)
            for (c, t), m in self.messages.items()
            if c == channel and t != ts and m.get("thread_ts") == ts
        ]
        replies.sort(key=lambda m: float(m["ts"]))
        parent = self._listed(ts, self.messages[(channel, ts)])
        return ok(messages=[parent, *replies], has_more=False)

    def _new_view_id(self) -> str:
        return f"V{next(self._view_counter):08d}"

    def _viewer(self) -> JsonDict:
        """The workspace whose bot opens a view, as Slack fills it in."""
        team = self.teams.get(self.calling_team) or self.teams[TEAM_ID]
        return {"team_id": self.calling_team, "bot_id": team["bot_id"]}

    def _store_view(self, view: JsonDict) -> JsonDict:
        self.views[view["id"]] = view
        return ok(view=copy.deepcopy(view))

    def _open_view(self, args: JsonDict) -> JsonDict:
        # A pushed view's previous_view_id is unknowable here: trigger ids are not tracked.
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            return error("invalid_arguments")
        view_id = self._new_view_id()
        return self._store_view(
            complete_view(args["view"], view_id=view_id, rng=self._rng, **self._viewer())
        )

    def _update_view(self, args: JsonDict) -> JsonDict:
        if args.get("view_id"):
            old = self.views.get(args["view_id"])
        else:
            external_id = args.get("external_id")
            old = next((v for v in self.views.values() if v["external_id"] == external_id), None)
        if old is None:
            return error("not_found")
        if args.get("hash") and args["hash"] != old["hash"]:
            return error("hash_conflict")
        return self._store_view(
            complete_view(
                args["view"],
                view_id=old["id"],
                rng=self._rng,
                root_view_id=old["root_view_id"],
                previous_view_id=old["previous_view_id"],
                **self._viewer(),
            )
        )

    def _publish_view(self, args: JsonDict) -> JsonDict:
        user_id = args.get("user_id")
        if not user_id:
            return error("invalid_arguments")
        old_id = self._home_views.get(user_id)
        if old_id and args.get("hash") and args["hash"] != self.views[old_id]["hash"]:
            return error("hash_conflict")
        view_id = old_id or self._new_view_id()
        self._home_views[user_id] = view_id
        return self._store_view(
            complete_view(args["view"], view_id=view_id, rng=self._rng, **self._viewer())
        )

    def _upload_url(self, args: JsonDict) -> JsonDict:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            return error("invalid_arguments")
        file_id = f"F0FILE{next(self._file_counter):04d}"
        self._files[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "title": args["filename"],
            "size": int(args["length"]),
            "user": BOT_USER_ID,
        }
        return ok(upload_url=f"{self._base_url()}upload/{file_id}", file_id=file_id)

    def accept_upload(self, file_id: str, data: bytes) -> bool:
        if file_id not in self._files:
            return False
        self.uploads[file_id] = data
        return True

    def _complete_upload(self, args: JsonDict) -> JsonDict:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return error("invalid_arguments")
        completed = []
        for item in files:
            known = self._files.get(item.get("id")) if isinstance(item, dict) else None
            if known is None:
                return error("file_not_found")
            known["title"] = item.get("title") or known["title"]
            name = f"{known['id']}/{known['name']}"
            completed.append(
                {
                    **known,
                    "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{name}",
                    "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{name}",
                    "channels": [args["channel_id"]] if args.get("channel_id") else [],
                }
            )
        return ok(files=completed)

    def view(self, view_id: str) -> JsonDict:
        """The current state of a view the app opened, pushed, updated or published."""
        return copy.deepcopy(self.views[view_id])
