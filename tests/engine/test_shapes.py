"""The built-in Locust shapes tick through their stages and end with None."""

from __future__ import annotations

from itertools import pairwise

import pytest
from locust import HttpUser, LoadTestShape, task
from locust.env import Environment
from locust.util.load_locustfile import is_shape_class

from swarmdeck.engine.shapes import (
    SHAPES,
    BuiltinShape,
    RampShape,
    SoakShape,
    SpikeShape,
    StepShape,
    build_shape,
)
from swarmdeck.plan import SHAPE_NAMES, Defaults, ShapeSpec


def clocked(spec: ShapeSpec) -> BuiltinShape:
    """The shape for ``spec`` with a clock the test sets (``shape.now``)."""
    cls = SHAPES[spec.name]
    stub = type(f"Clocked{cls.__name__}", (cls,), {"now": 0.0,
                                                   "get_run_time": lambda self: self.now})
    return stub(spec)


def ticks(shape: BuiltinShape, times: list[float]) -> list[tuple[int, float] | None]:
    out = []
    for t in times:
        shape.now = t  # type: ignore[attr-defined]
        out.append(shape.tick())
    return out


def test_step_ticks_follow_the_stages() -> None:
    shape = clocked(ShapeSpec.build("step", {"stages": [
        {"name": "baseline", "users": 10, "duration": "30s", "spawn_rate": 5},
        {"name": "peak", "users": 40, "duration": "1m", "spawn_rate": 5},
        {"name": "beyond_peak", "users": 60, "duration": "1m", "spawn_rate": 5},
        {"name": "recovery", "users": 10, "duration": "30s", "spawn_rate": 10},
    ]}, Defaults()))
    assert ticks(shape, [0, 29.9, 30, 89.9, 90, 149.9, 150, 179.9, 180, 500]) == [
        (10, 5.0), (10, 5.0), (40, 5.0), (40, 5.0), (60, 5.0), (60, 5.0),
        (10, 10.0), (10, 10.0), None, None]
    assert shape.total_duration_s == 180.0
    assert [(s.name, s.start_s, s.end_s, s.users) for s in shape.stages()] == [
        ("baseline", 0.0, 30.0, 10), ("peak", 30.0, 90.0, 40),
        ("beyond_peak", 90.0, 150.0, 60), ("recovery", 150.0, 180.0, 10)]


def test_ramp_ticks_climb_linearly_then_hold() -> None:
    shape = clocked(ShapeSpec.build("ramp", {"start_users": 0, "users": 100, "ramp": "100s",
                                             "hold": "1m", "spawn_rate": 2}, Defaults()))
    users = [tick[0] if tick else None for tick in ticks(shape, [0, 25, 50, 75, 100, 159, 160])]
    assert users == [0, 25, 50, 75, 100, 100, None]


def test_spike_ticks() -> None:
    shape = clocked(ShapeSpec.build("spike", {"base_users": 5, "spike_users": 50,
                                              "spike_at": 60, "spike_duration": 20,
                                              "recovery": 40}, Defaults()))
    users = [tick[0] if tick else None for tick in ticks(shape, [0, 59, 60, 79, 80, 119, 120])]
    assert users == [5, 5, 50, 50, 5, 5, None]


def test_soak_ticks() -> None:
    shape = clocked(ShapeSpec.build("soak", {"users": 20, "ramp": "1m", "hold": "2h"},
                                    Defaults()))
    users = [tick[0] if tick else None for tick in ticks(shape, [0, 30, 60, 3600, 7259, 7260])]
    assert users == [0, 10, 20, 20, 20, None]


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_every_shape_ends_and_its_stages_cover_it(name: str) -> None:
    shape = clocked(ShapeSpec.build(name, {}, Defaults(users=30, spawn_rate=3.0)))
    stages = shape.stages()
    assert stages[0].start_s == 0.0 and stages[-1].end_s == shape.total_duration_s
    assert all(a.end_s == b.start_s for a, b in pairwise(stages))
    for stage in stages:
        shape.now = (stage.start_s + stage.end_s) / 2  # type: ignore[attr-defined]
        assert shape.tick() is not None
        assert shape.current_stage() == stage
    shape.now = shape.total_duration_s  # type: ignore[attr-defined]
    assert shape.tick() is None and shape.current_stage() is None


@pytest.mark.parametrize(("name", "cls"), [
    ("step", StepShape), ("ramp", RampShape), ("spike", SpikeShape), ("soak", SoakShape)])
def test_build_shape_gives_the_locust_shape_for_the_spec(name: str, cls: type) -> None:
    spec = ShapeSpec.build(name, {}, Defaults(users=10))
    shape = build_shape(spec)
    assert type(shape) is cls and isinstance(shape, LoadTestShape)
    assert shape.spec == spec
    assert 0 <= shape.get_run_time() < 5


def test_locust_runs_a_built_in_shape_instance() -> None:
    class Visitor(HttpUser):
        host = "http://127.0.0.1:1"

        @task
        def index(self) -> None:  # pragma: no cover - never started
            self.client.get("/")

    shape = build_shape(ShapeSpec.build("ramp", {}, Defaults(users=5)))
    env = Environment(user_classes=[Visitor], shape_class=shape)
    runner = env.create_local_runner()
    try:
        assert shape.runner is runner
        assert shape.tick() == (0, 1.0)
    finally:
        runner.quit()


def test_locust_does_not_pick_up_built_ins_imported_into_a_locustfile() -> None:
    assert not any(is_shape_class(cls) for cls in SHAPES.values())


def test_a_locustfile_can_subclass_a_built_in_with_a_spec() -> None:
    class MyStep(StepShape):
        spec = ShapeSpec.build("step", {}, Defaults(users=8))

    assert is_shape_class(MyStep)
    assert MyStep().tick() == (2, 1.0)


def test_a_shape_needs_its_own_kind_of_spec() -> None:
    with pytest.raises(TypeError, match="needs a ShapeSpec"):
        StepShape()
    with pytest.raises(TypeError, match="'ramp'"):
        StepShape(ShapeSpec.build("ramp", {}, Defaults()))
