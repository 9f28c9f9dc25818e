"""Built-in load shapes as pure data: parameters, validation, stages and the target at time t.

No Locust here (importing Locust patches the process with gevent). The `LoadTestShape`
classes in ``swarmdeck.engine.shapes`` are thin wrappers over `ShapeSpec.target_at`, and the
analysis reads `ShapeSpec.stages` from a stored plan to compute percentiles per stage.

Every stage without its own spawn rate reaches its users within the first tenth of the
stage (or faster, at the plan's spawn rate); an explicit spawn rate too slow to reach a
stage's users within the stage is an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from swarmdeck.plan.values import (
    Invalid,
    KeyPath,
    describe,
    parse_duration_value,
    parse_int,
    parse_positive_float,
    parse_text,
    reject_unknown,
    suggest,
)

SHAPE_NAMES = ("step", "ramp", "spike", "soak")  # the users shapes (the closed model)
ARRIVAL = "arrival"  # the open model's shape: arrival rates, not users (plan/arrival.py)
KINDS = ("users", ARRIVAL)  # [shape] kind: closed (users, the default) or open (arrival)
NO_SHAPE = "none"
STEP_DEFAULTS = (("baseline", 25), ("peak", 100), ("beyond_peak", 150), ("recovery", 25))
DEFAULT_TOTAL_S = {"step": 240.0, "ramp": 120.0, "spike": 300.0, "soak": 3600.0}
REACH_FRACTION = 0.1  # a stage without its own spawn rate reaches its users in this share


@dataclass(frozen=True)
class Stage:
    """A time span of a shape: ``[start_s, end_s)`` holding ``users`` users.

    With ``start_users`` set, the users ramp linearly from ``start_users`` at ``start_s``
    towards ``users`` at ``end_s``.
    """

    name: str
    start_s: float
    end_s: float
    users: int
    spawn_rate: float = 1.0
    start_users: int | None = None
    rate: float | None = None  # an arrival shape's: iterations/s at the stage's end

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def users_at(self, t: float) -> int:
        if self.start_users is None or self.duration_s <= 0:
            return self.users
        fraction = min(max((t - self.start_s) / self.duration_s, 0.0), 1.0)
        return _round(self.start_users + (self.users - self.start_users) * fraction)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Defaults:
    """What unset shape parameters scale from: the plan's users, spawn rate and run time."""

    users: int = 1
    spawn_rate: float = 1.0
    run_time_s: float | None = None
    arrival_rate: float | None = None  # --arrival-rate: an arrival shape without stages

    def total_s(self, shape: str) -> float:
        return self.run_time_s if self.run_time_s else DEFAULT_TOTAL_S[shape]

    def share(self, shape: str, fraction: float) -> float:
        return max(0.001, round(self.total_s(shape) * fraction, 3))


@dataclass(frozen=True)
class ShapeSpec:
    """A validated built-in shape: its name and every parameter resolved (JSON-able).

    Durations in ``params`` are seconds; ``ShapeSpec.from_dict(spec.to_dict()) == spec``.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, params: Mapping[str, object], defaults: Defaults) -> ShapeSpec:
        """Validate ``params`` (a ``[shape]`` table without ``name``) and fill in defaults.

        Raises `Invalid` whose ``subkey`` is the parameter's path inside the shape table.
        """
        if name not in _BUILDERS:
            raise Invalid(f"is not a built-in shape: {describe(name)}", ("name",),
                          suggest(name, (*SHAPE_NAMES, ARRIVAL)))
        return cls(name, _BUILDERS[name](params, defaults))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShapeSpec:
        """Rebuild a spec from `to_dict` output (e.g. a stored run's plan)."""
        params = dict(data)
        name = params.pop("name", None)
        if not isinstance(name, str):
            raise Invalid("needs a name", ("name",), "e.g. name = \"step\"")
        return cls.build(name, params, Defaults())

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}

    @property
    def arrival(self) -> bool:
        """An arrival shape (the open model): rates of iterations, not users."""
        return self.name == ARRIVAL

    def stages(self) -> list[Stage]:
        return _STAGES[self.name](self.params)

    @property
    def total_duration_s(self) -> float:
        return self.stages()[-1].end_s

    def target_at(self, t: float) -> tuple[int, float] | None:
        """(users, spawn_rate) at ``t`` seconds into the run, or None once the shape ended."""
        for stage in self.stages():
            if t < stage.end_s:
                return stage.users_at(t), stage.spawn_rate
        return None


def parse_shape_value(value: object) -> tuple[str, dict[str, object]] | None:
    """A shape as a source gives it: a name (``"step"``, ``"none"``) or a table with a name,
    or with ``kind = "arrival"`` (the open model's shape, whose name may be left out)."""
    if isinstance(value, str):
        name = parse_text(value).lower()
        if name == NO_SHAPE:
            return None
        if name not in (*SHAPE_NAMES, ARRIVAL):
            raise Invalid(f"must be one of {', '.join(SHAPE_NAMES)}, {ARRIVAL} or {NO_SHAPE}, "
                          f"got {value!r}", (), suggest(name, (*SHAPE_NAMES, ARRIVAL)))
        return name, {}
    if isinstance(value, dict):
        params = dict(value)
        kind = params.pop("kind", None)
        if kind is not None:
            if not isinstance(kind, str) or kind.lower() not in KINDS:
                raise Invalid(f"must be one of {', '.join(KINDS)}, got {describe(kind)}",
                              ("kind",), 'kind = "arrival" starts iterations at a rate '
                              "(the open model); users shapes need no kind")
            if kind.lower() == ARRIVAL:
                name = params.pop("name", ARRIVAL)
                if name != ARRIVAL:
                    raise Invalid(f'must be "arrival" (or left out) with kind = "arrival", '
                                  f"got {describe(name)}", ("name",))
                return ARRIVAL, params
            if params.get("name") == ARRIVAL:
                raise Invalid('"arrival" is a shape of kind "arrival"', ("kind",),
                              'write kind = "arrival"')
        if "name" not in params:
            raise Invalid("needs a name", (),
                          f"add name = \"step\"; the shapes are {', '.join(SHAPE_NAMES)}")
        name = params.pop("name")
        if not isinstance(name, str) or name.lower() not in SHAPE_NAMES:
            hint = suggest(name, SHAPE_NAMES) if isinstance(name, str) else None
            raise Invalid(f"must be one of {', '.join(SHAPE_NAMES)}, got {describe(name)}",
                          ("name",), hint)
        return name.lower(), params
    raise Invalid(f"must be a shape name or a [shape] table, got {describe(value)}")


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def _share_of(users: int, percent: int) -> int:
    return max(1, (users * percent + 50) // 100)


def _rate_up(x: float) -> float:
    return math.ceil(round(x * 100, 6)) / 100


def _get(params: Mapping[str, object], key: str, parse: Callable[[object], Any],
         default: Any, prefix: KeyPath = ()) -> Any:
    if key not in params:
        return default
    try:
        return parse(params[key])
    except Invalid as exc:
        raise Invalid(exc.problem, (*prefix, key, *exc.subkey), exc.hint) from None


def _users(minimum: int) -> Callable[[object], int]:
    return lambda v: parse_int(v, minimum=minimum)


def _duration(positive: bool) -> Callable[[object], float]:
    return lambda v: parse_duration_value(v, positive=positive)


def _reach_rate(delta: int, duration_s: float, floor: float) -> float:
    """The default spawn rate: reach ``delta`` more (or fewer) users within a tenth of the stage."""
    if delta == 0 or duration_s <= 0:
        return floor
    return max(floor, float(math.ceil(round(abs(delta) / (duration_s * REACH_FRACTION), 6))))


def _check_reach(stage: str, before: int, users: int, rate: float, duration_s: float,
                 key: KeyPath) -> None:
    needed = abs(users - before) / rate
    if needed > duration_s + 1e-9:
        raise Invalid(
            f"is too slow: stage {stage!r} goes from {before} to {users} users, which takes "
            f"{needed:g}s at {rate:g} users/s, but lasts {duration_s:g}s", key,
            f"raise it to at least {_rate_up(abs(users - before) / duration_s):g}, "
            f"or lengthen the stage")


# step ------------------------------------------------------------------------------------

STEP_KEYS = ("spawn_rate", "stages")
STEP_STAGE_KEYS = ("name", "users", "duration", "spawn_rate")


def _build_step(params: Mapping[str, object], d: Defaults) -> dict[str, Any]:
    reject_unknown(params, STEP_KEYS)
    shape_rate = _get(params, "spawn_rate", parse_positive_float, None)
    raw = params.get("stages")
    if raw is None:
        duration = d.share("step", 0.25)
        raw = [{"name": n, "users": _share_of(d.users, pct), "duration": duration}
               for n, pct in STEP_DEFAULTS]
    elif not isinstance(raw, list) or not raw:
        raise Invalid(f"must be a non-empty list of stage tables, got {describe(raw)}", ("stages",),
                      "add [[shape.stages]] tables with users and duration")
    stages: list[dict[str, Any]] = []
    before = 0
    for i, item in enumerate(raw):
        at: KeyPath = ("stages", i)
        if not isinstance(item, dict):
            raise Invalid(f"must be a table with users and duration, got {describe(item)}", at)
        reject_unknown(item, STEP_STAGE_KEYS, at)
        for required in ("users", "duration"):
            if required not in item:
                raise Invalid(f"is missing {required!r}", at,
                              "each stage needs users = N and duration = \"30s\"")
        name = _get(item, "name", parse_text, f"stage{i + 1}", at)
        if any(s["name"] == name for s in stages):
            raise Invalid(f"repeats the stage name {name!r}", (*at, "name"), "give stages unique names")
        users = _get(item, "users", _users(0), None, at)
        duration = _get(item, "duration", _duration(True), None, at)
        rate = _get(item, "spawn_rate", parse_positive_float, None, at)
        if rate is not None:
            _check_reach(name, before, users, rate, duration, (*at, "spawn_rate"))
        elif shape_rate is not None:
            rate = shape_rate
            _check_reach(name, before, users, rate, duration, ("spawn_rate",))
        else:
            rate = _reach_rate(users - before, duration, d.spawn_rate)
        stages.append({"name": name, "users": users, "duration": duration, "spawn_rate": rate})
        before = users
    return {"stages": stages}


def _stages_step(params: Mapping[str, Any]) -> list[Stage]:
    out: list[Stage] = []
    start = 0.0
    for s in params["stages"]:
        out.append(Stage(s["name"], start, start + s["duration"], s["users"], s["spawn_rate"]))
        start += s["duration"]
    return out


# ramp and soak -----------------------------------------------------------------------------

RAMP_KEYS = ("start_users", "users", "ramp", "hold", "spawn_rate")
SOAK_KEYS = ("users", "ramp", "hold", "spawn_rate")


def _build_ramp_like(shape: str, params: Mapping[str, object], d: Defaults,
                     ramp_share: float) -> dict[str, Any]:
    keys = RAMP_KEYS if shape == "ramp" else SOAK_KEYS
    reject_unknown(params, keys)
    start_users = _get(params, "start_users", _users(0), 0)
    users = _get(params, "users", _users(1), d.users)
    ramp = _get(params, "ramp", _duration(True), d.share(shape, ramp_share))
    hold = _get(params, "hold", _duration(shape == "soak"), d.share(shape, 1 - ramp_share))
    slope = _rate_up(abs(users - start_users) / ramp)
    rate = _get(params, "spawn_rate", parse_positive_float, None)
    if rate is None:
        rate = max(d.spawn_rate, float(math.ceil(slope)))
    elif rate < slope:
        raise Invalid(f"is too slow: ramping from {start_users} to {users} users over {ramp:g}s "
                      f"needs {slope:g} users/s, got {rate:g}", ("spawn_rate",),
                      f"raise it to at least {slope:g}, or lengthen ramp")
    result = {"users": users, "ramp": ramp, "hold": hold, "spawn_rate": rate}
    return {"start_users": start_users, **result} if shape == "ramp" else result


def _stages_ramp_like(params: Mapping[str, Any]) -> list[Stage]:
    ramp, hold, rate = params["ramp"], params["hold"], params["spawn_rate"]
    start_users = params.get("start_users", 0)
    out = [Stage("ramp", 0.0, ramp, params["users"], rate, start_users)]
    if hold > 0:
        out.append(Stage("hold", ramp, ramp + hold, params["users"], rate))
    return out


# spike -------------------------------------------------------------------------------------

SPIKE_KEYS = ("base_users", "spike_users", "spike_at", "spike_duration", "recovery", "spawn_rate")


def _build_spike(params: Mapping[str, object], d: Defaults) -> dict[str, Any]:
    reject_unknown(params, SPIKE_KEYS)
    spike = _get(params, "spike_users", _users(1), d.users)
    base = _get(params, "base_users", _users(0), min(_share_of(d.users, 10), spike - 1))
    if spike <= base:
        key = "spike_users" if "spike_users" in params or "base_users" not in params else "base_users"
        raise Invalid(f"must leave spike_users above base_users, got spike_users = {spike} and "
                      f"base_users = {base}", (key,),
                      "raise spike_users, which defaults to the plan's users, or lower base_users")
    at = _get(params, "spike_at", _duration(True), d.share("spike", 0.4))
    length = _get(params, "spike_duration", _duration(True), d.share("spike", 0.2))
    recovery = _get(params, "recovery", _duration(False), d.share("spike", 0.4))
    rate = _get(params, "spawn_rate", parse_positive_float, None)
    phases = [("base", 0, base, at), ("spike", base, spike, length), ("recovery", spike, base, recovery)]
    if rate is None:
        rate = max(_reach_rate(new - old, span, d.spawn_rate) for _, old, new, span in phases)
    else:
        for stage, old, new, span in phases:
            if span > 0:
                _check_reach(stage, old, new, rate, span, ("spawn_rate",))
    return {"base_users": base, "spike_users": spike, "spike_at": at, "spike_duration": length,
            "recovery": recovery, "spawn_rate": rate}


def _stages_spike(params: Mapping[str, Any]) -> list[Stage]:
    at, length, rate = params["spike_at"], params["spike_duration"], params["spawn_rate"]
    out = [Stage("base", 0.0, at, params["base_users"], rate),
           Stage("spike", at, at + length, params["spike_users"], rate)]
    if params["recovery"] > 0:
        out.append(Stage("recovery", at + length, at + length + params["recovery"],
                         params["base_users"], rate))
    return out


# arrival (the open model) --------------------------------------------------------------------

def _build_arrival(params: Mapping[str, object], d: Defaults) -> dict[str, Any]:
    from swarmdeck.plan.arrival import build_arrival

    return build_arrival(params, d.arrival_rate, d.run_time_s)


def _stages_arrival(params: Mapping[str, Any]) -> list[Stage]:
    from swarmdeck.plan.arrival import schedule_of, stage_spans

    return [Stage(name, start, end, 0, rate=rate)
            for name, start, end, rate in stage_spans(schedule_of(params))]


_BUILDERS: dict[str, Callable[[Mapping[str, object], Defaults], dict[str, Any]]] = {
    "arrival": _build_arrival,
    "step": _build_step,
    "ramp": lambda p, d: _build_ramp_like("ramp", p, d, 0.5),
    "spike": _build_spike,
    "soak": lambda p, d: _build_ramp_like("soak", p, d, 1 / 12),
}
_STAGES: dict[str, Callable[[Mapping[str, Any]], list[Stage]]] = {
    "arrival": _stages_arrival,
    "step": _stages_step,
    "ramp": _stages_ramp_like,
    "spike": _stages_spike,
    "soak": _stages_ramp_like,
}
SHAPE_KEYS: dict[str, tuple[str, ...]] = {
    "arrival": ("kind", "start_rate", "stages"),
    "step": STEP_KEYS, "ramp": RAMP_KEYS, "spike": SPIKE_KEYS, "soak": SOAK_KEYS,
}
