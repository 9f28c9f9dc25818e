"""The run page's data: ``swarmdeck.report.document.run_document``, kept while the run's
stored state is unchanged.

A running run's 10 s and 60 s rollups are written during the run (``Store.roll_forward``,
about every 30 s), so the document of a running run reads rollups up to the watermark and
raw intervals only after it, and gives the same numbers as once it has finished. Several
viewers polling the same run share one document until the run's row changes (new
intervals, a new watermark, the end, the verdict). A running run's document costs more as
the run grows (reading the minute rollups and the raw tail: about 0.7 s at the end of an
hour of 30 endpoints), so it is rebuilt at most every ``min_rebuild_s`` seconds and at most
a ``build_share`` of the time: watching a long run costs the server a bounded share of a
core, however many viewers poll it. Finished runs are rebuilt as soon as they change.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from swarmdeck.records import codec
from swarmdeck.report.document import run_document
from swarmdeck.store import RunRecord, Store


def _mark(record: RunRecord) -> str:
    """What the document depends on, as stored on the run's row."""
    return json.dumps([record.status, record.message, str(record.ended_at), record.rolled_up,
                       record.rolled_until, record.requests, record.failures,
                       record.last_interval, codec.details_to_json(record.details)],
                      sort_keys=True, default=str)


@dataclass(frozen=True)
class _Entry:
    mark: str
    document: dict[str, Any]
    built_at: float  # time.monotonic()
    build_s: float


class DocumentCache:
    """The last documents of the ``keep`` runs most recently viewed. Thread-safe; two
    threads asking for the same changed run may both build it (the later one is kept)."""

    def __init__(self, store: Store, keep: int = 16, min_rebuild_s: float = 2.0,
                 build_share: float = 0.25) -> None:
        self.store = store
        self.keep = keep
        self.min_rebuild_s = min_rebuild_s
        self.build_share = build_share
        self.entries: OrderedDict[int, _Entry] = OrderedDict()
        self.lock = threading.Lock()

    def document(self, run_id: int) -> dict[str, Any]:
        record = self.store.get_run(run_id)
        mark = _mark(record)
        with self.lock:
            cached = self.entries.get(run_id)
            if cached is not None and (cached.mark == mark or (
                    record.status == "running" and self._fresh(cached))):
                self.entries.move_to_end(run_id)
                return cached.document
        began = time.monotonic()
        document = run_document(self.store, run_id)
        entry = _Entry(mark, document, time.monotonic(), time.monotonic() - began)
        with self.lock:
            self.entries[run_id] = entry
            self.entries.move_to_end(run_id)
            while len(self.entries) > self.keep:
                self.entries.popitem(last=False)
        return document

    def _fresh(self, entry: _Entry) -> bool:
        """Whether a running run's document is too recent to be rebuilt yet."""
        wait = max(self.min_rebuild_s, entry.build_s / self.build_share)
        return time.monotonic() - entry.built_at < wait
