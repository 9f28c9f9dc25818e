"""``swarmdeck import JOURNAL``: write what a run kept in its journal to the store, once.

    with file.opened(path) as contents:
        imported = replay(store, contents)    # idempotent: a second import changes nothing
    if imported.whole: delete the journal

Every batch is written with its key (``Store.apply_batches``): the batches the store
already has (written before it went away, or by an earlier import) are skipped. The run's
finish (status, end, message, details) is written last, under its key too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from swarmdeck.errors import BadInput, RunNotFound
from swarmdeck.journal.file import Contents
from swarmdeck.journal.format import Header
from swarmdeck.journal.writer import CHUNK
from swarmdeck.records import RunStatus
from swarmdeck.store import RunRecord, Store


@dataclass(frozen=True)
class Imported:
    run_id: int
    batches: int  # written now
    skipped: int  # already in the store
    requests: int  # in the batches written now
    finished: bool  # the run's finish was written now
    status: RunStatus  # the run's status afterwards
    damaged: int  # records that could not be read (a torn last one, a damaged line)

    @property
    def whole(self) -> bool:
        """The store has everything the journal holds: it may go."""
        return self.damaged == 0


def _same_start(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 0.001


def check_run(store: Store, header: Header) -> RunRecord:
    """The run the journal belongs to, in this store; BadInput when the store has no such
    run (another database), or a different run under that id."""
    hint = (f"the run was stored in {header.database}: pass that database with --db "
            "(or SWARMDECK_DB)")
    try:
        record = store.get_run(header.run_id)
    except RunNotFound:
        raise BadInput(f"the journal is of run {header.run_id}, which {store.url} does not "
                       "hold", hint) from None
    meta = record.meta
    if (meta.pid, meta.hostname) != (header.pid, header.hostname) \
            or not _same_start(meta.started_at, header.started_at):
        raise BadInput(f"run {header.run_id} in {store.url} is another run than the "
                       f"journal's (started {header.started_at:%Y-%m-%d %H:%M:%S} UTC on "
                       f"{header.hostname}, pid {header.pid})", hint)
    return record


def replay(store: Store, contents: Contents) -> Imported:
    """Write the journal's batches, then its finish, to the store; each at most once."""
    header = contents.header
    run_id = header.run_id
    check_run(store, header)
    written = skipped = requests = 0
    batches = contents.batches
    for start in range(0, len(batches), CHUNK):
        chunk = batches[start:start + CHUNK]
        for batch, applied in zip(chunk, store.apply_batches(run_id, chunk)):
            written += applied
            skipped += not applied
            requests += batch.requests if applied else 0
    finished = False
    finish = contents.finish
    if finish is not None:
        finished = store.finish_run(run_id, finish.status, finish.ended_at, finish.message,
                                    finish.details, key=finish.key)
    return Imported(run_id=run_id, batches=written, skipped=skipped, requests=requests,
                    finished=finished, status=store.get_run(run_id).status,
                    damaged=len(contents.problems))
