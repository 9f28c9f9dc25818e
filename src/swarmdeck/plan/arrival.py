"""The open model's schedule, as pure data: arrival rates over time, and when each iteration
is due.

An open-model run starts iterations on a schedule (an arrival rate), whatever the responses
do, instead of a fixed number of users each waiting for its own response. The schedule is a
start rate and stages, k6's ``ramping-arrival-rate``: each stage moves linearly from the
previous stage's rate to its own ``rate`` over its ``duration`` (a stage of duration 0 jumps);
``--arrival-rate 200/s`` is one constant stage as long as the run.

Iteration ``k`` (0, 1, 2, ...) is due when the area under the rate curve reaches ``k``: the
first at 0 s, and at a constant rate ``r`` one every ``1/r`` s, so that a stage of ``r``/s for
``d`` s holds exactly ``r * d`` iterations. A run split over ``count`` generators gives
generator ``index`` the iterations ``k`` with ``k % count == index``: together they start the
schedule exactly, each an even share of it.

No Locust and no clock here: ``engine/openmodel`` runs the schedule; it reads the due
times in chunks of numpy arrays (``chunks``), each computed at once with the formula
``_Piece.offset_of`` states, value for value the same doubles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from swarmdeck.plan.values import Invalid, KeyPath, describe, parse_duration_value, parse_text

RATE_UNITS: dict[str, float] = {"s": 1.0, "m": 60.0, "h": 3600.0}
_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?:/\s*([smh]))?\s*", re.IGNORECASE)
RATE_HINT = "write a rate as N/s or N/m, e.g. 200/s or 30/m (a plain number is per second)"
MAX_RATE = 1_000_000.0  # iterations per second: beyond any generator, surely a typo


def parse_rate(value: object) -> float:
    """A rate in iterations per second from ``"200/s"``, ``"30/m"``, ``"2/h"``, ``200`` or
    ``"200"`` (per second); 0 is allowed (a pause)."""
    if isinstance(value, bool):
        raise Invalid(f"must be a rate such as 200/s, got {describe(value)}", (), RATE_HINT)
    if isinstance(value, int | float):
        per_s = float(value)
    elif isinstance(value, str):
        match = _RATE.fullmatch(value)
        if match is None:
            raise Invalid(f"must be a rate such as 200/s, got {value!r}", (), RATE_HINT)
        per_s = float(match.group(1)) / RATE_UNITS[(match.group(2) or "s").lower()]
    else:
        raise Invalid(f"must be a rate such as 200/s, got {describe(value)}", (), RATE_HINT)
    if not (math.isfinite(per_s) and 0 <= per_s <= MAX_RATE):
        raise Invalid(f"must be a rate from 0 to {MAX_RATE:g}/s, got {describe(value)}", (),
                      RATE_HINT)
    return per_s


def format_rate(per_s: float) -> str:
    """``200/s``; rates under 1/s as ``30/m``."""
    if 0 < per_s < 1:
        return f"{per_s * 60:g}/m"
    return f"{per_s:g}/s"


@dataclass(frozen=True)
class RateStage:
    """From the previous stage's rate to ``rate`` (iterations/s) over ``duration_s``."""

    name: str
    duration_s: float
    rate: float


@dataclass(frozen=True)
class _Piece:
    start_s: float
    duration_s: float
    from_rate: float
    to_rate: float
    area_before: float  # iterations due before the piece starts

    @property
    def area(self) -> float:
        return self.duration_s * (self.from_rate + self.to_rate) / 2

    def offset_of(self, x: float) -> float:
        """Seconds into the piece at which the area since its start reaches ``x``.

        Solves ``a t + (b - a) t^2 / (2 d) = x`` in the form that stays exact when a == b
        and when a == 0 (``2x / (a + sqrt(a^2 + 2 (b - a) x / d))``)."""
        if x <= 0:
            return 0.0
        a, b, d = self.from_rate, self.to_rate, self.duration_s
        root = math.sqrt(max(a * a + 2 * (b - a) * x / d, 0.0))
        return min(2 * x / (a + root), d)

    def offsets_of(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``offset_of`` of each of ``x`` at once: the same operations in the same order on
        doubles, so the same results."""
        a, b, d = self.from_rate, self.to_rate, self.duration_s
        root = np.sqrt(np.maximum(a * a + 2 * (b - a) * x / d, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):  # x == 0 with a == 0: 0 / 0
            offsets = np.minimum(2 * x / (a + root), d)
        return np.where(x <= 0, 0.0, offsets)


@dataclass(frozen=True)
class ArrivalSchedule:
    """A start rate and its stages; every rate in iterations per second."""

    start_rate: float
    stages: tuple[RateStage, ...]

    @classmethod
    def constant(cls, rate: float, duration_s: float) -> ArrivalSchedule:
        return cls(rate, (RateStage("constant", duration_s, rate),))

    @property
    def total_s(self) -> float:
        return sum(s.duration_s for s in self.stages)

    @property
    def peak_rate(self) -> float:
        return max([self.start_rate, *(s.rate for s in self.stages)])

    def _pieces(self) -> list[_Piece]:
        pieces, start, area, before = [], 0.0, 0.0, self.start_rate
        for stage in self.stages:
            piece = _Piece(start, stage.duration_s, before, stage.rate, area)
            pieces.append(piece)
            start += stage.duration_s
            area += piece.area
            before = stage.rate
        return pieces

    def rate_at(self, t: float) -> float:
        """The target rate ``t`` seconds into the schedule (0 after its end)."""
        for piece in self._pieces():
            if t < piece.start_s + piece.duration_s:
                fraction = (t - piece.start_s) / piece.duration_s
                return piece.from_rate + (piece.to_rate - piece.from_rate) * fraction
        return 0.0

    def expected(self, t: float) -> float:
        """Iterations due in ``[0, t)``: the area under the rate curve (not rounded)."""
        total = 0.0
        for piece in self._pieces():
            if t <= piece.start_s:
                break
            span = min(t - piece.start_s, piece.duration_s)
            if piece.duration_s > 0:
                slope = (piece.to_rate - piece.from_rate) / piece.duration_s
                total += piece.from_rate * span + slope * span * span / 2
        return total

    @property
    def total(self) -> int:
        """How many iterations the whole schedule starts (iterations 0 .. total - 1)."""
        area = self.expected(self.total_s)
        return max(0, math.ceil(area - 1e-9))

    def times(self, index: int = 0, count: int = 1) -> Iterator[tuple[int, float]]:
        """(k, when iteration k is due, in seconds from the start) for every ``k`` with
        ``k % count == index``, in order."""
        for ks, offsets in self.chunks(index, count):
            yield from zip(ks.tolist(), offsets.tolist())

    def chunks(self, index: int = 0, count: int = 1, size: int = 1024
               ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        """``times`` as arrays of at most ``size``: (the k, when each is due)."""
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"generator {index} of {count}")
        k = index
        for piece in self._pieces():
            limit = piece.area_before + piece.area - 1e-9
            while k < limit:
                ks = np.arange(k, k + count * size, count, dtype=np.int64)
                ks = ks[ks < limit]
                yield ks, piece.start_s + piece.offsets_of(
                    (ks - piece.area_before).astype(np.float64))
                k = int(ks[-1]) + count

    def to_dict(self) -> dict[str, Any]:
        return {"start_rate": self.start_rate,
                "stages": [{"name": s.name, "duration": s.duration_s, "rate": s.rate}
                           for s in self.stages]}


# -- [shape] kind = "arrival" ----------------------------------------------------------------

ARRIVAL_KEYS = ("start_rate", "stages")
ARRIVAL_STAGE_KEYS = ("name", "duration", "rate")


def _field(item: Mapping[str, object], key: str, at: KeyPath, parse: Any) -> Any:
    try:
        return parse(item[key])
    except Invalid as exc:
        raise Invalid(exc.problem, (*at, key, *exc.subkey), exc.hint) from None


def build_arrival(params: Mapping[str, object], constant_rate: float | None,
                  run_time_s: float | None) -> dict[str, Any]:
    """The resolved parameters of an arrival shape: ``start_rate`` and ``stages`` (durations
    in seconds, rates per second). Without stages, ``constant_rate`` over ``run_time_s``
    (``--arrival-rate`` and ``-t``). Raises `Invalid` with the key's path."""
    from swarmdeck.plan.values import reject_unknown

    reject_unknown(params, ARRIVAL_KEYS)
    raw = params.get("stages")
    if raw is None:
        if constant_rate is None or not run_time_s:
            raise Invalid("needs stages (or --arrival-rate with -t)", ("stages",),
                          'add [[shape.stages]] tables with duration = "30s" and '
                          'rate = "100/s"')
        return {"start_rate": constant_rate, "stages": [
            {"name": "constant", "duration": run_time_s, "rate": constant_rate}]}
    if not isinstance(raw, list) or not raw:
        raise Invalid(f"must be a non-empty list of stage tables, got {describe(raw)}",
                      ("stages",), 'add [[shape.stages]] tables with duration and rate')
    stages: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        at: KeyPath = ("stages", i)
        if not isinstance(item, dict):
            raise Invalid(f"must be a table with duration and rate, got {describe(item)}", at)
        reject_unknown(item, ARRIVAL_STAGE_KEYS, at)
        for required in ("duration", "rate"):
            if required not in item:
                raise Invalid(f"is missing {required!r}", at,
                              'each stage needs duration = "30s" and rate = "100/s"')
        name = (_field(item, "name", at, parse_text) if "name" in item else f"stage{i + 1}")
        if any(s["name"] == name for s in stages):
            raise Invalid(f"repeats the stage name {name!r}", (*at, "name"),
                          "give stages unique names")
        stages.append({"name": name,
                       "duration": _field(item, "duration", at,
                                          lambda v: parse_duration_value(v, positive=False)),
                       "rate": _field(item, "rate", at, parse_rate)})
    if sum(s["duration"] for s in stages) <= 0:
        raise Invalid("last 0 s in all", ("stages",), "give a stage a duration")
    start = (_field(params, "start_rate", (), parse_rate) if "start_rate" in params
             else 0.0)
    return {"start_rate": start, "stages": stages}


def schedule_of(params: Mapping[str, Any]) -> ArrivalSchedule:
    """The schedule of resolved arrival parameters (`build_arrival`'s, or a stored plan's)."""
    return ArrivalSchedule(float(params["start_rate"]), tuple(
        RateStage(str(s["name"]), float(s["duration"]), float(s["rate"]))
        for s in params["stages"]))


def stage_spans(schedule: ArrivalSchedule) -> Sequence[tuple[str, float, float, float]]:
    """(name, start_s, end_s, rate at the end) of each stage with a duration."""
    spans, start = [], 0.0
    for stage in schedule.stages:
        if stage.duration_s > 0:
            spans.append((stage.name, start, start + stage.duration_s, stage.rate))
        start += stage.duration_s
    return spans
