"""What the run makes of its monitors' batches: points once per series and second, a source
lost and back as events, its gaps in seconds since the start."""

from __future__ import annotations

from swarmdeck.monitors.spec import parse_spec
from swarmdeck.monitors.tracker import Tracker
from swarmdeck.records.monitors import Batch, Reading

T0 = 1_700_000_000


def ok(at: int, value: float = 1.0) -> Batch:
    return Batch(0, at, (Reading("redis.ops", value, "/s"),))


def test_a_source_lost_and_back_leaves_a_gap_and_two_events() -> None:
    tracker = Tracker([parse_spec("redis://:pw@127.0.0.1:6379/0")])
    assert tracker.opened(0, None) is None
    points, event = tracker.batch(ok(T0))
    assert event is None and [(p.series, p.at, p.source) for p in points] == [
        ("redis.ops", T0, "redis://:***@127.0.0.1:6379/0")]
    _, lost = tracker.batch(Batch(0, T0 + 1, error="Redis: Connection refused"))
    assert lost is not None and "lost: Redis: Connection refused" in lost and "pw" not in lost
    assert tracker.batch(Batch(0, T0 + 2, error="Redis: Connection refused")) == ([], None)
    assert tracker.failing() == ["redis://:***@127.0.0.1:6379/0"]
    _, back = tracker.batch(ok(T0 + 3))
    assert back is not None and back.endswith("is back")
    (source,) = tracker.sources(T0 - 0.5)
    assert source.status == "lost" and source.gaps == ((1.5, 3.5),) and source.samples == 2
    assert source.summary_line is not None and "was lost for 2 s in 1 gap" in \
        source.summary_line


def test_a_second_already_taken_is_dropped() -> None:
    tracker = Tracker([parse_spec("redis://127.0.0.1:6379/0")])
    assert len(tracker.batch(ok(T0))[0]) == 1
    assert tracker.batch(ok(T0, 5.0))[0] == []  # again: the first one stays
    assert len(tracker.batch(ok(T0 + 1))[0]) == 1


def test_never_reached_is_unreachable() -> None:
    tracker = Tracker([parse_spec("process:/run/missing.pid")])
    warning = tracker.opened(0, "cannot read the pid file /run/missing.pid")
    assert warning is not None and "could not be reached" in warning
    tracker.batch(Batch(0, T0, error="cannot read the pid file /run/missing.pid"))
    (source,) = tracker.sources(T0)
    assert source.status == "unreachable" and source.samples == 0
    assert source.summary_line == ("monitor process:/run/missing.pid could not be reached: "
                                   "cannot read the pid file /run/missing.pid")
