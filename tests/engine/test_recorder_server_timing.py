"""The recorder keeps what each successful response's Server-Timing header said, by the
hot path (raw header appended, parsed in the fold) and the full path alike, for requests'
responses (HttpUser) and geventhttpclient's (FastHttpUser)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.engine.openmodel.recorder import OpenRecorder
from swarmdeck.engine.recorder import Recorder
from swarmdeck.metrics.server_timing import ServerTiming


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# requests and geventhttpclient are imported when first used, not at collection: they import
# ssl, which must come after Locust's gevent monkey-patching (tests/engine/test_shapes.py
# imports Locust at collection; ssl imported before it breaks the patching)


def requests_response(status: int, timing: list[str]) -> Any:
    import requests
    from requests.structures import CaseInsensitiveDict

    response = requests.Response()
    response.status_code = status
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict({"Content-Type": "text/html"})
    if timing:  # urllib3 joins repeated header lines with ", "
        headers["Server-Timing"] = ", ".join(timing)
    response.headers = headers
    return response


class FastResponse:
    """As FastHttpUser's: geventhttpclient's Headers, one line per repeated header."""

    def __init__(self, status: int, timing: list[str]) -> None:
        from geventhttpclient.header import Headers

        self.status_code = status
        self.headers = Headers([("Content-Type", "text/html")]
                               + [("Server-Timing", line) for line in timing])


TIMINGS = [[], ["app;dur=12.5"], ['app;dur=40, db;dur=30;desc="23 queries"'],
           ["app;dur=3", 'db;dur=1;desc="2 queries"'],  # two header lines
           ['edge;desc="HIT", app;dur=0.5']]

request = st.tuples(
    st.floats(min_value=0.0, max_value=0.7),  # clock advance before it, s
    st.sampled_from(["/a", "/b"]),
    st.sampled_from([200, 200, 200, 201, 500]),
    st.sampled_from(["requests", "fast"]),
    st.sampled_from(range(len(TIMINGS))),
    st.booleans(),  # failed with an exception: its header is not kept
    st.floats(min_value=0.0, max_value=5000.0),  # response time, ms
    st.booleans(),  # take_closed() after it
)


# the open model's recorder (--arrival-rate) has its own hot path: it keeps them too
# (a batch's headers are folded every ``timing_chunk`` of them too: as a busy endpoint's)
@pytest.mark.parametrize("recorder_class", [Recorder, OpenRecorder])
@pytest.mark.parametrize("chunk", [Recorder.timing_chunk, 3])
@given(st.lists(request, max_size=100))
@settings(max_examples=150, deadline=None)
def test_every_successful_response_s_header_is_kept_once(recorder_class: type[Recorder],
                                                         chunk: int, steps: list[Any]) -> None:
    clock = Clock(1000.0)
    recorder = recorder_class(clock=clock, describe_error=str)
    recorder.timing_chunk = chunk
    expected: dict[tuple[int, str], tuple[list[str], float]] = {}
    intervals = []
    for advance, name, status, kind, which, failed, ms, take in steps:
        clock.now += advance
        lines = TIMINGS[which]
        response = (requests_response(status, lines) if kind == "requests"
                    else FastResponse(status, lines))
        recorder.on_request("GET", name, ms, 10, response=response,
                            exception=RuntimeError("x") if failed else None)
        if lines and not failed:
            headers, client = expected.setdefault((int(clock.now), name), ([], 0.0))
            expected[(int(clock.now), name)] = (headers + [", ".join(lines)], client + ms)
        if take:
            intervals += recorder.take_closed()
    intervals += recorder.take_all()
    got = {(i.start, i.name): i.server_timing for i in intervals
           if i.server_timing is not None}
    assert set(got) == set(expected)
    for key, (headers, client_ms) in expected.items():
        want = ServerTiming()
        want.add_headers(headers, 0.0)
        timing = got[key]
        assert timing.metrics == want.metrics and timing.responses == want.responses
        assert abs(timing.client_us - client_ms * 1000) <= len(headers)  # rounding, µs


def test_without_the_header_there_is_no_server_timing() -> None:
    clock = Clock(10.0)
    recorder = Recorder(clock=clock)
    for _ in range(50):
        recorder.on_request("GET", "/", 1.0, 5, response=requests_response(200, []))
        recorder.on_request("GET", "/f", 1.0, 5, response=FastResponse(200, []))
    assert all(i.server_timing is None for i in recorder.take_all())


def test_workers_merge_into_what_one_process_records() -> None:
    """Two recorders (two workers) merged give what one recorder of all the requests
    gives: the interval merge is exact for server timing too."""
    clock = Clock(100.0)
    one, a, b = (Recorder(clock=clock, interval_s=10) for _ in range(3))
    for i in range(300):
        clock.now = 100.0 + i * 0.01
        response = requests_response(200, [f'app;dur={i % 37}, db;dur=1;desc="{i % 5} queries"'])
        one.on_request("GET", "/x", float(i % 50), 1, response=response)
        (a if i % 3 else b).on_request("GET", "/x", float(i % 50), 1, response=response)
    (whole,) = one.take_all()
    merged, other = a.take_all() + b.take_all()
    merged.merge(other)
    assert merged.server_timing == whole.server_timing
    assert whole.server_timing is not None and whole.server_timing.responses == 300


def test_an_open_model_run_keeps_every_header_split_against_the_time_from_the_send() -> None:
    """The open model's recorder (from the due time) keeps the header of every response,
    by its hot path too, and splits it against the service time: the server cannot see
    how long an iteration waited for a user."""
    from gevent import getcurrent

    from swarmdeck.engine.openmodel.recorder import OpenRecorder

    clock = Clock(100.0)
    recorder = OpenRecorder(clock=clock)
    for i in range(200):
        clock.now = 100.0 + i * 0.004  # 200 responses within the second
        recorder._due[getcurrent()] = clock.now - 0.5  # each iteration 500 ms late
        recorder.on_request("GET", "/x", 10.0, 5, response=FastResponse(200, ["app;dur=8"]),
                            start_time=clock.now - 0.01)
    (interval,) = recorder.take_all()
    timing = interval.server_timing
    assert timing is not None and timing.responses == 200
    assert timing.client_us == 200 * 10_000  # the 10 ms from the send, not 510 from the due
    assert interval.histogram.percentiles([50])[0] >= 499_000  # the latency: from the due


def test_the_fold_reads_every_kind_of_raw_entry() -> None:
    """The fold turns the hot path's raw entries into header values, the common case (one
    (name, value) pair each) at C speed, any other as header_value reads it."""
    from swarmdeck.engine.timing_headers import header_value, header_values

    pairs = [("Server-Timing", "a;dur=1"), ("Server-Timing", ""), ("server-timing", "b")]
    assert header_values(pairs) == ["a;dur=1", "b"]
    mixed = [*pairs, None, [("Server-Timing", "c"), ("Server-Timing", "d")], "e"]
    expected = [value for value in map(header_value, mixed) if value]
    assert header_values(mixed) == expected == ["a;dur=1", "b", "c, d", "e"]
