"""The generator's start-up heap is set aside from the garbage collector, and garbage made
afterwards is still collected (a run of hours must not leak its cycles)."""

from __future__ import annotations

import gc
import weakref

from swarmdeck.engine.heap import freeze_startup_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_objects_alive_at_start_are_frozen_and_later_cycles_still_collected() -> None:
    before = Node()
    try:
        assert freeze_startup_heap() > 0
        assert gc.is_tracked(before)
        assert not any(o is before for o in gc.get_objects())  # frozen: never walked
        later = Node()
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
