"""An interval's two histograms (successes, failures): exact merges and the wire form."""

from __future__ import annotations

import random
from collections import Counter

import msgpack

from swarmdeck.metrics import EndpointInterval, LatencyHistogram


def interval(ok: list[int], failed: list[int], *, start: int = 100) -> EndpointInterval:
    """Successes ``ok`` and failures ``failed`` (µs), as the recorder keeps them."""
    histogram = LatencyHistogram()
    for value in ok:
        histogram.record(value)
    failed_histogram = None
    if failed:
        failed_histogram = LatencyHistogram()
        for value in failed:
            failed_histogram.record(value)
    return EndpointInterval(start=start, method="GET", name="/a", requests=len(ok) + len(failed),
                            failures=len(failed), histogram=histogram,
                            errors=Counter({"timeout": len(failed)} if failed else {}),
                            failed_histogram=failed_histogram)


def of(values: list[int]) -> LatencyHistogram:
    histogram = LatencyHistogram()
    for value in values:
        histogram.record(value)
    return histogram


def test_merging_keeps_successes_and_failures_apart_exactly() -> None:
    rng = random.Random(7)
    parts = []
    ok_all: list[int] = []
    failed_all: list[int] = []
    for _ in range(20):
        ok = [int(rng.lognormvariate(9, 1)) for _ in range(rng.randint(0, 30))]
        failed = [int(rng.lognormvariate(14, 2)) for _ in range(rng.randint(0, 5))]
        parts.append(interval(ok, failed))
        ok_all += ok
        failed_all += failed
    total = EndpointInterval(start=100, method="GET", name="/a")
    for part in parts:
        total.merge(part)
    assert (total.requests, total.failures) == (len(ok_all) + len(failed_all), len(failed_all))
    assert total.histogram == of(ok_all)
    assert total.failed_histogram == of(failed_all)
    assert not total.unsplit
    # merged in another grouping: the same
    halves = [EndpointInterval(start=100, method="GET", name="/a") for _ in range(2)]
    for i, part in enumerate(parts):
        halves[i % 2].merge(part)
    halves[1].merge(halves[0])
    assert (halves[1].histogram, halves[1].failed_histogram) == (total.histogram,
                                                                 total.failed_histogram)


def test_a_merge_never_shares_the_other_interval_s_failed_histogram() -> None:
    target, source = interval([1000], []), interval([2000], [30_000_000])
    target.merge(source)
    target.merge(interval([], [5]))
    assert source.failed_histogram == of([30_000_000])  # the source is unchanged
    assert target.failed_histogram == of([30_000_000, 5])


def test_data_recorded_before_the_split_reads_unsplit_and_merges_as_every_request() -> None:
    old = EndpointInterval(start=100, method="GET", name="/a", requests=3, failures=1,
                           histogram=of([1000, 2000, 30_000_000]))  # every request in one
    assert old.unsplit
    assert not interval([1000], []).unsplit  # no failure: nothing to tell apart
    for first, second in ((old, interval([4000], [9])), (interval([4000], [9]), old)):
        merged = EndpointInterval(start=100, method="GET", name="/a")
        merged.merge(first)
        merged.merge(second)
        assert merged.unsplit and merged.failed_histogram is None
        assert merged.histogram == of([1000, 2000, 30_000_000, 4000, 9])
        assert (merged.requests, merged.failures) == (5, 2)


def test_the_wire_form_carries_both_histograms_through_msgpack() -> None:
    for sent in (interval([1000, 2500], [1, 30_000_000]), interval([1000], [])):
        received = EndpointInterval.from_wire(
            msgpack.unpackb(msgpack.packb(sent.to_wire()), raw=False))
        assert received == sent
        assert received.failed_histogram == sent.failed_histogram


def test_an_older_worker_s_report_reads_unsplit() -> None:
    """A report without the failed histogram held every request in ``histogram``."""
    wire = interval([1000, 30_000_000], []).to_wire()
    del wire["failed_histogram"]
    wire["failures"] = 1
    received = EndpointInterval.from_wire(wire)
    assert received.unsplit and received.histogram.count == 2
