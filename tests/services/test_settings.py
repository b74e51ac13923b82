"""Settings kept in the database: validated as check-config validates, versioned with who
and what, refused when stale, never holding secrets, and read again by every process
within seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ticketbot.config import ConfigError, TicketbotConfig
from ticketbot.services import settings
from ticketbot.services.settings import StaleSettings, StoredSettings

WORKSPACE = "T0TEAM001"
FILE = TicketbotConfig.model_validate(
    {
        "triage_channel": "C0SUPPORT1",
        "agents": ["U0AGT0001"],
        "webhooks": [{"url": "https://hooks.example.com/t", "secret": "s3cret-value-xyz",
                      "events": ["ticket.created"]}],
    }
)


def _save(database, clock, document, *, actor="U0MGR0001", base=None):
    with database.transaction() as session:
        row = settings.save(session=session, workspace_id=WORKSPACE, document=document,
                            file_config=FILE, actor=actor, now=clock.now(),
                            base_version=base)  # fmt: skip
        return row.version, row.summary


def test_the_file_seeds_version_one_without_its_secrets(database, clock):
    with database.transaction() as session:
        first = settings.seed(session=session, workspace_id=WORKSPACE, file_config=FILE,
                              now=clock.now())  # fmt: skip
        assert (first.version, first.changed_by) == (1, "ticketbot.yml")
        assert first.document == {"agents": ["U0AGT0001"], "triage_channel": "C0SUPPORT1"}
        assert "s3cret" not in str(first.document)
        again = settings.seed(session=session, workspace_id=WORKSPACE, file_config=FILE,
                              now=clock.now())  # fmt: skip
        assert again is None


def test_each_change_is_a_version_with_what_changed(database, clock):
    base = settings.document_of(FILE)
    assert _save(database, clock, base) == (1, "no change")  # the file's, kept as they are
    queues = {**base, "queues": [{"name": "IT", "triage_channel": "C0ITDESK01"}]}
    assert _save(database, clock, queues, base=1) == (2, "queue IT added")
    moved = {**base, "queues": [{"name": "IT", "triage_channel": "C0ITDESK02"}],
             "sla": {"warn_at": [0.5]}}  # fmt: skip
    assert _save(database, clock, moved) == (3, "queues.IT.triage_channel, sla.warn_at")
    assert _save(database, clock, moved) == (3, "queues.IT.triage_channel, sla.warn_at")  # same
    with database.transaction() as session:
        rows = settings.history(session=session, workspace_id=WORKSPACE)
    assert [(r.version, r.changed_by) for r in rows] == [
        (3, "U0MGR0001"), (2, "U0MGR0001"), (1, "U0MGR0001")]  # fmt: skip


def test_a_bad_document_is_refused_in_check_configs_words_and_nothing_stored(database, clock):
    bad = {"sla": {"warn_at": [2]}, "queues": [{"name": "IT"}], "colour": "blue"}
    with pytest.raises(ConfigError) as refused:
        _save(database, clock, bad)
    assert "settings: sla.warn_at.0: Input should be less than 1" in refused.value.problems
    assert any(p.startswith("settings: colour: unknown key") for p in refused.value.problems)
    with pytest.raises(ConfigError, match=r"webhooks: kept in ticketbot\.yml"):
        _save(database, clock, {"webhooks": []})
    with database.transaction() as session:
        assert settings.latest(session=session, workspace_id=WORKSPACE) is None


def test_a_form_opened_before_someone_else_saved_is_refused(database, clock):
    _save(database, clock, {"categories": ["A"]})
    _save(database, clock, {"categories": ["B"]}, base=1)
    with pytest.raises(StaleSettings):
        _save(database, clock, {"categories": ["C"]}, base=1)


def test_another_process_sees_a_change_within_seconds(database, clock):
    other = StoredSettings(database, clock, FILE)  # another replica's copy
    assert other.config_of(WORKSPACE) is None  # nothing stored: the file applies
    _save(database, clock, {"categories": ["Laptops"], "triage_channel": "C0NEWDESK1"})
    assert other.config_of(WORKSPACE) is None  # read a moment ago: not yet
    clock.advance(timedelta(seconds=6))
    seen = other.config_of(WORKSPACE)
    assert seen.categories == ["Laptops"] and seen.triage_channel == "C0NEWDESK1"
    assert [h.url for h in seen.webhooks] == ["https://hooks.example.com/t"]  # the file's
    assert other.config_of("T0OTHER001") is None  # another workspace: its own


def test_workers_starting_together_seed_one_version(database_url, database, clock):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ticketbot.store.db import Database

    barrier = threading.Barrier(4)

    def start(_):
        own = Database(database_url)  # each worker its own engine
        try:
            barrier.wait()
            with own.transaction() as session:
                seeded = settings.seed(session=session, workspace_id=WORKSPACE,
                                       file_config=FILE, now=clock.now())  # fmt: skip
                return seeded.version if seeded else None
        finally:
            own.dispose()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(start, range(4)))
    assert sorted(results, key=str) == [1, None, None, None]
    with database.transaction() as session:
        assert [r.version for r in settings.history(session=session, workspace_id=WORKSPACE)] == [1]
