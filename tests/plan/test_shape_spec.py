"""Shape specs (pure): defaults scaled from the plan, stages, and the target at time t."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.plan import SHAPE_NAMES, Defaults, Invalid, ShapeSpec, Stage


def test_step_defaults_follow_the_guide_scaled_from_users() -> None:
    spec = ShapeSpec.build("step", {}, Defaults(users=100, spawn_rate=1.0))
    assert [(s.name, s.start_s, s.end_s, s.users) for s in spec.stages()] == [
        ("baseline", 0.0, 60.0, 25),
        ("peak", 60.0, 120.0, 100),
        ("beyond_peak", 120.0, 180.0, 150),
        ("recovery", 180.0, 240.0, 25),
    ]


def test_step_defaults_split_the_run_time() -> None:
    spec = ShapeSpec.build("step", {}, Defaults(users=8, run_time_s=600.0))
    assert [s.duration_s for s in spec.stages()] == [150.0] * 4
    assert [s.users for s in spec.stages()] == [2, 8, 12, 2]


def test_a_single_user_still_gets_users_in_every_stage() -> None:
    spec = ShapeSpec.build("step", {}, Defaults(users=1))
    assert [s.users for s in spec.stages()] == [1, 1, 2, 1]


def test_default_spawn_rates_reach_each_stage_in_a_tenth_of_it() -> None:
    spec = ShapeSpec.build("step", {}, Defaults(users=100, spawn_rate=1.0))
    before = 0
    for stage in spec.stages():
        assert abs(stage.users - before) / stage.spawn_rate <= stage.duration_s / 10
        before = stage.users
    fast = ShapeSpec.build("step", {}, Defaults(users=10, spawn_rate=50.0))
    assert {s.spawn_rate for s in fast.stages()} == {50.0}


def test_explicit_stages_with_their_own_rates() -> None:
    spec = ShapeSpec.build("step", {"stages": [
        {"name": "warm", "users": 5, "duration": "30s"},
        {"users": 20, "duration": 60, "spawn_rate": 2},
    ]}, Defaults(spawn_rate=1.0))
    stages = spec.stages()
    assert stages[0] == Stage("warm", 0.0, 30.0, 5, 2.0)
    assert stages[1] == Stage("stage2", 30.0, 90.0, 20, 2.0)
    assert spec.total_duration_s == 90.0


def test_step_target_at_times() -> None:
    spec = ShapeSpec.build("step", {}, Defaults(users=40, spawn_rate=5.0))
    assert spec.target_at(0) == (10, 5.0)
    assert spec.target_at(59.9) == (10, 5.0)
    assert spec.target_at(60) == (40, 5.0)
    assert spec.target_at(150)[0] == 60  # type: ignore[index]
    assert spec.target_at(239.9)[0] == 10  # type: ignore[index]
    assert spec.target_at(240) is None


def test_ramp_interpolates_then_holds() -> None:
    spec = ShapeSpec.build("ramp", {"start_users": 10, "users": 110, "ramp": "100s",
                                    "hold": "50s"}, Defaults())
    assert spec.target_at(0) == (10, 1.0)
    assert spec.target_at(50) == (60, 1.0)
    assert spec.target_at(99)[0] == 109  # type: ignore[index]
    assert spec.target_at(100) == (110, 1.0)
    assert spec.target_at(149) == (110, 1.0)
    assert spec.target_at(150) is None
    assert [s.name for s in spec.stages()] == ["ramp", "hold"]


def test_ramp_spawn_rate_keeps_up_with_the_slope() -> None:
    spec = ShapeSpec.build("ramp", {"users": 600, "ramp": "1m"}, Defaults(spawn_rate=1.0))
    assert spec.params["spawn_rate"] == 10.0
    down = ShapeSpec.build("ramp", {"start_users": 50, "users": 1, "ramp": 10, "hold": 0},
                           Defaults())
    assert [s.name for s in down.stages()] == ["ramp"]
    assert down.target_at(5) == (26, 5.0)  # 50 - 49 * 0.5 = 25.5, rounded half up


def test_spike_goes_up_at_its_time_and_comes_back() -> None:
    spec = ShapeSpec.build("spike", {"base_users": 10, "spike_users": 200, "spike_at": "1m",
                                     "spike_duration": "30s", "recovery": "1m"}, Defaults())
    rate = spec.params["spawn_rate"]
    assert 190 / rate <= 3.0  # reaches the spike within a tenth of it
    assert spec.target_at(59) == (10, rate)
    assert spec.target_at(60) == (200, rate)
    assert spec.target_at(89) == (200, rate)
    assert spec.target_at(90) == (10, rate)
    assert spec.target_at(150) is None


def test_spike_defaults_from_users_and_run_time() -> None:
    spec = ShapeSpec.build("spike", {}, Defaults(users=50, run_time_s=100.0))
    assert spec.params | {"spawn_rate": 0} == {
        "base_users": 5, "spike_users": 50, "spike_at": 40.0, "spike_duration": 20.0,
        "recovery": 40.0, "spawn_rate": 0}
    assert ShapeSpec.build("spike", {}, Defaults(users=1)).params["base_users"] == 0


def test_soak_ramps_up_then_holds_long() -> None:
    spec = ShapeSpec.build("soak", {}, Defaults(users=30))
    assert [(s.name, s.start_s, s.end_s, s.users) for s in spec.stages()] == [
        ("ramp", 0.0, 300.0, 30), ("hold", 300.0, 3600.0, 30)]
    assert spec.target_at(150)[0] == 15  # type: ignore[index]
    assert spec.target_at(3599)[0] == 30  # type: ignore[index]
    assert spec.target_at(3600) is None


def test_unknown_shape_name_suggests() -> None:
    with pytest.raises(Invalid) as caught:
        ShapeSpec.build("stpe", {}, Defaults())
    assert caught.value.subkey == ("name",) and "'step'" in (caught.value.hint or "")


shape_params: st.SearchStrategy[tuple[str, dict[str, object]]] = st.one_of(
    st.tuples(st.just("step"), st.fixed_dictionaries({})),
    st.tuples(st.just("step"), st.fixed_dictionaries({"stages": st.lists(
        st.fixed_dictionaries({"users": st.integers(0, 500), "duration": st.integers(1, 3600)}),
        min_size=1, max_size=6)})),
    st.tuples(st.just("ramp"), st.fixed_dictionaries({}, optional={
        "start_users": st.integers(0, 500), "users": st.integers(1, 500),
        "ramp": st.integers(1, 3600), "hold": st.integers(0, 3600)})),
    st.tuples(st.just("spike"), st.fixed_dictionaries({"spike_users": st.integers(2, 500)},
                                                      optional={
        "spike_at": st.integers(1, 600), "spike_duration": st.integers(1, 600),
        "recovery": st.integers(0, 600)})),
    st.tuples(st.just("soak"), st.fixed_dictionaries({}, optional={
        "users": st.integers(1, 500), "ramp": st.integers(1, 600), "hold": st.integers(1, 9999)})),
)


@given(shape_params, st.integers(1, 1000), st.floats(0.1, 100),
       st.one_of(st.none(), st.integers(1, 10_000).map(float)))
def test_stages_cover_the_shape_contiguously_and_it_ends(
    name_params: tuple[str, dict[str, object]], users: int, rate: float, run_time: float | None
) -> None:
    name, params = name_params
    spec = ShapeSpec.build(name, params, Defaults(users, rate, run_time))
    stages = spec.stages()
    assert stages[0].start_s == 0.0
    for earlier, later in pairwise(stages):
        assert earlier.end_s == later.start_s
    assert all(s.end_s > s.start_s for s in stages)
    assert stages[-1].end_s == spec.total_duration_s
    for stage in stages:
        assert spec.target_at(stage.start_s) is not None
        if stage.start_users is None:
            assert spec.target_at(stage.start_s) == (stage.users, stage.spawn_rate)
    assert spec.target_at(spec.total_duration_s) is None
    assert ShapeSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_every_shape_is_json_and_rebuilds(name: str) -> None:
    spec = ShapeSpec.build(name, {}, Defaults(users=20, spawn_rate=2.0))
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["name"] == name
    assert ShapeSpec.from_dict(data) == spec
    assert ShapeSpec.from_dict(data).stages() == spec.stages()
