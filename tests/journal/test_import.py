"""`swarmdeck import`: the command as a user runs it (in this process: no load is made)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.store.factories import make_interval, make_meta

from swarmdeck.cli import main
from swarmdeck.journal import Header, JournaledWriter, JournalFile, journal_path
from swarmdeck.records import Ending, RunDetails, RunStatus
from swarmdeck.store import Batch, Store

T0 = 1_765_300_000


def kept_journal(tmp_path: Path, db: str) -> Path:
    """A run whose store went away after its start: everything in its journal."""
    with Store.open(db) as store:
        meta = make_meta()
        run_id = store.create_run(meta)
        header = Header("cd" * 16, run_id, store.url, meta.started_at, meta.pid, meta.hostname)
        journal = JournalFile.create(journal_path(tmp_path, run_id), header)
        writer = JournaledWriter(store, run_id, journal)
        for second in range(3):
            writer.submit(Batch(None, (make_interval(T0 + second, samples=[1000] * 5),)))
        writer.finish(RunStatus.DEGRADED, datetime.now(UTC), "away",
                      RunDetails(ending=Ending.STORE_AWAY))
        kept = writer.keep()
    assert kept is not None
    return kept.path


def test_a_torn_last_record_is_skipped_with_a_warning(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    path = kept_journal(tmp_path, db)
    with path.open("ab") as file:  # the process died in the middle of its next record
        file.write(b'0badc0de {"t":"batch","key":"cd')
    assert main(["import", str(path), "--db", db]) == 0
    out, err = capsys.readouterr()
    assert f"swarmdeck: warning: {path}: the last record" in err and "is torn" in err
    assert "3 batches written (15 requests)" in out and "kept" in out
    assert path.exists()  # a record could not be read: the journal stays
    with Store.open(db) as store:
        run = store.get_run(1)
    assert (run.requests, run.status) == (15, RunStatus.DEGRADED)
    assert main(["import", str(path), "--db", db]) == 0  # again: nothing changes
    assert "0 batches written (0 requests), 3 already there" in capsys.readouterr().out


def test_bad_journals_and_databases_get_one_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    assert main(["import", str(tmp_path / "nothing.journal"), "--db", db]) == 2
    assert "no journal at" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("hello\n")
    assert main(["import", str(tmp_path / "notes.txt"), "--db", db]) == 2
    assert "is not a swarmdeck journal" in capsys.readouterr().err
    path = kept_journal(tmp_path, db)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert main(["import", str(path), "--db", other]) == 2
    err = capsys.readouterr().err
    assert "does not hold" in err and db in err and len(err.strip().splitlines()) == 1
    live = JournalFile.create(tmp_path / "live.journal",
                              Header("ef" * 16, 1, db, make_meta().started_at, 1, "h"))
    try:  # its run still writes it (holds its lock)
        assert main(["import", str(live.path), "--db", db]) == 3
        assert "still being written by its run" in capsys.readouterr().err
    finally:
        live.delete()
