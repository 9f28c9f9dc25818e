"""What the servers said of one endpoint's requests over one interval: per ``Server-Timing``
metric name, the exact histogram of its ``dur`` (HDR's buckets, kept sparse:
metrics/sparse_histogram.py), how many responses carried it, the counts their ``desc``
stated (``"23 queries"``: 23) and the texts of their ``desc``.

Kept for the successful responses that carried the header (``responses``), with the sum
of those responses' client latency (``client_us``), so that client latency splits exactly
into the server's part (``app``) and the rest: network and queueing in front of the app.
Merges are exact, as the latency histograms' (bucket counts add up, counters add up), except
for the caps, which bound what one endpoint can hold: ``MAX_NAMES`` metric names (later
names are counted in ``dropped``) and ``MAX_LABELS`` desc texts per metric (the rest are
counted under ``OTHER_LABEL``).

Its stored and wire form is ``encode()`` (a version byte, a JSON head, the histograms'
own encodings); ``decode`` reads it lazily: a row read only for its latency never decodes
its server timing.
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from swarmdeck.metrics import timing_layouts
from swarmdeck.metrics.sparse_histogram import SparseHistogram
from swarmdeck.metrics.timing_header import TimingMetric
from swarmdeck.metrics.timing_layouts import Entry, entries_of

MAX_NAMES = 16  # metric names kept per endpoint
MAX_LABELS = 8  # desc texts kept per metric
OTHER_LABEL = "(other)"
VERSION = 1
_LENGTH = struct.Struct("<I")
MAX_MS = 1e12  # a duration's µs must fit an int64 (any past HIGHEST_US is recorded as it)
Durations = dict[str, list[npt.NDArray[np.float64] | Sequence[Any]]]  # name -> chunks


def _micros(values: npt.NDArray[np.float64] | Sequence[Any]) -> npt.NDArray[np.int64]:
    """Durations (ms; doubles, or raw header text) as whole µs; the ones that are not
    finite, non-negative numbers left out (as ``timing_header`` leaves them out), the
    ones past MAX_MS taken as MAX_MS (the histograms keep at most an hour: the same)."""
    try:
        ms = np.asarray(values, dtype=np.float64)
    except ValueError:
        ms = np.asarray([d for d in (_float(v) for v in values) if d is not None],
                        dtype=np.float64)
    ms = np.minimum(ms[np.isfinite(ms) & (ms >= 0)], MAX_MS)
    return (ms * 1000.0 + 0.5).astype(np.int64)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class MetricTiming:
    """One metric name's share of an interval."""

    __slots__ = ("counts", "dur", "labels", "responses")

    def __init__(self) -> None:
        self.responses = 0  # responses that carried the metric
        self.dur: SparseHistogram | None = None  # µs; None until one came with a dur
        self.counts: Counter[int] = Counter()  # count its desc stated -> responses
        self.labels: Counter[str] = Counter()  # its desc's text (count left out) -> responses

    def merge(self, other: MetricTiming) -> None:
        self.responses += other.responses
        if other.dur is not None:
            if self.dur is None:
                self.dur = SparseHistogram()
            self.dur.merge(other.dur)
        self.counts.update(other.counts)
        _add_labels(self.labels, other.labels)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricTiming):
            return NotImplemented
        return (self.responses, self.dur, self.counts, self.labels) == (
            other.responses, other.dur, other.counts, other.labels)


def _add_labels(labels: Counter[str], more: Iterable[tuple[str, int]] | Counter[str]) -> None:
    items = more.items() if isinstance(more, Counter) else more
    for label, n in items:
        if label in labels or len(labels) < MAX_LABELS or label == OTHER_LABEL:
            labels[label] += n
        else:
            labels[OTHER_LABEL] += n


class ServerTiming:
    """The server timing of one endpoint over one interval (see the module docstring)."""

    __slots__ = ("_client_us", "_dropped", "_metrics", "_raw", "_responses")

    def __init__(self) -> None:
        self._raw: bytes | None = None  # encoded, not yet read (decode is lazy)
        self._responses = 0
        self._client_us = 0
        self._dropped = 0
        self._metrics: dict[str, MetricTiming] = {}

    # -- reading (decodes on first use) ------------------------------------------------

    @property
    def responses(self) -> int:
        """Successful responses that carried a Server-Timing header with a metric."""
        self._load()
        return self._responses

    @property
    def client_us(self) -> int:
        """The sum of those responses' client latency (µs)."""
        self._load()
        return self._client_us

    @property
    def dropped(self) -> int:
        """Metrics left out because the endpoint already had MAX_NAMES names."""
        self._load()
        return self._dropped

    @property
    def metrics(self) -> dict[str, MetricTiming]:
        self._load()
        return self._metrics

    # -- recording ---------------------------------------------------------------------

    def add(self, metrics: Sequence[TimingMetric], client_ms: float) -> None:
        """One response's metrics (``timing_header.parse``) and its client latency."""
        self.add_many([metrics], client_ms)

    def add_many(self, responses: Sequence[Sequence[TimingMetric]], client_ms: float) -> None:
        """Several responses' metrics; ``client_ms``: the sum of their client latencies."""
        self._load()
        durations: Durations = {}
        timed = sum(self._record(entries_of(metrics), 1, (), durations)
                    for metrics in responses)
        self._finish(durations, timed, client_ms)

    def add_headers(self, values: Sequence[str], client_ms: float) -> None:
        """Responses' raw header values; ``client_ms``: the sum of their client latencies
        (of all of them: a value without a single valid metric is not counted in
        ``responses`` but its latency is in ``client_us``, a bias only servers sending
        broken headers and valid ones to one endpoint would see).
        The same as ``add`` of each ``parse``d value, faster: values of one layout (the
        same metrics and descs, other durations: what one page sends request after
        request) are parsed once and recorded together, their durations read in bulk
        (metrics/timing_layouts.py) and recorded per metric at once (``record_many``)."""
        self._load()
        durations: Durations = {}
        timed = sum(self._record(group.entries, group.responses, group.durations, durations)
                    for group in timing_layouts.read(values))
        self._finish(durations, timed, client_ms)

    def _record(self, entries: tuple[Entry, ...], n: int,
                columns: Sequence[npt.NDArray[np.float64] | Sequence[str]],
                durations: Durations) -> int:
        """``n`` responses of one layout: ``columns[i]`` holds their i-th dur values."""
        if not entries:
            return 0
        metrics = self._metrics
        for name, index, literal, count, label in entries:
            metric = metrics.get(name)
            if metric is None:
                if len(metrics) >= MAX_NAMES:
                    self._dropped += n
                    continue
                metric = metrics[name] = MetricTiming()
            metric.responses += n
            if index is not None:
                durations.setdefault(name, []).append(columns[index])
            elif literal is not None:
                durations.setdefault(name, []).append([literal] * n)
            if count is not None:
                metric.counts[count] += n
            if label is not None:
                _add_labels(metric.labels, ((label, n),))
        return n

    def _finish(self, durations: Durations, timed: int, client_ms: float) -> None:
        for name, chunks in durations.items():
            us = np.concatenate([_micros(chunk) for chunk in chunks])
            if len(us):
                metric = self._metrics[name]
                if metric.dur is None:
                    metric.dur = SparseHistogram()
                metric.dur.record_many(us)
        if timed:
            self._responses += timed
            self._client_us += int(client_ms * 1000.0 + 0.5)

    def merge(self, other: ServerTiming) -> None:
        self._load()
        self._responses += other.responses
        self._client_us += other.client_us
        self._dropped += other.dropped
        for name, theirs in other.metrics.items():
            mine = self._metrics.get(name)
            if mine is None:
                if len(self._metrics) >= MAX_NAMES:
                    self._dropped += theirs.responses
                    continue
                mine = self._metrics[name] = MetricTiming()
            mine.merge(theirs)

    def copy(self) -> ServerTiming:
        """An independent copy (merging into it leaves this one as it is)."""
        return ServerTiming.decode(self.encode())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerTiming):
            return NotImplemented
        return (self.responses, self.client_us, self.dropped, self.metrics) == (
            other.responses, other.client_us, other.dropped, other.metrics)

    def __repr__(self) -> str:
        return (f"ServerTiming(responses={self.responses}, client_us={self.client_us}, "
                f"metrics={sorted(self.metrics)})")

    # -- stored and wire form ----------------------------------------------------------

    def encode(self) -> bytes:
        if self._raw is not None:
            return self._raw
        blobs: list[bytes] = []
        head: dict[str, Any] = {"r": self._responses, "c": self._client_us,
                                "d": self._dropped, "m": {}}
        for name, metric in self._metrics.items():
            entry: dict[str, Any] = {"n": metric.responses}
            if metric.dur is not None:
                entry["h"] = len(blobs)
                blobs.append(metric.dur.encode())
            if metric.counts:
                entry["k"] = {str(k): v for k, v in metric.counts.items()}
            if metric.labels:
                entry["l"] = dict(metric.labels)
            head["m"][name] = entry
        text = json.dumps(head, separators=(",", ":")).encode()
        return b"".join([bytes([VERSION]), _LENGTH.pack(len(text)), text,
                         *(_LENGTH.pack(len(b)) + b for b in blobs)])

    @classmethod
    def decode(cls, data: bytes) -> ServerTiming:
        """The timing ``encode`` wrote, read when first used."""
        timing = cls()
        timing._raw = bytes(data)
        return timing

    def _load(self) -> None:
        data = self._raw
        if data is None:
            return
        self._raw = None
        if data[0] != VERSION:
            raise ValueError(f"server timing of an unknown version {data[0]}")
        (length,) = _LENGTH.unpack_from(data, 1)
        offset = 1 + _LENGTH.size
        head = json.loads(data[offset:offset + length])
        offset += length
        blobs = []
        while offset < len(data):
            (size,) = _LENGTH.unpack_from(data, offset)
            offset += _LENGTH.size
            blobs.append(data[offset:offset + size])
            offset += size
        self._responses, self._client_us = int(head["r"]), int(head["c"])
        self._dropped = int(head.get("d", 0))
        for name, entry in head["m"].items():
            metric = self._metrics[str(name)] = MetricTiming()
            metric.responses = int(entry["n"])
            if "h" in entry:
                metric.dur = SparseHistogram.decode(blobs[int(entry["h"])])
            metric.counts = Counter({int(k): int(v) for k, v in entry.get("k", {}).items()})
            metric.labels = Counter({str(k): int(v) for k, v in entry.get("l", {}).items()})
