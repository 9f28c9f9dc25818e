"""The run's writer to the store: every batch journaled first, then written in order; a
store that does not answer is retried with backoff while the run goes on.

    writer = JournaledWriter(store, run_id, journal)      # journal: a JournalFile, or None
    writer.submit(Batch(None, intervals, users))          # the collector's flush: journaled
    writer.drain()                                         # when due: the oldest batches
    writer.finish(status, ended_at, message, details)     # the run's end, journaled too

``drain`` makes at most one attempt per call, and none before the backoff allows it; the
engine calls it from its own greenlet (engine/storing.py), so load generation never waits
on the store. The records wait in the journal, not in memory: the writer remembers where
each one is (its offset), and reads it back to write it. Only when the journal itself
cannot be written (a full disk) does it keep a record in memory.

Every batch carries the key ``<journal id>:<seq>``, stored with it in one transaction
(``Store.apply_batches``), so a batch written twice (a retry whose answer was lost, or the
journal imported once more) counts once. Once the store has every record, the journal is
cut back to its header (``compact``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from swarmdeck.errors import StoreError
from swarmdeck.journal.file import JournalFile
from swarmdeck.journal.format import FINISH_SEQ, BadRecord, Finish
from swarmdeck.records import RunDetails, RunStatus, StoreOutage
from swarmdeck.store import Batch, Store

log = logging.getLogger(__name__)

FIRST_RETRY_S = 0.5
MAX_RETRY_S = 5.0
CHUNK = 20  # batches written in one transaction when catching up


@dataclass
class _Pending:
    key: str
    requests: int
    offset: int = -1  # where the record is in the journal
    length: int = 0
    record: Batch | Finish | None = None  # in memory only when the journal refused it


@dataclass
class _Outage:
    began_at: float
    reason: str
    failed_writes: int = 1
    ended_at: float | None = None

    def record(self) -> StoreOutage:
        return StoreOutage(began_at=self.began_at, ended_at=self.ended_at,
                           failed_writes=self.failed_writes, reason=self.reason)


def _when(at: float) -> str:
    return f"{datetime.fromtimestamp(at, UTC):%H:%M:%S}Z"


class JournaledWriter:
    def __init__(self, store: Store, run_id: int, journal: JournalFile | None = None, *,
                 journal_id: str | None = None, clock: Callable[[], float] = time.time,
                 notify: Callable[[str], None] = lambda text: None) -> None:
        self.store = store
        self.run_id = run_id
        self.journal = journal
        # every key starts with the journal's id (without a journal: ``journal_id``)
        self.journal_id = (journal.header.journal_id if journal is not None
                           else journal_id or uuid.uuid4().hex)
        self.clock = clock
        self.notify = notify
        self._pending: deque[_Pending] = deque()
        self._seq = 0
        self._heartbeat_due = False
        self._retry_at = 0.0
        self._delay = FIRST_RETRY_S
        self._max_delay = MAX_RETRY_S
        self._outages: list[_Outage] = []
        self._journal_error: str | None = None
        self.lost: list[str] = []  # records the journal could not give back (a disk failing)

    # -- what the run hands over --------------------------------------------------------

    def submit(self, batch: Batch) -> None:
        """A flush: journal it, then queue it for the store (nothing to write: a heartbeat)."""
        if batch.empty:
            self._heartbeat_due = True
            return
        self._seq += 1
        self._queue(Batch(f"{self.journal_id}:{self._seq}", batch.intervals, batch.users))

    def finish(self, status: RunStatus, ended_at: datetime, message: str | None,
               details: RunDetails) -> None:
        """The run's end, journaled and queued behind its last batch. Given again (the
        store went away meanwhile), the newer finish replaces the one not yet written."""
        key = f"{self.journal_id}:{FINISH_SEQ}"
        while self._pending and self._pending[-1].key == key:
            self._pending.pop()
        self._queue(Finish(key, status, ended_at, message, details))

    def _queue(self, record: Batch | Finish) -> None:
        requests = record.requests if isinstance(record, Batch) else 0
        key = str(record.key)  # every record the writer queues has its key
        if self.journal is not None and self.journal.open and self._journal_error is None:
            try:
                offset, length = self.journal.append(record)
            except OSError as exc:
                self._journal_error = f"{exc.strerror or exc}"
                self.notify(f"cannot write the journal {self.journal.path} "
                            f"({self._journal_error}): keeping what the store has not "
                            "taken yet in memory")
            else:
                self._pending.append(_Pending(key, requests, offset, length))
                return
        self._pending.append(_Pending(key, requests, record=record))

    # -- writing to the store -----------------------------------------------------------

    @property
    def caught_up(self) -> bool:
        """The store has every record handed over."""
        return not self._pending

    @property
    def away(self) -> bool:
        """The store did not answer the last attempt."""
        return bool(self._outages) and self._outages[-1].ended_at is None

    @property
    def pending_requests(self) -> int:
        return sum(p.requests for p in self._pending)

    def retry_in(self) -> float:
        """Seconds until ``drain`` may try again."""
        return max(self._retry_at - self.clock(), 0.0)

    def hurry(self) -> None:
        """At the end of the run: retry often (at most every second) from now on."""
        self._delay = min(self._delay, FIRST_RETRY_S)
        self._retry_at = min(self._retry_at, self.clock() + FIRST_RETRY_S)
        self._max_delay = 1.0

    def drain(self) -> bool:
        """One attempt, if one is due: the oldest records (up to CHUNK batches in one
        transaction, or the finish), or a heartbeat. False when the store did not answer
        (or the backoff holds the attempt back)."""
        now = self.clock()
        if now < self._retry_at:
            return False
        try:
            if self._pending:
                self._write_oldest()
            elif self._heartbeat_due:
                self.store.heartbeat(self.run_id)
                self._heartbeat_due = False
            else:
                return True
        except StoreError as exc:
            self._failed(now, exc)
            return False
        self._answered()
        return True

    def _write_oldest(self) -> None:
        records = self._oldest()
        if not records:
            return
        first, record = records[0]
        if isinstance(record, Finish):
            self.store.finish_run(self.run_id, record.status, record.ended_at, record.message,
                                  record.details, key=record.key)
            self._pending.remove(first)
            return
        batches = [r for _, r in records if isinstance(r, Batch)]
        self.store.apply_batches(self.run_id, batches)
        for pending, _ in records:
            self._pending.remove(pending)
        self._heartbeat_due = False
        if not self._pending and self.journal is not None and self.journal.open \
                and self._journal_error is None:
            try:  # nothing waits in it any more (no greenlet switch since the check)
                self.journal.compact()
            except OSError as exc:
                log.warning("cannot compact the journal %s: %s", self.journal.path, exc)

    def _oldest(self) -> list[tuple[_Pending, Batch | Finish]]:
        """The oldest records to write in one go: up to CHUNK batches, or the finish."""
        records: list[tuple[_Pending, Batch | Finish]] = []
        for pending in list(self._pending)[:CHUNK]:
            record = self._load(pending)
            if record is None:
                continue
            if isinstance(record, Finish):
                if not records:
                    records.append((pending, record))
                break
            records.append((pending, record))
        return records

    def _load(self, pending: _Pending) -> Batch | Finish | None:
        if pending.record is not None:
            return pending.record
        assert self.journal is not None
        try:
            return self.journal.read(pending.offset, pending.length)
        except (OSError, BadRecord) as exc:  # the disk failed under the journal
            self._pending.remove(pending)
            why = f"{pending.key} ({pending.requests:,} requests): {exc}"
            self.lost.append(why)
            log.error("cannot read back the journal %s: lost %s", self.journal.path, why)
            return None

    def _failed(self, now: float, exc: StoreError) -> None:
        if self.away:
            self._outages[-1].failed_writes += 1
        else:
            self._outages.append(_Outage(began_at=now, reason=exc.message))
            where = (f"the journal {self.journal.path}" if self.journal is not None
                     and self._journal_error is None else "memory")
            self.notify(f"the results database does not answer ({exc.message}); the run "
                        f"goes on, its results kept in {where} until it answers")
        self._retry_at = now + self._delay
        self._delay = min(self._delay * 2, self._max_delay)

    def _answered(self) -> None:
        self._delay = FIRST_RETRY_S
        self._retry_at = 0.0
        if self.away:
            outage = self._outages[-1]
            outage.ended_at = self.clock()
            self.notify(f"the results database answers again after "
                        f"{outage.ended_at - outage.began_at:.0f}s (away since "
                        f"{_when(outage.began_at)}); writing what it missed, in order")

    # -- the record of it ---------------------------------------------------------------

    @property
    def outages(self) -> tuple[StoreOutage, ...]:
        return tuple(o.record() for o in self._outages)

    def warnings(self) -> list[str]:
        """The outages that ended, and what the journal lost, one sentence each, for the
        run's warnings."""
        said = [f"the results database did not answer for {o.seconds:.0f}s "
                f"({_when(o.began_at)} to {_when(o.ended_at)}, {o.failed_writes} failed "
                f"writes: {o.reason}); the run went on and its journal kept every result "
                "until the database took it" for o in self.outages
                if o.ended_at is not None and o.seconds is not None]
        if self.lost:
            said.append(f"the journal could not give back {len(self.lost)} of its records "
                        f"(a failing disk?), lost: {'; '.join(self.lost[:3])}")
        return said

    def keep(self) -> JournalFile | None:
        """The store does not have everything and the run ends: leave the journal, with
        whatever only memory held appended now if the disk takes it; None when there is
        no journal to leave (nothing pending, or nowhere to write it)."""
        if not self._pending or self.journal is None or not self.journal.open:
            return None
        for pending in self._pending:
            if pending.record is not None:
                try:
                    self.journal.append(pending.record)
                except OSError as exc:
                    log.error("cannot write the journal %s: %s", self.journal.path, exc)
                    return None
        self.journal.keep()
        return self.journal

    def discard(self) -> None:
        """The store has everything: the journal goes."""
        if self.journal is not None and self.journal.open:
            self.journal.delete()
