"""Benchmark: the cost per request of the generator's hot path (Recorder.on_request and
Evidence.on_request, both called for every request) with request names grouped.

Two streams of 200,000 requests: 50 distinct names (each known after its first request:
one cache lookup), and URLs with random ids (``/anything/items/<random>``: every name is
new, so each request is classified, counted in its group and cached). Prints the best of
``--repeat`` timings in ns per request, grouping on and off. Compare with another tree
(e.g. ``git archive BASE src | tar -x -C /tmp/base``) by running this file under its
PYTHONPATH: it falls back to the API before grouping existed.

    PYTHONPATH=src .venv/bin/python bench/recorder_names.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import timeit
from collections.abc import Callable
from typing import Any

from swarmdeck.engine.evidence import Evidence
from swarmdeck.engine.recorder import Recorder

REQUESTS = 200_000


class Response:
    status_code = 200
    headers: dict[str, str] = {}  # noqa: RUF012 - read only
    history: list[Any] = []  # noqa: RUF012 - read only


def known_names() -> list[str]:
    routes = [f"/api/route{i}" for i in range(50)]
    rnd = random.Random(1)
    return [routes[rnd.randrange(50)] for _ in range(REQUESTS)]


def random_ids() -> list[str]:
    rnd = random.Random(2)
    return [f"/anything/items/{rnd.randrange(10**9)}" for _ in range(REQUESTS)]


def listeners(group: bool) -> tuple[Callable[..., None], Callable[..., None]]:
    try:
        from swarmdeck.engine.endpoints import EndpointNames
    except ImportError:  # a tree from before grouping
        recorder, evidence = Recorder(clock=lambda: 1000.0), Evidence()
    else:
        names = EndpointNames(group=group)
        recorder = Recorder(clock=lambda: 1000.0, names=names)
        evidence = Evidence(names=names)
    return recorder.on_request, evidence.on_request


def per_request_ns(names: list[str], group: bool, with_evidence: bool, repeat: int) -> float:
    def run() -> None:
        on_record, on_evidence = listeners(group)
        response = Response()
        for name in names:
            on_record("GET", name, 12.3, 100)
            if with_evidence:
                on_evidence("GET", name, response=response)

    return min(timeit.repeat(run, number=1, repeat=repeat)) / len(names) * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for label, names in (("50 names", known_names()), ("random ids", random_ids())):
        for group in (True, False):
            recorder = per_request_ns(names, group, False, args.repeat)
            both = per_request_ns(names, group, True, args.repeat)
            print(f"{label:10s} grouping {'on ' if group else 'off'}  recorder "
                  f"{recorder:6.0f} ns/request   recorder+evidence {both:6.0f} ns/request",
                  flush=True)


if __name__ == "__main__":
    main()
