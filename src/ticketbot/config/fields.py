"""The shapes shared by the configuration's models: Slack ids, placeholders refused."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_PLACEHOLDER = re.compile(r"X{3,}|YOUR|CHANGE.?ME|REPLACE|TODO|\.\.\.", re.IGNORECASE)
# In free-form values (URLs, secrets, addresses) only a template's loud markers count:
# "help@yourcompany.com" is real, "help@YOUR-DOMAIN.com" and "CHANGE-ME" are not.
TEMPLATE_MARK = re.compile(r"YOUR[-_]|X{3,}|\.\.\.|(?i:change.?me|replace.?me)")


def slack_id(prefixes: str, what: str):
    pattern = re.compile(rf"^[{prefixes}][A-Z0-9]{{2,}}$")

    def check(value: str) -> str:
        if _PLACEHOLDER.search(value):
            raise ValueError(f"{value!r} is a placeholder: put a real {what} here")
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not a Slack {what}")
        return value

    return AfterValidator(check)


ChannelId = Annotated[str, slack_id("CGD", "channel id (C...)")]
UserOrGroupId = Annotated[str, slack_id("UWS", "user id (U...) or user group id (S...)")]
UserGroupId = Annotated[str, slack_id("S", "user group id (S...)")]


def priority_key(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
