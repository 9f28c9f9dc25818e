"""A saved test's settings (one version): host, users, spawn rate, duration or shape,
thresholds and tags, checked with the same parsers as ``swarmdeck run``'s settings, from a
form or a JSON body. ``run_arguments`` is what the server gives ``swarmdeck run``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from swarmdeck.errors import BadInput, SwarmdeckError
from swarmdeck.plan.gates import parse_thresholds
from swarmdeck.plan.shape_spec import DEFAULT_TOTAL_S, SHAPE_NAMES
from swarmdeck.plan.values import (
    Invalid,
    parse_duration_value,
    parse_host,
    parse_int,
    parse_positive_float,
    parse_tags,
)

MAX_TEST_NAME = 200
MAX_USERS = 100_000
# tags the platform sets on every run it starts (a user's tags may not use them)
TEST_TAG, VERSION_TAG, LAUNCH_TAG = "swarmdeck.test", "swarmdeck.version", "swarmdeck.launch"


@dataclass(frozen=True)
class TestSettings:
    __test__ = False  # not a pytest test class

    host: str
    users: int = 1
    spawn_rate: float = 1.0
    run_time_s: float | None = None
    shape: str | None = None
    thresholds: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)  # nodes per region; none: local

    @property
    def nodes(self) -> int:
        return sum(self.regions.values())

    @property
    def duration_s(self) -> float:
        """How long a run of it lasts at most (a shape without a run time: its default)."""
        if self.run_time_s is not None:
            return self.run_time_s
        return DEFAULT_TOTAL_S[self.shape] if self.shape else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "users": self.users, "spawn_rate": self.spawn_rate,
                "run_time_s": self.run_time_s, "shape": self.shape,
                "thresholds": list(self.thresholds), "tags": dict(self.tags),
                "regions": dict(self.regions)}

    def run_arguments(self) -> list[str]:
        """``swarmdeck run`` flags for these settings (the locustfile and db apart)."""
        args = ["--host", self.host, "--users", str(self.users),
                "--spawn-rate", f"{self.spawn_rate:g}"]
        if self.run_time_s is not None:
            args += ["--run-time", f"{self.run_time_s:g}s"]
        if self.shape:
            args += ["--shape", self.shape]
        for threshold in self.thresholds:
            args += ["--threshold", threshold]
        for key, value in self.tags.items():
            args += ["--tag", f"{key}={value}"]
        return args


def _field(name: str, parse: Any, value: object) -> Any:
    try:
        return parse(value)
    except Invalid as exc:
        raise BadInput(f"{name} {exc.problem}", exc.hint) from None


def check_test_name(name: object) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_TEST_NAME:
        raise BadInput(f"a test needs a name of 1 to {MAX_TEST_NAME} characters",
                       "e.g. checkout at 50 users")
    return text


def _lines(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise BadInput("thresholds must be a list of strings (one expression each)",
                   "e.g. [\"p95 < 300ms\"]")


def _tags(value: object) -> dict[str, str]:
    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, str):
        value = [line.strip() for line in value.splitlines() if line.strip()]
    tags: dict[str, str] = _field("tags", parse_tags, value)
    reserved = [k for k in tags if k.startswith("swarmdeck.")]
    if reserved:
        raise BadInput(f"tag {reserved[0]!r} is the platform's own",
                       "use a key that does not start with swarmdeck.")
    return tags


def _regions(value: object) -> dict[str, int]:
    """Nodes per region: ``{"eu-west": 2}``, or ``eu-west=2`` lines (a form)."""
    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, str):
        pairs: list[tuple[object, object]] = []
        for line in value.splitlines():
            if line.strip():
                left, _, right = line.partition("=")
                pairs.append((left.strip(), right.strip()))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise BadInput("regions must map a region to a number of nodes",
                       'e.g. {"eu-west": 2, "us-east": 1}')
    regions: dict[str, int] = {}
    for key, count in pairs:
        if not isinstance(key, str) or not key or len(key) > 64 \
                or any(c.isspace() for c in key):
            raise BadInput(f"bad region name {str(key)[:64]!r}", "e.g. eu-west")
        regions[key] = _field(f"regions {key}",
                              lambda v: parse_int(v, minimum=1, maximum=1000), count)
    return regions


def parse_settings(data: Mapping[str, Any]) -> TestSettings:
    """From a form or a JSON body; empty fields take ``swarmdeck run``'s defaults."""
    def given(name: str) -> object:
        value = data.get(name)
        return None if value is None or (isinstance(value, str) and not value.strip()) \
            else value

    host = given("host")
    if host is None:
        raise BadInput("host is missing", "e.g. http://127.0.0.1:8000")
    users = given("users")
    rate = given("spawn_rate")
    run_time = given("run_time")
    if run_time is None:
        run_time = given("run_time_s")
    shape = given("shape")
    if shape is not None and shape not in SHAPE_NAMES:
        raise BadInput(f"unknown shape {str(shape)[:40]!r}", f"use {', '.join(SHAPE_NAMES)}")
    if run_time is None and shape is None:
        raise BadInput("a test needs a run time or a shape", "e.g. run_time 1m")
    thresholds = _lines(data.get("thresholds"))
    try:
        parse_thresholds(thresholds)
    except Invalid as exc:
        raise BadInput(f"threshold: {exc.problem}", exc.hint) from None
    except SwarmdeckError as exc:
        raise BadInput(f"threshold: {exc.message}", exc.hint) from None
    return TestSettings(
        host=_field("host", parse_host, host),
        users=1 if users is None else _field(
            "users", lambda v: parse_int(v, minimum=1, maximum=MAX_USERS), users),
        spawn_rate=1.0 if rate is None else _field("spawn_rate", parse_positive_float, rate),
        run_time_s=None if run_time is None else _field(
            "run_time", lambda v: parse_duration_value(v, positive=True), run_time),
        shape=str(shape) if shape is not None else None,
        thresholds=tuple(thresholds), tags=_tags(data.get("tags")),
        regions=_regions(data.get("regions")))


def settings_from_json(data: Mapping[str, Any]) -> TestSettings:
    """A stored version's settings (written by ``to_json``)."""
    return TestSettings(host=data["host"], users=int(data["users"]),
                        spawn_rate=float(data["spawn_rate"]), run_time_s=data["run_time_s"],
                        shape=data["shape"], thresholds=tuple(data["thresholds"]),
                        tags=dict(data["tags"]), regions=dict(data.get("regions") or {}))
