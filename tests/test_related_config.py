"""`modules:` in ticketbot.yml switches related-item kinds off, with a clear word on typos."""

from __future__ import annotations

import pytest

from ticketbot.config import ConfigError, parse_config
from ticketbot.vocabulary import RelatedKind


def test_every_kind_is_on_unless_switched_off():
    assert parse_config("").related_kinds == tuple(RelatedKind)
    assert parse_config("modules:").related_kinds == tuple(RelatedKind)
    config = parse_config("modules: {expense: false, Purchase order: false, quote: true}")
    assert RelatedKind.EXPENSE not in config.related_kinds
    assert RelatedKind.PURCHASE_ORDER not in config.related_kinds
    assert RelatedKind.QUOTE in config.related_kinds and len(config.related_kinds) == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("modules: {expenses: false}",
         "ticketbot.yml: modules: unknown kind 'expenses': use activity, document, service, "
         "expense, purchase_order, quote, email, project, timesheet, service_contract"),
        ("modules: [expense]",
         "ticketbot.yml: modules: must be a mapping of kind: true/false, e.g. {expense: false}"),
        ("modules: {expense: maybe}",
         "ticketbot.yml: modules: expense: say true or false (got 'maybe')"),
    ],
)  # fmt: skip
def test_a_bad_modules_key_is_named(text, message):
    with pytest.raises(ConfigError) as refused:
        parse_config(text, "ticketbot.yml")
    assert str(refused.value) == message
