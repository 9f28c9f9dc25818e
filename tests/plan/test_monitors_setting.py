"""``--monitor`` / ``SWARMDECK_MONITORS`` / ``[[monitors]]``: one setting of the registry;
a malformed SPEC stops the run before anything starts, in one line naming where it was."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from swarmdeck.errors import ExitCode, PlanError
from swarmdeck.plan import Plan

Resolver = Callable[..., Plan]


def test_flags_environment_and_plan_file(plan_from: Resolver, tmp_path: Path) -> None:
    plan = plan_from(["--monitor", "process:1", "--monitor", "statsd://127.0.0.1:8125",
                      "--monitor-required"])
    assert [m.kind for m in plan.monitors] == ["process", "statsd"]
    assert plan.monitor_required and plan.sources["monitors"] == "--monitor"
    env = plan_from(env={"SWARMDECK_MONITORS": "process:1; redis://127.0.0.1:6379/0"})
    assert [m.kind for m in env.monitors] == ["process", "redis"]
    toml = ('[[monitors]]\nspec = "process:run/gunicorn.pid"\n\n[[monitors]]\n'
            'spec = "postgresql://app:s3cret@db/shop"\nname = "shopdb"\n')
    filed = plan_from(toml=toml)
    assert filed.monitors[0].pidfile == str(tmp_path / "run" / "gunicorn.pid")
    assert filed.monitors[1].prefix == "shopdb."
    stored = filed.to_dict()["monitors"]
    assert stored[1]["spec"] == "shopdb=postgresql://app:***@db/shop"
    assert "s3cret" not in repr(filed.to_dict())
    assert plan_from(toml='monitors = ["process:1"]\n').monitors[0].pid == 1


@pytest.mark.parametrize(("argv", "env", "toml", "says"), [
    (["--monitor", "mysql://u:pw@h/db"], None, None,
     "--monitor 'mysql://u:***@h/db': scheme 'mysql' is not a monitor source"),
    ([], {"SWARMDECK_MONITORS": "process:"}, None,
     "SWARMDECK_MONITORS 'process:': process: needs a PID or a pid file"),
    ([], None, '[[monitors]]\nspec = "statsd://127.0.0.1"\n',
     "'monitors[0]' in swarmdeck.toml"),
    ([], None, '[[monitors]]\nurl = "process:1"\n', "unknown key 'monitors[0].url'"),
    (["--monitor", "process:1", "--monitor", "process:2"], None, None,
     "two process monitors"),
])
def test_a_malformed_spec_is_one_line(plan_from: Resolver, argv: list[str],
                                      env: dict[str, str] | None, toml: str | None,
                                      says: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan_from(argv, env=env, toml=toml)
    assert says in caught.value.message, caught.value.message
    assert caught.value.exit_code == ExitCode.BAD_INPUT and caught.value.hint
    assert "pw" not in str(caught.value)


def test_the_cli_exits_2_before_anything_starts(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "swarmdeck", "run", "-f", "missing.py",
                           "--host", "http://127.0.0.1:9", "-t", "1s", "--monitor",
                           "redis://:hunter2@h:6379/x", "--db", str(tmp_path / "r.db")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--monitor" in lines[0] and "hunter2" not in lines[0]
    assert not (tmp_path / "r.db").exists()
