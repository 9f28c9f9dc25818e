"""The run's journal: every batch of results the run hands to the store is first appended
to a local file, so that a store that does not answer (a restart, a failover, a network
blip, a full disk) costs the run nothing. The writer retries with backoff and replays the
journal in order once the store answers; a journal left at the end is loaded later by
``swarmdeck import``. Batches carry an idempotency key: written twice, they count once.

format.py (records and lines, checksummed) · file.py (the file: append, read back,
compact, keep; reading it for an import) · writer.py (journal first, then the store,
retried) · replay.py (``swarmdeck import``). No gevent here: engine/storing.py runs the
writer in its own greenlet. docs/reliability.md says what survives what.
"""

from __future__ import annotations

from swarmdeck.journal.file import Contents, JournalFile, journal_path, opened
from swarmdeck.journal.format import Finish, Header, Problem
from swarmdeck.journal.replay import Imported, replay
from swarmdeck.journal.writer import JournaledWriter

__all__ = [
    "Contents",
    "Finish",
    "Header",
    "Imported",
    "JournalFile",
    "JournaledWriter",
    "Problem",
    "journal_path",
    "opened",
    "replay",
]
