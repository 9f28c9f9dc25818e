"""ServerTiming: what the servers said of an endpoint's requests, merged exactly, capped,
and its stored form read back (lazily)."""

from __future__ import annotations

import random

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.metrics import EndpointInterval
from swarmdeck.metrics.histogram import HIGHEST_US
from swarmdeck.metrics.server_timing import (
    MAX_LABELS,
    MAX_NAMES,
    OTHER_LABEL,
    ServerTiming,
)
from swarmdeck.metrics.timing_header import parse
from swarmdeck.metrics.timing_layouts import split_desc


def header(rng: random.Random) -> str:
    queries = rng.randint(0, 60)
    return (f"app;dur={rng.uniform(0.1, 300):.3f}, "
            f'db;dur={rng.uniform(0, 100):.3f};desc="{queries} queries", '
            f"tpl;dur={rng.uniform(0, 20):.3f}, "
            f'sql-repeat;dur=3;desc="{rng.randint(2, 9)}x #{rng.choice("abc") * 8} SELECT 1"')


def timing_of(headers: list[str], client_ms: float = 100.0) -> ServerTiming:
    timing = ServerTiming()
    timing.add_headers(headers, client_ms * len(headers))
    return timing


@pytest.mark.parametrize(("desc", "split"), [
    ("23 queries", (23, "queries")), ("1 query", (1, "query")),
    ("20x #3f2a9c1b SELECT a FROM t", (20, "#3f2a9c1b SELECT a FROM t")),
    ("7", (7, "")), ("HIT", (None, "HIT")), ("12345678 rows?", (12345678, "rows?")),
    ("3f2a9c1b", (None, "3f2a9c1b")), ("1.5 ms", (None, "1.5 ms")), ("", (None, "")),
])
def test_a_desc_states_a_count_when_it_starts_with_one(desc: str,
                                                       split: tuple[int | None, str]) -> None:
    assert split_desc(desc) == split


def test_what_one_endpoint_s_responses_said() -> None:
    timing = timing_of(['app;dur=41.2, db;dur=30.5;desc="23 queries", tpl;dur=6.1',
                        'app;dur=10, db;dur=2;desc="3 queries"',
                        "cdn-cache;desc=HIT"], client_ms=50.0)
    assert (timing.responses, timing.client_us) == (3, 150_000)
    app, db = timing.metrics["app"], timing.metrics["db"]
    assert app.responses == 2 and app.dur is not None
    assert (app.dur.count, app.dur.min_us, app.dur.max_us) == (2, 10_000, 41_200)
    assert db.counts == {23: 1, 3: 1} and db.labels == {"queries": 2}
    assert timing.metrics["cdn-cache"].dur is None
    assert timing.metrics["cdn-cache"].labels == {"HIT": 1}


def test_a_header_without_a_valid_metric_is_not_a_timed_response() -> None:
    timing = timing_of(["", "bad name;dur=1"])
    assert timing.responses == 0 and timing.client_us == 0 and not timing.metrics


@given(st.lists(st.integers(0, 2**32), min_size=2, max_size=30), st.integers(1, 5))
@settings(max_examples=25, deadline=None)
def test_merging_parts_equals_recording_all_at_once(seeds: list[int], parts: int) -> None:
    headers = [header(random.Random(seed)) for seed in seeds]
    whole = timing_of(headers)
    merged = ServerTiming()
    for i in range(parts):
        merged.merge(timing_of(headers[i::parts]))
    assert merged == whole
    assert ServerTiming.decode(merged.encode()) == whole


def test_names_and_labels_are_capped() -> None:
    many = ", ".join(f"m{i};dur=1" for i in range(MAX_NAMES + 5))
    timing = timing_of([many, many])
    assert len(timing.metrics) == MAX_NAMES and timing.dropped == 10
    other = timing_of([f"z{i};dur=1" for i in range(3)])
    timing.merge(other)
    assert len(timing.metrics) == MAX_NAMES and timing.dropped == 13
    labels = timing_of([f"edge;desc=pop{i}" for i in range(MAX_LABELS + 4)])
    assert len(labels.metrics["edge"].labels) == MAX_LABELS + 1
    assert labels.metrics["edge"].labels[OTHER_LABEL] == 4


def test_the_first_of_a_repeated_name_counts() -> None:
    timing = timing_of(["a;dur=1, a;dur=500"])
    dur = timing.metrics["a"].dur
    assert timing.metrics["a"].responses == 1 and dur is not None and dur.max_us == 1000


def test_decoding_is_lazy_and_the_copy_independent() -> None:
    timing = timing_of([header(random.Random(1))])
    stored = ServerTiming.decode(timing.encode())
    assert stored._raw is not None  # not read until used
    copy = stored.copy()
    copy.merge(timing)
    assert stored.responses == 1 and copy.responses == 2


def test_intervals_carry_it_over_the_wire_and_merge_it() -> None:
    rng = random.Random(3)
    a = EndpointInterval(start=1, method="GET", name="/x",
                         server_timing=timing_of([header(rng) for _ in range(4)]))
    b = EndpointInterval(start=1, method="GET", name="/x",
                         server_timing=timing_of([header(rng) for _ in range(3)]))
    wired = EndpointInterval.from_wire(msgpack.unpackb(msgpack.packb(a.to_wire())))
    assert wired.server_timing == a.server_timing
    total = EndpointInterval(start=1, method="GET", name="/x")
    total.merge(wired)
    total.merge(b)
    assert total.server_timing is not None and total.server_timing.responses == 7
    assert wired.server_timing is not None and wired.server_timing.responses == 4  # unshared
    old = a.to_wire()
    del old["server_timing"]  # an older worker's report
    assert EndpointInterval.from_wire(old).server_timing is None


def test_parse_and_add_agree() -> None:
    value = header(random.Random(5))
    by_header, by_metrics = ServerTiming(), ServerTiming()
    by_header.add_headers([value], 10.0)
    by_metrics.add(parse(value), 10.0)
    assert by_header == by_metrics


def reference(values: list[str]) -> ServerTiming:
    """What add_headers must give: each value parsed and recorded one by one."""
    timing = ServerTiming()
    for value in values:
        timing.add(parse(value), 0.0)
    return timing


TOKENS = st.sampled_from(["app", "db", "tpl", "x", "cdn-cache", "APP"])
DURS = st.sampled_from(["1", "2.5", " 3 ", "0", "-1", "abc", "1e400", "nan", "", "1.2.3",
                        "1_000", "0x10", '"4"', "5 ms", "=2", " 7\t"])
DESCS = st.sampled_from(['"23 queries"', '"1 query"', "HIT", '"a, b; c"', '"say \\"x\\""',
                         '"20x #3f2a9c1b SELECT 1"', '"unterminated', "", '"7"',
                         '"x;dur=5"', '"a; DUR = 2, b"'])


@st.composite
def headers(draw: st.DrawFn) -> str:
    metrics = []
    for _ in range(draw(st.integers(0, 5))):
        params = [f"dur={draw(DURS)}" for _ in range(draw(st.integers(0, 2)))]
        params += [f"{draw(st.sampled_from(['desc', 'DESC']))}={draw(DESCS)}"
                   for _ in range(draw(st.integers(0, 2)))]
        params = draw(st.permutations(params))
        metrics.append(draw(TOKENS) + "".join(f"{draw(st.sampled_from(['', ' ']))};{p}"
                                              for p in params))
    return ", ".join(metrics)


@given(st.lists(headers(), max_size=12))
@settings(max_examples=300, deadline=None)
def test_layouts_record_what_parsing_each_value_records(values: list[str]) -> None:
    """add_headers groups values by layout and parses each layout once: the result must be
    what parsing and adding every value gives, whatever the durations and descs."""
    timing = ServerTiming()
    timing.add_headers(values + values[:3], 0.0)  # layouts seen twice come from the cache
    assert timing == reference(values + values[:3])


def test_a_huge_duration_is_recorded_as_the_histogram_s_highest() -> None:
    """1e20 ms in µs does not fit an int64: it is kept as the histogram keeps any duration
    past an hour (it once came out as a garbage negative, clamped to 1 µs)."""
    timing = timing_of(["a;dur=99999999999999999999", "a;dur=5"])
    histogram = timing.metrics["a"].dur
    assert histogram is not None and histogram.count == 2
    assert (histogram.min_us, histogram.max_us) == (5000, HIGHEST_US)
