"""What is wrong with a configuration: every problem on its own line, in the file's order."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError


class ConfigError(Exception):
    """A configuration problem, worded for the person running the bot.

    `problems` holds each problem as one line (`source: key: message`); str() is the first
    of them, for callers that show a single line."""

    def __init__(self, problem: str, *more: str) -> None:
        super().__init__(problem, *more)
        self.problems: tuple[str, ...] = (problem, *more)

    def __str__(self) -> str:
        return self.problems[0]


def read_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The file's data and its node tree (which knows where each key is written)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), node
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}:{where} is not valid YAML") from None
    finally:
        loader.dispose()


def _same_key(written: object, part: str | int) -> bool:
    # Keys are matched the way the models read them: `Urgent:` is the `urgent` hours.
    return str(written).casefold() == str(part).casefold()


def _written_at(document: yaml.Node, loc: tuple[str | int, ...]) -> tuple[int, int]:
    """(line, column) of the deepest part of `loc` the file holds; a key the file lacks
    (a required one, say) is placed where its parent is written."""
    node, mark = document, document.start_mark
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and _same_key(key.value, part):
                    child, mark = value, key.start_mark
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part >= 0:
            child = node.value[part] if part < len(node.value) else None
            mark = child.start_mark if child is not None else mark
        if child is None:
            break
        node = child
    return mark.line, mark.column


def _line(problem: dict[str, Any], source: str) -> str:
    where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "extra_forbidden":
        message = "unknown key (see ticketbot.example.yml for the keys)"
    return f"{source}: {where}: {message}"


def describe(error: ValidationError, source: str, document: yaml.Node | None = None) -> ConfigError:
    """Every problem pydantic found, one line each, in the order the file (`document`, when
    the values came from one) writes them; otherwise in the order of the model's fields."""
    found = error.errors()
    if document is not None:
        found = sorted(found, key=lambda problem: _written_at(document, problem["loc"]))
    return ConfigError(*(_line(problem, source) for problem in found))
