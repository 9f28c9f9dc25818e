"""A saved test's settings: checked like `swarmdeck run`'s, turned into its flags."""

from __future__ import annotations

import pytest

from swarmdeck.errors import BadInput
from swarmdeck.launch.spec import parse_settings, settings_from_json


def test_form_values_become_run_flags() -> None:
    settings = parse_settings({"host": "http://127.0.0.1:8000/", "users": "5",
                               "spawn_rate": "2.5", "run_time": "1m30s", "shape": "",
                               "thresholds": "p95 < 300ms\n\nerror_rate < 1%",
                               "tags": "team=shop\nenv=ci"})
    assert settings.run_arguments() == [
        "--host", "http://127.0.0.1:8000", "--users", "5", "--spawn-rate", "2.5",
        "--run-time", "90s", "--threshold", "p95 < 300ms", "--threshold", "error_rate < 1%",
        "--tag", "team=shop", "--tag", "env=ci"]
    assert settings_from_json(settings.to_json()) == settings
    assert settings.duration_s == 90


def test_a_shape_gives_the_duration() -> None:
    settings = parse_settings({"host": "http://127.0.0.1:1", "shape": "ramp"})
    assert settings.run_time_s is None and settings.duration_s == 120
    assert settings.run_arguments()[-2:] == ["--shape", "ramp"]


@pytest.mark.parametrize(("data", "message"), [
    ({}, "host is missing"),
    ({"host": "ftp://x", "run_time": "1m"}, "host must be"),
    ({"host": "http://h", "run_time": "1m", "users": "0"}, "users must be"),
    ({"host": "http://h", "run_time": "soon"}, "run_time must be"),
    ({"host": "http://h"}, "a test needs a run time or a shape"),
    ({"host": "http://h", "shape": "zigzag"}, "unknown shape"),
    ({"host": "http://h", "run_time": "1m", "thresholds": ["p95 <"]}, "threshold"),
    ({"host": "http://h", "run_time": "1m", "thresholds": [3]}, "thresholds must be"),
    ({"host": "http://h", "run_time": "1m", "tags": "nokey"}, "tags must be"),
    ({"host": "http://h", "run_time": "1m", "tags": {"swarmdeck.test": "1"}},
     "the platform's own"),
])
def test_bad_settings_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_settings(data)
    assert message in caught.value.message, caught.value.message
