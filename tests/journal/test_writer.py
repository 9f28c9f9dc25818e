"""The run's writer: every batch is in the journal before the store sees it; a store that
does not answer is retried with backoff and caught up in order; what it missed is kept and
imported later, once. The store here is a real SQLite file, made unwritable the way a user
could do it (the file replaced by a folder: root ignores permissions)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.store.factories import make_interval, make_meta

from swarmdeck.errors import BadInput
from swarmdeck.journal import Header, JournaledWriter, JournalFile, journal_path, opened, replay
from swarmdeck.journal.writer import FIRST_RETRY_S, MAX_RETRY_S
from swarmdeck.metrics import EndpointKey
from swarmdeck.records import Ending, RunDetails, RunStatus
from swarmdeck.store import Batch, Store

T0 = 1_765_300_000


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


class Outage:
    """The SQLite file swapped for a folder (``away``), and put back (``back``)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.aside = db.with_suffix(".away")

    def away(self) -> None:
        os.rename(self.db, self.aside)
        self.db.mkdir()

    def back(self) -> None:
        self.db.rmdir()
        os.rename(self.aside, self.db)


@dataclass
class Setup:
    store: Store
    run_id: int
    journal: JournalFile
    writer: JournaledWriter
    clock: Clock
    outage: Outage
    said: list[str]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    db = tmp_path / "runs.db"
    with Store.open(f"sqlite:///{db}") as store:
        meta = make_meta()
        run_id = store.create_run(meta)
        header = Header("ab" * 16, run_id, store.url, meta.started_at, meta.pid, meta.hostname)
        journal = JournalFile.create(journal_path(tmp_path, run_id), header)
        clock, said = Clock(), []
        writer = JournaledWriter(store, run_id, journal, clock=clock, notify=said.append)
        yield Setup(store, run_id, journal, writer, clock, Outage(db), said)
        if journal.open:
            journal.delete()


def batch(second: int, requests: int = 3) -> Batch:
    return Batch(None, (make_interval(T0 + second, samples=[1000] * requests),),
                 ((T0 + second + 0.5, 5),))


def stored(store: Store, run_id: int) -> int:
    data = store.endpoint_data(run_id)
    return data[EndpointKey("GET", "/a")].requests if data else 0


def in_journal(journal: JournalFile) -> list[object]:
    return [r for r in _contents(journal.path)]


def _contents(path: Path) -> list[object]:
    from swarmdeck.journal.format import parse

    return [record for _, _, record in parse(path.read_bytes()).records[1:]]


def test_a_batch_is_journaled_before_the_store_sees_it(setup: Setup) -> None:
    setup.writer.submit(batch(0))
    (record,) = in_journal(setup.journal)  # on disk, the store not asked yet
    assert isinstance(record, Batch) and record.key == f"{'ab' * 16}:1"
    assert stored(setup.store, setup.run_id) == 0
    assert setup.writer.drain() and setup.writer.caught_up
    assert stored(setup.store, setup.run_id) == 3
    assert in_journal(setup.journal) == []  # the store has it all: back to the header
    assert setup.writer.outages == ()


def test_a_store_away_is_retried_with_backoff_and_caught_up_in_order(setup: Setup) -> None:
    writer, clock = setup.writer, setup.clock
    writer.submit(batch(0))
    assert writer.drain()
    setup.outage.away()
    for second in range(1, 6):
        writer.submit(batch(second))
    assert not writer.drain()  # the store does not answer
    assert writer.away and writer.retry_in() == FIRST_RETRY_S
    assert "does not answer" in setup.said[0] and str(setup.journal.path) in setup.said[0]
    assert not writer.drain()  # held back by the backoff: no attempt
    delays = []
    for _ in range(5):
        clock.now += writer.retry_in()
        assert not writer.drain()
        delays.append(writer.retry_in())
    assert delays == [1.0, 2.0, 4.0, MAX_RETRY_S, MAX_RETRY_S]
    assert len(in_journal(setup.journal)) == 5 and writer.pending_requests == 15
    setup.outage.back()
    clock.now += writer.retry_in()
    assert writer.drain() and writer.caught_up  # five batches in one transaction
    assert stored(setup.store, setup.run_id) == 18
    assert setup.store.user_counts(setup.run_id)[-1] == (T0 + 5.5, 5)
    (outage,) = writer.outages
    assert outage.failed_writes == 6 and outage.ended_at == clock.now
    assert outage.seconds == clock.now - T0 and "unable to open database file" in outage.reason
    assert "answers again after" in setup.said[-1]
    assert "did not answer for" in writer.warnings()[0]
    assert in_journal(setup.journal) == []


def test_a_batch_written_twice_counts_once(setup: Setup) -> None:
    keyed = Batch("k:1", batch(0).intervals, batch(0).users)
    assert setup.store.apply_batches(setup.run_id, [keyed, keyed, batch(1)]) == [
        True, False, True]
    assert setup.store.apply_batches(setup.run_id, [keyed]) == [False]
    assert stored(setup.store, setup.run_id) == 6
    assert setup.store.get_run(setup.run_id).requests == 6
    assert len(setup.store.user_counts(setup.run_id)) == 2


def test_what_the_store_missed_at_the_end_is_imported_once(setup: Setup,
                                                           tmp_path: Path) -> None:
    writer = setup.writer
    writer.submit(batch(0))
    writer.drain()
    setup.outage.away()
    writer.submit(batch(1))
    writer.submit(batch(2, requests=4))
    writer.drain()
    ended = datetime.fromtimestamp(T0 + 3, UTC)
    writer.finish(RunStatus.DEGRADED, ended, "away at the end",
                  RunDetails(ending=Ending.STORE_AWAY, store_outages=writer.outages))
    kept = writer.keep()
    assert kept is setup.journal and not kept.open
    copy = tmp_path / "copy.journal"
    shutil.copy(kept.path, copy)
    setup.outage.back()
    with opened(kept.path) as contents:
        assert [b.requests for b in contents.batches] == [3, 4]
        assert contents.finish is not None and contents.problems == ()
        imported = replay(setup.store, contents)
    assert (imported.batches, imported.skipped, imported.requests) == (2, 0, 7)
    assert imported.finished and imported.status == RunStatus.DEGRADED and imported.whole
    run = setup.store.get_run(setup.run_id)
    assert (run.requests, run.ended_at, run.message) == (10, ended, "away at the end")
    assert run.details.ending == Ending.STORE_AWAY and run.details.store_outages
    with opened(copy) as contents:  # the same journal again: nothing changes
        again = replay(setup.store, contents)
    assert (again.batches, again.skipped, again.finished) == (0, 2, False)
    assert setup.store.get_run(setup.run_id) == run
    assert stored(setup.store, setup.run_id) == 10


def test_a_journal_is_imported_only_into_its_own_run(setup: Setup, tmp_path: Path) -> None:
    setup.writer.submit(batch(0))
    setup.writer.finish(RunStatus.PASSED, datetime.now(UTC), None, RunDetails())
    kept = setup.writer.keep()
    assert kept is not None
    with Store.open(f"sqlite:///{tmp_path / 'other.db'}") as other:
        other.create_run(make_meta(pid=1, hostname="elsewhere"))  # another run 1
        with opened(kept.path) as contents, pytest.raises(BadInput) as caught:
            replay(other, contents)
    assert "another run than the journal's" in caught.value.message
    assert setup.store.url in (caught.value.hint or "")
    with Store.open(f"sqlite:///{tmp_path / 'empty.db'}") as empty, \
            opened(kept.path) as contents, pytest.raises(BadInput) as caught:
        replay(empty, contents)
    assert "does not hold" in caught.value.message


def test_a_full_disk_under_the_journal_keeps_batches_in_memory(setup: Setup) -> None:
    """/dev/full answers every write with ENOSPC, as a full disk does."""
    writer = setup.writer
    setup.outage.away()
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        os.dup2(full, setup.journal._fd)  # type: ignore[arg-type]
    finally:
        os.close(full)
    writer.submit(batch(0))
    writer.submit(batch(1))
    assert any("cannot write the journal" in s for s in setup.said)
    assert not writer.drain()
    setup.outage.back()
    setup.clock.now += writer.retry_in()
    assert writer.drain() and writer.caught_up
    assert stored(setup.store, setup.run_id) == 6
