"""Where `ticketbot serve` keeps its workers' metrics (the 2-worker scrape is in test_metrics)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile

from ticketbot.http.server import metrics_directory


def test_without_a_directory_a_private_one_is_made(monkeypatch, tmp_path):
    # Set first, so that what metrics_directory() sets is undone after the test too.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    created = metrics_directory()
    try:
        assert created is not None and os.path.dirname(created) == str(tmp_path)
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == created
        assert stat.S_IMODE(os.stat(created).st_mode) == 0o700
    finally:
        shutil.rmtree(created)


def test_the_operators_directory_is_kept_and_emptied_of_the_last_run(monkeypatch, tmp_path):
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"stale")
    (given / "README").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    assert metrics_directory() is None  # nothing for `serve` to remove at exit
    assert sorted(p.name for p in given.iterdir()) == ["README"]

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "new" / "dir"))
    assert metrics_directory() is None
    assert (tmp_path / "new" / "dir").is_dir()
