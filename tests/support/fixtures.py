"""Pytest fixtures for the Slack harness; import them explicitly where they are used."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_slack import FakeSlack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started FakeSlack. The test fails at teardown if the app sent anything Slack would
    reject; a test that provokes rejections on purpose takes them with `pop_errors()`."""
    with FakeSlack() as fake:
        yield fake
    if fake.errors:
        listing = "\n".join(f"  - {problem}" for problem in fake.errors)
        print(f"FakeSlack rejected what the app sent:\n{listing}")
        pytest.fail(f"Slack would reject {len(fake.errors)} payload(s):\n{listing}", pytrace=False)
