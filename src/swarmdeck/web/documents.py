"""The run page's data: ``swarmdeck.report.document.run_document``, kept while the run's
stored state is unchanged.

A running run's 10 s and 60 s rollups are written during the run (``Store.roll_forward``,
about every 30 s), so the document of a running run reads rollups up to the watermark and
raw intervals only after it: as cheap as a finished run's, and the same numbers. Several
viewers polling the same run share one document until the run's row changes (new
intervals, a new watermark, the end, the verdict).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from swarmdeck.report.document import run_document
from swarmdeck.store import RunRecord, Store


def _mark(record: RunRecord) -> str:
    """What the document depends on, as stored on the run's row."""
    return json.dumps([record.status, record.message, str(record.ended_at), record.rolled_up,
                       record.rolled_until, record.requests, record.failures,
                       record.last_interval, record.details], sort_keys=True, default=str)


class DocumentCache:
    """The last documents of the ``keep`` runs most recently viewed. Thread-safe; two
    threads asking for the same changed run may both build it (the later one is kept)."""

    def __init__(self, store: Store, keep: int = 16) -> None:
        self.store = store
        self.keep = keep
        self.documents: OrderedDict[int, tuple[str, dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()

    def document(self, run_id: int) -> dict[str, Any]:
        mark = _mark(self.store.get_run(run_id))
        with self.lock:
            cached = self.documents.get(run_id)
            if cached is not None and cached[0] == mark:
                self.documents.move_to_end(run_id)
                return cached[1]
        document = run_document(self.store, run_id)
        with self.lock:
            self.documents[run_id] = (mark, document)
            self.documents.move_to_end(run_id)
            while len(self.documents) > self.keep:
                self.documents.popitem(last=False)
        return document
