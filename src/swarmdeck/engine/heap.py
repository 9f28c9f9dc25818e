"""The generator's heap, set aside from the garbage collector once everything is loaded.

swarmdeck's process holds more long-lived objects than plain Locust's (SQLAlchemy, Alembic,
rich, numpy: ~125,000 against ~50,000), and Python's cyclic garbage collector walks all of
them on every full collection. Under load a request allocates enough for a full collection
every second or so: measured on the generator benchmark, they took 7% of swarmdeck's CPU
against 5% of Locust's. ``gc.freeze()`` (CPython 3.7+) moves every object alive at that
moment into a permanent generation that collections skip; objects made later are collected
as before. Done once, after the imports, the locustfile and the runner exist and before
the users start: what it freezes lives for the whole process anyway.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect what is already garbage, then freeze the rest; returns how many objects the
    collector will no longer walk."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
