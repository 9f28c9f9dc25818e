"""The monitor process: ``python -m swarmdeck.monitors.child``, started by the run
(engine/monitoring.py) so that sampling never shares the load generator's gevent loop.
This interpreter imports neither Locust nor gevent: its threads are real threads and their
sockets block for real.

Protocol (records/monitor_codec.py, one JSON object per line):

- standard input: one ``specs`` line (the SPECs as given: they may hold passwords, so they
  travel here rather than in the command line), then nothing; end of input (the run ended,
  or died) stops sampling;
- standard output: an ``open`` line per monitor (``error`` when it could not be opened),
  ``ready``, then a ``batch`` line per monitor per second, and at the end a ``final`` line
  per monitor (PostgreSQL's top queries) and ``done``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import TextIO

from swarmdeck.monitors.runner import MonitorSet
from swarmdeck.monitors.spec import parse_spec
from swarmdeck.records.monitor_codec import batch_to_line, line_to_message, message_to_line
from swarmdeck.records.monitors import Batch

NICE = 10  # the sampler's priority below the run's (os.nice)


def serve(stdin: TextIO, stdout: TextIO) -> int:
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            try:
                stdout.write(line + "\n")
                stdout.flush()
            except (BrokenPipeError, ValueError):  # the run is gone
                pass

    first = stdin.readline()
    if not first:
        return 0
    specs = [parse_spec(str(text)) for text in line_to_message(first).get("specs", [])]

    def emit(batch: Batch) -> None:
        write(batch_to_line(batch))

    monitors = MonitorSet(specs, emit)
    for index, error in enumerate(monitors.open_all()):
        write(message_to_line("open", m=index, error=error))
    write(message_to_line("ready"))
    monitors.start()
    for _ in stdin:  # until the end of input
        pass
    for index, top in enumerate(monitors.stop()):
        write(message_to_line("final", m=index, top_queries=top))
    write(message_to_line("done"))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process by engine/monitoring.py
    # Ctrl-C reaches the whole process group: the run stops gracefully and ends this
    # process by closing its input, after the last second is sampled
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # below the load generator: on a busy core the sampling takes what the generator leaves
    # (a second's samples are small and late by milliseconds at most)
    os.nice(NICE)
    sys.exit(serve(sys.stdin, sys.stdout))
