"""A distributed capacity search's schedule, half a second at a time, from the master to its
workers (docs/capacity.md, "Over workers").

The master's controller decides each next piece of the schedule online (capacity.py); the
master sends it to every live worker with Locust's custom messages (``CHUNK``), a little
ahead of its start, with the time it starts on the common clock (epoch seconds: the
machines' clocks are assumed in sync, as for the intervals' seconds) and the worker's share:
worker ``index`` of ``count`` takes the iterations ``k % count == index`` of the chunk. The
shares are dealt again for every chunk, over the workers still live (a lost worker's share
goes to the others from the next chunk on), and rotate from chunk to chunk so that no
worker always takes the remainder. ``END``: the search is over. A worker says ``READY`` when
its first users have finished ``on_start``, ``QUIET`` when, during a pause after a failed
step, nothing is under way on it any more, and sends what it measured in the seconds that
just ended every second (``MEASURED``, the same keys as its Locust reports, which come every
3 s only): the master judges a step once every live worker has sent its seconds.

``Chunk`` and ``deal`` are pure; ``ChunkFeed`` is the worker's end, fed by the messages and
read by its executor (``next_schedule`` / ``start_of``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gevent.queue

from swarmdeck.plan.arrival import ArrivalSchedule, schedule_of

CHUNK = "swarmdeck_chunk"  # master -> worker: the next piece of the schedule
END = "swarmdeck_search_end"  # master -> worker: the search is over
READY = "swarmdeck_chunks_ready"  # worker -> master: its first users are ready
QUIET = "swarmdeck_quiet"  # worker -> master: nothing under way after a chunk without load
MEASURED = "swarmdeck_measured"  # worker -> master: the seconds that just ended, each second
ORDERS_KEY = "chunks"  # in the worker's orders: its schedule comes in chunks
WIRE_VERSION = 1
STALE_S = 1.0  # a chunk that ended longer ago than this is skipped (it arrived too late)
WAIT_S = 60.0  # a worker that hears nothing for this long ends its part
MEASURED_AFTER_S = 0.05  # a worker sends a second's measurements this long after its end
UNTIL_KEY = "until"  # in MEASURED: every second before this (epoch s) is in it or was sent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chunk:
    schedule: ArrivalSchedule
    start: float  # epoch s, on the common clock
    index: int  # this worker's share: iterations k % count == index
    count: int

    def to_wire(self) -> dict[str, Any]:
        """Plain types only: travels in Locust's msgpack messages."""
        return {"v": WIRE_VERSION, "schedule": self.schedule.to_dict(), "start": self.start,
                "index": self.index, "count": self.count}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Chunk:
        version = int(data.get("v", 0))
        if version != WIRE_VERSION:
            raise ValueError(f"chunk wire version {version}, expected {WIRE_VERSION}")
        count, index = int(data["count"]), int(data["index"])
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"generator {index} of {count}")
        return cls(schedule_of(data["schedule"]), float(data["start"]), index, count)


def deal(live: Sequence[str], number: int) -> dict[str, tuple[int, int]]:
    """Each live worker's (index, count) in chunk ``number``: every worker a share, rotated
    by one a chunk."""
    count = len(live)
    return {cid: ((position + number) % count, count) for position, cid in enumerate(live)}


class ChunkFeed:
    """A worker's end: the chunks as they arrive, handed to its executor one at a time.

    ``next_schedule`` is the executor's (it blocks until the next chunk arrives, and gives
    None at the end); it sets the executor's share (``assign``) and ``start_of`` then gives
    the chunk's start. ``send`` sends a message to the master (``READY``, ``QUIET``)."""

    def __init__(self, send: Callable[[str, Any], None], *,
                 assign: Callable[[int, int], None], quiet: Callable[[], bool],
                 clock: Callable[[], float] = time.time, wait_s: float = WAIT_S) -> None:
        self.send = send
        self.assign = assign
        self.quiet = quiet
        self.clock = clock
        self.wait_s = wait_s
        self.queue: gevent.queue.Queue[Chunk | None] = gevent.queue.Queue()
        self.current: Chunk | None = None
        self.ready = False
        self.skipped = 0  # chunks that arrived after their end

    # -- the messages -----------------------------------------------------------------

    def on_chunk(self, data: Mapping[str, Any]) -> None:
        try:
            self.queue.put(Chunk.from_wire(data))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("ignored a chunk of the schedule the master sent: %s", exc)

    def on_end(self) -> None:
        self.queue.put(None)

    # -- the executor's side ----------------------------------------------------------

    def start_of(self) -> float:
        assert self.current is not None, "start_of() before a chunk"
        return self.current.start

    def next_schedule(self) -> ArrivalSchedule | None:
        if not self.ready:
            self.ready = True
            self.send(READY, None)
        elif (self.current is not None and self.current.schedule.total == 0
              and self.quiet()):
            self.send(QUIET, {"start": self.current.start})
        while True:
            try:
                chunk: Chunk | None = self.queue.get(timeout=self.wait_s)
            except gevent.queue.Empty:
                log.warning("no word from the master for %gs: this worker's part of the "
                            "search ends", self.wait_s)
                return None
            if chunk is None:
                return None
            if chunk.start + chunk.schedule.total_s < self.clock() - STALE_S:
                self.skipped += 1
                continue
            self.current = chunk
            self.assign(chunk.index, chunk.count)
            return chunk.schedule
