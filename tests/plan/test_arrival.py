"""The open model's schedule (pure): rates, stages, when each iteration is due, the split
over generators, and how the plan asks for it."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.errors import PlanError
from swarmdeck.plan import Invalid, ShapeSpec, resolve
from swarmdeck.plan.arrival import ArrivalSchedule, RateStage, parse_rate


@pytest.mark.parametrize(("text", "per_s"), [
    ("200/s", 200.0), ("30/m", 0.5), ("7200/h", 2.0), ("200", 200.0), (" 12.5 / S ", 12.5),
    (50, 50.0), (0, 0.0), ("0.5/s", 0.5)])
def test_rates_read_per_second_or_minute(text: object, per_s: float) -> None:
    assert parse_rate(text) == per_s


@pytest.mark.parametrize("text", ["fast", "200/d", "-5/s", "/s", True, [1], "1e9/s"])
def test_a_bad_rate_says_how_to_write_one(text: object) -> None:
    with pytest.raises(Invalid) as caught:
        parse_rate(text)
    assert "200/s" in str(caught.value) or "200/s" in (caught.value.hint or "")


def test_a_constant_rate_starts_one_iteration_every_interval() -> None:
    schedule = ArrivalSchedule.constant(100.0, 10.0)
    times = [t for _, t in schedule.times()]
    assert len(times) == schedule.total == 1000
    assert times[:3] == [0.0, 0.01, 0.02]
    assert all(b - a == pytest.approx(0.01) for a, b in itertools.pairwise(times))
    assert times[-1] == pytest.approx(9.99)


def test_a_ramp_follows_the_area_under_the_rate() -> None:
    # 0 -> 100/s over 10 s: 500 iterations, the k-th at sqrt(2 k / 10)
    schedule = ArrivalSchedule(0.0, (RateStage("up", 10.0, 100.0),))
    times = dict(schedule.times())
    assert len(times) == 500
    assert times[0] == 0.0
    assert times[200] == pytest.approx(math.sqrt(2 * 200 / 10))
    assert schedule.rate_at(5.0) == 50.0 and schedule.rate_at(10.0) == 0.0


def test_a_stage_of_zero_seconds_jumps() -> None:
    schedule = ArrivalSchedule(0.0, (RateStage("jump", 0.0, 50.0), RateStage("hold", 2.0, 50.0)))
    times = [t for _, t in schedule.times()]
    assert len(times) == 100 and times[1] == pytest.approx(0.02)


rates = st.floats(min_value=0.0, max_value=400.0, allow_nan=False).map(lambda r: round(r, 2))
stages = st.lists(st.tuples(st.floats(min_value=0.0, max_value=5.0).map(lambda d: round(d, 2)),
                            rates), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(start=rates, spec=stages)
def test_any_schedule_is_due_in_order_within_its_length_as_often_as_its_rate(
        start: float, spec: list[tuple[float, float]]) -> None:
    schedule = ArrivalSchedule(start, tuple(RateStage(f"s{i}", d, r)
                                            for i, (d, r) in enumerate(spec)))
    due = list(schedule.times())
    assert [k for k, _ in due] == list(range(len(due)))
    times = [t for _, t in due]
    assert times == sorted(times)
    assert all(0.0 <= t <= schedule.total_s + 1e-9 for t in times)
    assert len(due) == schedule.total
    # by any moment, the iterations due are the area under the rate, rounded up
    for cut in (schedule.total_s * f for f in (0.25, 0.5, 0.75)):
        count = sum(1 for t in times if t < cut - 1e-6)
        assert abs(count - schedule.expected(cut)) <= 1.0 + 1e-6


@settings(max_examples=80, deadline=None)
@given(spec=stages, count=st.integers(min_value=1, max_value=5))
def test_generators_split_a_schedule_exactly(spec: list[tuple[float, float]],
                                             count: int) -> None:
    schedule = ArrivalSchedule(spec[0][1], tuple(RateStage(f"s{i}", d, r)
                                                 for i, (d, r) in enumerate(spec)))
    whole = list(schedule.times())
    parts = [list(schedule.times(i, count)) for i in range(count)]
    assert sorted(x for part in parts for x in part) == whole
    assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 1


def plan_of(tmp_path: Path, toml: str = "", **cli: object) -> object:
    (tmp_path / "swarmdeck.toml").write_text(toml)
    return resolve({"host": "http://127.0.0.1:1", **cli}, {}, tmp_path)


def test_arrival_rate_and_run_time_make_a_constant_schedule(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, arrival_rate="200/s", run_time="30s")
    assert plan.open_model  # type: ignore[attr-defined]
    assert plan.schedule == ArrivalSchedule.constant(200.0, 30.0)  # type: ignore[attr-defined]
    # the pool: a tenth of the peak rate first, up to twice the rate per second
    assert plan.pool() == (20, 400)  # type: ignore[attr-defined]


def test_users_and_max_users_size_the_pool(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, arrival_rate="200/s", run_time="30s", users="5", max_users="50")
    assert plan.pool() == (5, 50)  # type: ignore[attr-defined]
    capped = plan_of(tmp_path, arrival_rate="200/s", run_time="30s", max_users="8")
    assert capped.pool() == (8, 8)  # type: ignore[attr-defined]


def test_an_arrival_shape_in_the_plan_file(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, '[shape]\nkind = "arrival"\nstart_rate = "10/s"\n'
                             '[[shape.stages]]\nduration = "1m"\nrate = "100/s"\n'
                             '[[shape.stages]]\nname = "hold"\nduration = "30s"\nrate = 100\n')
    assert plan.end_s == 90.0  # type: ignore[attr-defined]
    schedule = plan.schedule  # type: ignore[attr-defined]
    assert schedule.start_rate == 10.0 and schedule.peak_rate == 100.0
    assert [s.name for s in plan.shape.stages()] == ["stage1", "hold"]  # type: ignore[attr-defined]
    spec = ShapeSpec.from_dict(plan.shape.to_dict())  # type: ignore[attr-defined]
    assert spec == plan.shape  # type: ignore[attr-defined]
    assert spec.stages()[1].rate == 100.0


@pytest.mark.parametrize(("toml", "cli", "message"), [
    ("", {"arrival_rate": "100/s"}, "--arrival-rate (--arrival-rate) needs a run time"),
    ('[shape]\nkind = "arrival"\n[[shape.stages]]\nduration = "1m"\nrate = "9/s"\n',
     {"arrival_rate": "100/s"}, "both set the load"),
    ("", {"arrival_rate": "100/s", "run_time": "1m", "shape": "step"}, "both set the load"),
    ('[shape]\nkind = "arrival"\n', {}, "'shape.stages' in swarmdeck.toml:1 needs stages"),
    ('[shape]\nkind = "arrival"\n[[shape.stages]]\nduration = "1m"\n', {},
     "'shape.stages[0]' in swarmdeck.toml:3 is missing 'rate'"),
    ('[shape]\nkind = "arrival"\n[[shape.stages]]\nduration = "1m"\nrate = "lots"\n', {},
     "'shape.stages[0].rate' in swarmdeck.toml:5 must be a rate such as 200/s"),
    ('[shape]\nkind = "open"\n', {}, "'shape.kind' in swarmdeck.toml:2 must be one of users"),
])
def test_a_bad_open_model_plan_says_where_and_how(tmp_path: Path, toml: str,
                                                  cli: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan_of(tmp_path, toml, **cli)
    assert message in caught.value.message


@settings(max_examples=80, deadline=None)
@given(spec=stages, count=st.integers(min_value=1, max_value=5),
       size=st.integers(min_value=1, max_value=50))
def test_the_due_times_in_chunks_are_the_formula_s_value_for_value(
        spec: list[tuple[float, float]], count: int, size: int) -> None:
    schedule = ArrivalSchedule(spec[0][1], tuple(RateStage(f"s{i}", d, r)
                                                 for i, (d, r) in enumerate(spec)))
    for index in range(count):
        expected = []  # k by k, as the scalar formula gives it
        k = index
        for piece in schedule._pieces():
            while k < piece.area_before + piece.area - 1e-9:
                expected.append((k, piece.start_s + piece.offset_of(k - piece.area_before)))
                k += count
        chunked = [(int(k), float(t)) for ks, offsets in schedule.chunks(index, count, size)
                   for k, t in zip(ks, offsets)]
        assert chunked == expected
        assert all(len(ks) <= size for ks, _ in schedule.chunks(index, count, size))
