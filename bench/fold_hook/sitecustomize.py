"""Loaded by bench/server_timing_fold.py's runs (on their PYTHONPATH): times each
``ServerTiming.add_headers`` call, the fold's reading of a second's Server-Timing headers
(the thread's CPU time), one line per call appended to ``$FOLD_LOG``."""

from __future__ import annotations

import os
import time
from typing import Any


def _patch(log: str) -> None:
    from swarmdeck.metrics import server_timing

    add_headers = server_timing.ServerTiming.add_headers

    def timed(self: Any, values: Any, client_ms: float) -> None:
        start = time.thread_time()
        add_headers(self, values, client_ms)
        with open(log, "a") as out:
            out.write(f"{time.thread_time() - start:.6f} {len(values)}\n")

    server_timing.ServerTiming.add_headers = timed  # type: ignore[method-assign]


if os.environ.get("FOLD_LOG"):
    _patch(os.environ["FOLD_LOG"])
