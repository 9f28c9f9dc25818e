"""The endpoint each request is recorded under: the name Locust reports, its template when
ids are grouped (engine/naming.py, on unless ``--no-group-names``), or OTHER_NAME once
``--max-names`` distinct endpoints exist (the last resort).

One `EndpointNames` per load-generating process, shared by its recorder and its evidence,
so both name the same endpoints. Its ``cache`` maps (method, name) to the endpoint: the
hot path reads it directly (one dict lookup, as before grouping existed) and calls
``endpoint()`` only for a name it has not seen (the cache holds at most ``CACHE_SIZE``
names and starts over when full, or when a position is learned as variable).

Each template records the distinct names it absorbed (a `DistinctCounter`) and the first
few of them, so nothing is merged silently. A worker sends them with every report
(``snapshot()``, cumulative); the master keeps each worker's latest (``add_remote``) and
``groups()`` merges them into the run's `NameGroup` records.
"""

from __future__ import annotations

import logging
from typing import Any

from swarmdeck.engine.naming import NameGrouper
from swarmdeck.metrics.distinct import DistinctCounter
from swarmdeck.metrics.interval import MAX_NAMES, OTHER_NAME
from swarmdeck.records.details import NameGroup

log = logging.getLogger(__name__)

REPORT_KEY = "swarmdeck_names"  # in Locust's worker reports, beside the intervals
CACHE_SIZE = 10_000  # names remembered; a stream of unique URLs starts the cache over
SAMPLES = 5  # original names kept per template

GroupKey = tuple[str, str]  # (method, template)


class _Group:
    __slots__ = ("names", "samples")

    def __init__(self, names: DistinctCounter | None = None,
                 samples: list[str] | None = None) -> None:
        self.names = names or DistinctCounter()
        self.samples = samples or []

    def add(self, name: str) -> None:
        self.names.add(name)
        if len(self.samples) < SAMPLES and name not in self.samples:
            self.samples.append(name)

    def merge(self, other: _Group) -> None:
        self.names.merge(other.names)
        for name in other.samples:
            if len(self.samples) < SAMPLES and name not in self.samples:
                self.samples.append(name)

    def to_wire(self) -> dict[str, Any]:
        """Plain types only: travels in Locust's msgpack worker reports."""
        hashes, registers = self.names.hashes, self.names.registers
        return {"hashes": sorted(hashes) if hashes is not None else None,
                "registers": bytes(registers) if registers is not None else None,
                "samples": list(self.samples)}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> _Group:
        hashes, registers = data.get("hashes"), data.get("registers")
        return cls(DistinctCounter(None if hashes is None else [int(h) for h in hashes],
                                   None if registers is None else bytes(registers)),
                   [str(s) for s in data.get("samples") or []][:SAMPLES])


class EndpointNames:
    def __init__(self, *, max_names: int = MAX_NAMES, group: bool = True,
                 grouper: NameGrouper | None = None, cache_size: int = CACHE_SIZE) -> None:
        self.max_names = max_names
        self.group = group
        self.grouper = grouper or NameGrouper()
        self.cache_size = cache_size
        self.cache: dict[tuple[str, str], str] = {}  # read by the hot paths; never rebound
        self.resets = 0  # times the cache started over (the recorder's batches follow it)
        self._generation = self.grouper.generation
        self._admitted: set[GroupKey] = set()
        self._folded = DistinctCounter()  # names beyond the cap, counted once each
        self._folding = False  # names are folded into OTHER_NAME (warned once)
        self._groups: dict[GroupKey, _Group] = {}
        self._remote: dict[str, list[Any]] = {}

    def configure(self, *, max_names: int, group: bool) -> None:
        """Apply the master's settings (a worker, when welcomed: before any request)."""
        self.max_names, self.group = max_names, group
        self._clear()

    @property
    def folded(self) -> int:
        """Distinct names folded into OTHER_NAME (beyond the cap)."""
        return self._folded.count()

    def endpoint(self, method: str, name: str) -> str:
        """The endpoint a request of this name is recorded under."""
        known = self.cache.get((method, name))
        return known if known is not None else self._new(method, name)

    def _new(self, method: str, name: str) -> str:
        template = self.grouper.template(name) if self.group else name
        if self.grouper.generation != self._generation:  # a position became variable
            self._generation = self.grouper.generation
            self._clear()
        key = (method, template)
        endpoint = template
        if key not in self._admitted:
            if len(self._admitted) < self.max_names:
                self._admitted.add(key)
            else:
                endpoint = OTHER_NAME
                if not self._folding:
                    self._folding = True
                    log.warning("more than %d distinct request names: folding the rest into "
                                "%r; group them with name=", self.max_names, OTHER_NAME)
                self._folded.add(f"{method} {name}")
        if endpoint != name and endpoint != OTHER_NAME:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group()
            group.add(name)
        if len(self.cache) >= self.cache_size:
            self._clear()
        self.cache[(method, name)] = endpoint
        return endpoint

    def _clear(self) -> None:
        self.cache.clear()
        self.resets += 1

    # -- workers to the master ----------------------------------------------------------

    def snapshot(self) -> list[Any]:
        """What a worker sends with its reports: its groups so far (cumulative)."""
        return [{"method": method, "template": template, **group.to_wire()}
                for (method, template), group in self._groups.items()]

    def add_remote(self, client_id: str, snapshot: Any) -> None:
        """A worker's latest snapshot (it replaces the previous one); merged by ``groups``."""
        if isinstance(snapshot, list):
            self._remote[client_id] = snapshot

    def groups(self) -> tuple[NameGroup, ...]:
        """Every template of the run and what it absorbed: this process's groups merged
        with each worker's latest snapshot (a malformed one is left out, with a warning)."""
        merged = {key: _Group(g.names.copy(), list(g.samples))
                  for key, g in self._groups.items()}
        for client_id, snapshot in sorted(self._remote.items()):
            try:
                remote = {(str(d["method"]), str(d["template"])): _Group.from_wire(d)
                          for d in snapshot}
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                log.warning("ignoring malformed name groups from worker %s: %s",
                            client_id, exc)
                continue
            for key, group in remote.items():
                if key in merged:
                    merged[key].merge(group)
                else:
                    merged[key] = group
        return tuple(NameGroup(method=method, template=template, names=g.names.count(),
                               exact=g.names.exact, samples=tuple(g.samples))
                     for (method, template), g in sorted(merged.items()))
