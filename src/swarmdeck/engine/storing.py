"""The run's writing to the store, in a greenlet of its own: the collector's batches go
through the journal to the store (journal.JournaledWriter), retried with backoff while the
store does not answer, and the rollups of settled minutes are written meanwhile. Load
generation never waits on the store: the pump only hands batches over (``wake``).

At the end (``settle``) the writer gets a few more seconds (``--store-grace``) to catch up;
then the run's finish goes the same way, and the journal is deleted (the store has
everything) or kept (``swarmdeck import`` loads it later).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import gevent.event

from swarmdeck.errors import StoreError
from swarmdeck.journal import Header, JournaledWriter, JournalFile, journal_path
from swarmdeck.records import Ending, RunDetails, decide
from swarmdeck.store import RunMeta, Store

log = logging.getLogger(__name__)

ROLL_EVERY_S = 30.0  # write the rollups of settled minutes (Store.roll_forward) this often
SETTLE_S = 20.0  # intervals older than this are settled: worker reports are in by then
# past --store-grace, a store that answers but is slow (a long catch-up, the finish's
# rollups) is given this much longer before the rest is left in the journal
SLOW_STORE_S = 300.0
HALT_S = 2.0  # how long a write in progress may finish when the writer is stopped


class Storing:
    def __init__(self, store: Store, run_id: int, meta: RunMeta, folder: Path,
                 notify: Callable[[str], None]) -> None:
        self.store = store
        self.run_id = run_id
        header = Header(journal_id=uuid.uuid4().hex, run_id=run_id, database=store.url,
                        started_at=meta.started_at, pid=meta.pid, hostname=meta.hostname)
        path = journal_path(folder, run_id)
        journal: JournalFile | None = None
        try:
            journal = JournalFile.create(path, header)
        except OSError as exc:
            notify(f"cannot create the journal {path} ({exc.strerror or exc}): should the "
                   "results database stop answering, results wait in memory")
        self.writer = JournaledWriter(store, run_id, journal, journal_id=header.journal_id,
                                      notify=notify)
        self._wake = gevent.event.Event()
        self._halting = False
        self._greenlet: Any = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._loop)

    def wake(self) -> None:
        """A batch was handed over: write it when the store lets us."""
        self._wake.set()

    def _loop(self) -> None:
        last_roll = time.monotonic()
        try:
            while not self._halting:
                self._wake.clear()
                wrote = self.writer.drain()
                if wrote and not self.writer.caught_up:
                    gevent.sleep(0)  # catching up: let the run breathe between chunks
                    continue
                if wrote and time.monotonic() - last_roll >= ROLL_EVERY_S:
                    self._roll_forward()
                    last_roll = time.monotonic()
                self._wake.wait(timeout=None if wrote else max(self.writer.retry_in(), 0.05))
        except gevent.GreenletExit:
            raise
        except Exception:  # a bug of ours: stop writing; what is pending stays journaled
            log.exception("the run's writer stopped")

    def _roll_forward(self) -> None:
        """Rollups of the settled minutes, so that reads of this running run (dashboard,
        report) stay fast and finishing it is quick. Only an optimisation: a failure is
        logged and the run goes on (finish_run rolls up whatever is left)."""
        try:
            self.store.roll_forward(self.run_id, settled_before=time.time() - SETTLE_S,
                                    pause=gevent.sleep)  # let responses be timed meanwhile
        except StoreError as exc:
            log.warning("could not write rollups during the run: %s", exc)

    def settle(self, deadline: float, give_up: Callable[[], bool]) -> bool:
        """Wait until the store has everything handed over (True), or give up (False): past
        ``deadline`` (monotonic) while the store does not answer, past it by SLOW_STORE_S
        anyhow, or when ``give_up()`` says so (a second Ctrl-C)."""
        self.writer.hurry()
        self.wake()
        while not self.writer.caught_up and self._greenlet is not None \
                and not self._greenlet.dead:
            now = time.monotonic()
            if give_up() or now > deadline + SLOW_STORE_S \
                    or (now > deadline and self.writer.away):
                break
            gevent.sleep(0.05)
        return self.writer.caught_up

    def halt(self) -> None:
        """Stop writing: a write in progress gets HALT_S to end, then is cut short (what it
        was writing stays pending, and journaled)."""
        self._halting = True
        self._wake.set()
        if self._greenlet is not None:
            self._greenlet.join(timeout=HALT_S)
            self._greenlet.kill(block=True, timeout=HALT_S)

    def close(self) -> Path | None:
        """After ``halt``: delete the journal when the store has everything; else keep it
        and return its path (None too when there was nowhere to keep it)."""
        if self.writer.caught_up:
            self.writer.discard()
            return None
        kept = self.writer.keep()
        return kept.path if kept is not None else None

    def finish(self, ending: Ending, message: str | None, details: RunDetails, *,
               warnings: Sequence[str], grace_s: float, give_up: Callable[[], bool]
               ) -> StoreEnd:
        """The run's end: let the writer catch up (for ``grace_s`` while the store does not
        answer), then write the run's finish the same way; what the store could not take
        stays in the journal, and the run ends ``store_away`` (records.decide: exit 4)."""
        writer = self.writer
        deadline = time.monotonic() + grace_s

        def finish(ending: Ending, message: str | None) -> None:
            writer.finish(decide(ending).status, datetime.now(UTC), message, replace(
                details, ending=ending, store_outages=writer.outages,
                warnings=(*warnings, *writer.warnings())))

        def away(ending: Ending, message: str | None) -> tuple[Ending, str]:
            self.halt()
            since = writer.outages[-1].began_at if writer.outages else time.time()
            kept = writer.journal.path if writer.journal is not None else "memory"
            said = (f"the results database did not answer from "
                    f"{datetime.fromtimestamp(since, UTC):%H:%M:%S}Z to the end of the run: "
                    f"results kept in {kept}" + (f"; {message}" if message else ""))
            return (Ending.STORE_AWAY if ending in (Ending.COMPLETED, Ending.WORKERS_LOST)
                    else ending), said

        if not self.settle(deadline, give_up):
            ending, message = away(ending, message)
            finish(ending, message)
        else:
            finish(ending, message)
            if not self.settle(deadline, give_up):  # it went away at the finish itself
                ending, message = away(ending, message)
                finish(ending, message)  # replaces the finish not written
        self.halt()
        stored = writer.caught_up
        journal = self.close()
        if not stored and journal is None:
            ending = Ending.CRASHED
            message = (f"the results database did not answer and the journal could not be "
                       f"written: {writer.pending_requests:,} requests measured are lost")
        return StoreEnd(ending, message, stored, journal)


@dataclass(frozen=True)
class StoreEnd:
    """How the run's writing ended."""

    ending: Ending  # the run's, or STORE_AWAY when the store did not have all of it
    message: str | None
    stored: bool  # the store has everything
    journal: Path | None  # else: where the rest is (None: nowhere, it is lost)
