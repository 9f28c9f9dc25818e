"""The built-in load shapes as Locust ``LoadTestShape`` classes: step, ramp, spike, soak.

Each is a thin wrapper over a validated `ShapeSpec` (pure, in ``swarmdeck.plan``): ``tick``
returns the spec's (users, spawn_rate) at the current run time, and None once the shape
has ended. Importing this module imports Locust (and so gevent's monkey-patching): only the
engine imports it.
"""

from __future__ import annotations

from typing import ClassVar

from locust import LoadTestShape

from swarmdeck.plan.shape_spec import ShapeSpec, Stage


class BuiltinShape(LoadTestShape):
    """A built-in shape driven by a `ShapeSpec`.

    Built-ins are ``abstract`` so that Locust does not pick them up when a locustfile merely
    imports them; a locustfile may subclass one with a class attribute ``spec``.
    """

    abstract: ClassVar[bool] = True
    shape_name: ClassVar[str] = ""
    spec: ShapeSpec | None = None

    def __init__(self, spec: ShapeSpec | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # LoadTestShape is unannotated
        spec = spec or type(self).spec
        if spec is None:
            raise TypeError(f"{type(self).__name__} needs a ShapeSpec (pass one, or set `spec`)")
        if spec.name != self.shape_name:
            raise TypeError(f"{type(self).__name__} runs {self.shape_name!r} specs, "
                            f"not {spec.name!r}")
        self.spec = spec
        self._stages = spec.stages()

    @property
    def total_duration_s(self) -> float:
        return self._stages[-1].end_s

    def stages(self) -> list[Stage]:
        return list(self._stages)

    def run_time_s(self) -> float:
        """Seconds since the shape started (Locust's ``get_run_time``, typed)."""
        return float(self.get_run_time())  # type: ignore[no-untyped-call]  # unannotated

    def current_stage(self) -> Stage | None:
        t = self.run_time_s()
        return next((s for s in self._stages if t < s.end_s), None)

    def tick(self) -> tuple[int, float] | None:
        stage = self.current_stage()
        return None if stage is None else (stage.users_at(self.run_time_s()), stage.spawn_rate)


class StepShape(BuiltinShape):
    """Baseline, expected peak, beyond the peak, recovery (or any list of stages)."""

    abstract = True
    shape_name = "step"


class RampShape(BuiltinShape):
    """From start_users to users linearly over ``ramp``, then hold."""

    abstract = True
    shape_name = "ramp"


class SpikeShape(BuiltinShape):
    """base_users, a spike to spike_users at spike_at for spike_duration, then back."""

    abstract = True
    shape_name = "spike"


class SoakShape(BuiltinShape):
    """Ramp up to users, then hold for a long time."""

    abstract = True
    shape_name = "soak"


SHAPES: dict[str, type[BuiltinShape]] = {
    cls.shape_name: cls for cls in (StepShape, RampShape, SpikeShape, SoakShape)
}


def build_shape(spec: ShapeSpec) -> BuiltinShape:
    """A Locust shape instance for ``spec``; pass it as ``Environment(shape_class=...)``."""
    return SHAPES[spec.name](spec)


__all__ = ["SHAPES", "BuiltinShape", "RampShape", "SoakShape", "SpikeShape", "StepShape",
           "build_shape"]
