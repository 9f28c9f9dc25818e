"""Bad input gives a PlanError naming the key or flag, where it came from, and how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from swarmdeck.errors import ExitCode, PlanError
from swarmdeck.plan import Plan

Resolver = Callable[..., Plan]
STEPS = """\
[shape]
name = "step"

[[shape.stages]]
users = 1
duration = "1m"

[[shape.stages]]
users = 2
duration = "1m"

[[shape.stages]]
users = {users}
duration = "1m"
"""


def error_of(plan_from: Resolver, argv: list[str] | None = None,
             env: dict[str, str] | None = None, toml: str | None = None) -> PlanError:
    with pytest.raises(PlanError) as caught:
        plan_from(argv or [], env=env, toml=toml)
    error = caught.value
    assert error.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in error.message and error.hint
    return error


def test_unknown_key_in_the_plan_file_suggests_the_closest(plan_from: Resolver) -> None:
    error = error_of(plan_from, toml='host = "http://x:1"\nuser = 10\n')
    assert error.message == "unknown key 'user' in swarmdeck.toml:2"
    assert error.hint == "did you mean 'users' or 'max_users'?"


def test_unknown_key_without_a_close_match_lists_the_known_ones(plan_from: Resolver) -> None:
    error = error_of(plan_from, toml="[gizmos]\ncpu = true\n")
    assert error.message == "unknown key 'gizmos' in swarmdeck.toml:1"
    assert "locustfile" in (error.hint or "") and "stop_timeout" in (error.hint or "")


def test_a_plan_key_in_the_plan_file_is_unknown(plan_from: Resolver) -> None:
    error = error_of(plan_from, toml='plan = "other.toml"\n')
    assert error.message == "unknown key 'plan' in swarmdeck.toml:1"


@pytest.mark.parametrize(("toml", "where"), [
    ('users = 10\nhost = http://x\n', "swarmdeck.toml:2:8"),
    ("users = 10\n[shape\n", "swarmdeck.toml:2:7"),
    ('run_time = "5m\n', "swarmdeck.toml:1:"),
])
def test_toml_syntax_error_names_file_and_line(plan_from: Resolver, toml: str, where: str) -> None:
    error = error_of(plan_from, toml=toml)
    assert error.message.startswith(f"invalid TOML in {where}")


@pytest.mark.parametrize(("argv", "env", "toml", "message"), [
    # wrong types
    ([], {}, 'users = "ten"\n',
     "'users' in swarmdeck.toml:1 must be a whole number of at least 1, got 'ten'"),
    ([], {}, "users = 10.5\n", "'users' in swarmdeck.toml:1 must be a whole number"),
    ([], {}, "users = true\n", "'users' in swarmdeck.toml:1 must be a whole number"),
    ([], {"SWARMDECK_USERS": "ten"}, None, "SWARMDECK_USERS must be a whole number"),
    (["--users", "ten"], {}, None, "-u/--users must be a whole number"),
    ([], {}, 'quiet = "maybe"\n', "'quiet' in swarmdeck.toml:1 must be true or false"),
    ([], {"SWARMDECK_DEBUG": "sometimes"}, None, "SWARMDECK_DEBUG must be true or false"),
    ([], {}, 'locustfile = ""\n', "'locustfile' in swarmdeck.toml:1 must be a non-empty string"),
    ([], {}, "locustfile = 3\n", "'locustfile' in swarmdeck.toml:1 must be a non-empty string"),
    # users and spawn rate
    (["-u", "-5"], {}, None, "-u/--users must be a whole number of at least 1, got '-5'"),
    ([], {}, "users = 0\n", "'users' in swarmdeck.toml:1 must be a whole number of at least 1"),
    (["-r", "0"], {}, None, "-r/--spawn-rate must be a number greater than 0, got '0'"),
    ([], {"SWARMDECK_SPAWN_RATE": "-2"}, None, "SWARMDECK_SPAWN_RATE must be a number greater"),
    ([], {}, "spawn_rate = -1\n", "'spawn_rate' in swarmdeck.toml:1 must be a number greater"),
    # durations
    (["-t", "5 minutes"], {}, None, "-t/--run-time must be a duration such as"),
    ([], {"SWARMDECK_RUN_TIME": "1h-30m"}, None, "SWARMDECK_RUN_TIME must be a duration"),
    ([], {}, 'run_time = "0s"\n', "'run_time' in swarmdeck.toml:1 must be a duration longer"),
    ([], {}, "run_time = -5\n", "'run_time' in swarmdeck.toml:1 must be a duration"),
    (["--stop-timeout", "soon"], {}, None, "--stop-timeout must be a duration"),
    (["--interval", "0s"], {}, None, "--interval must be a duration longer than 0, got '0s'"),
    ([], {}, "interval = 0\n", "'interval' in swarmdeck.toml:1 must be a duration longer than 0"),
    (["--max-names", "0"], {}, None, "--max-names must be a whole number of at least 1, got '0'"),
    # host
    (["-H", "localhost:5000"], {}, None, "-H/--host must be http://host[:port] or https://"),
    (["-H", "ftp://x"], {}, None, "-H/--host must be http://host[:port]"),
    (["-H", "http://"], {}, None, "-H/--host must be http://host[:port]"),
    (["-H", "http://exa mple.com"], {}, None, "-H/--host must be http://host[:port]"),
    ([], {}, 'host = "http://x:99999"\n', "'host' in swarmdeck.toml:1 must be http://host[:port]"),
    ([], {"SWARMDECK_HOST": "http://x:5000/api"}, None,
     "SWARMDECK_HOST must have no path, query or fragment"),
    (["-H", "http://x/?a=1"], {}, None, "-H/--host must have no path, query or fragment"),
    (["-H", "http://u:secret@x"], {}, None, "-H/--host must not hold credentials"),
    # tags and classes
    (["--tag", "env"], {}, None, "--tag must be KEY=VALUE, got 'env'"),
    (["--tag", "=x"], {}, None, "--tag tag names must be letters"),
    ([], {"SWARMDECK_TAGS": "a=1,b"}, None, "SWARMDECK_TAGS must be KEY=VALUE, got 'b'"),
    ([], {}, "[tags]\nenv = \"ci\"\nbuild = 42\n",
     "'tags.build' in swarmdeck.toml:3 tag values must be strings"),
    (["--class", "my-user"], {}, None, "--class must be Python class names"),
    ([], {}, 'classes = ["A", 3]\n', "'classes[1]' in swarmdeck.toml:1 must be Python class names"),
    # database
    (["--db", "postgres://u:p@h/db"], {}, None, "--db uses the scheme 'postgres'"),
    ([], {"SWARMDECK_DB": "mysql://h/db"}, None, "SWARMDECK_DB must be a sqlite:/// or postgres"),
])
def test_invalid_values_name_the_key_and_source(
    plan_from: Resolver, argv: list[str], env: dict[str, str], toml: str | None, message: str
) -> None:
    error = error_of(plan_from, argv, env, toml)
    assert error.message.startswith(message), error.message


def test_the_hint_shows_the_form_for_the_source(plan_from: Resolver) -> None:
    assert error_of(plan_from, ["-u", "x"]).hint == "e.g. --users 50"
    assert error_of(plan_from, env={"SWARMDECK_USERS": "x"}).hint == "e.g. SWARMDECK_USERS=50"
    assert error_of(plan_from, toml="users = 'x'\n").hint == "e.g. users = 50"


def test_the_database_password_stays_out_of_errors(plan_from: Resolver) -> None:
    error = error_of(plan_from, ["--db", "postgres://u:hunter2@h/db"])
    assert "hunter2" not in str(error)


def test_an_overridden_bad_value_is_still_reported(plan_from: Resolver) -> None:
    error = error_of(plan_from, ["-u", "5"], toml="users = -1\n")
    assert error.message.startswith("'users' in swarmdeck.toml:1")


@pytest.mark.parametrize(("argv", "env", "toml", "message", "hint"), [
    (["--shape", "stpe"], {}, None, "--shape must be one of step, ramp, spike, soak, arrival or none",
     "did you mean 'step'"),
    ([], {"SWARMDECK_SHAPE": "wave"}, None, "SWARMDECK_SHAPE must be one of", "known: step"),
    ([], {}, 'shape = "spik"\n', "'shape' in swarmdeck.toml:1 must be one of", "'spike'"),
    ([], {}, '[shape]\nname = "rmap"\n', "'shape.name' in swarmdeck.toml:2 must be one of",
     "did you mean 'ramp'?"),
    ([], {}, "[shape]\nusers = 3\n", "'shape' in swarmdeck.toml:1 needs a name", 'name = "step"'),
    ([], {}, "shape = 3\n", "'shape' in swarmdeck.toml:1 must be a shape name or a [shape] table",
     "docs/plan.md"),
])
def test_unknown_shapes(plan_from: Resolver, argv: list[str], env: dict[str, str],
                        toml: str | None, message: str, hint: str) -> None:
    error = error_of(plan_from, argv, env, toml)
    assert error.message.startswith(message), error.message
    assert hint in (error.hint or ""), error.hint


@pytest.mark.parametrize(("toml", "message", "hint"), [
    (STEPS.format(users=-1),
     "'shape.stages[2].users' in swarmdeck.toml:13 must be a whole number of at least 0, got -1",
     "docs/plan.md"),
    (STEPS.format(users='"many"'), "'shape.stages[2].users' in swarmdeck.toml:13 must be", ""),
    ('[shape]\nname = "step"\n[[shape.stages]]\nuser = 1\nduration = "1m"\n',
     "unknown key 'shape.stages[0].user' in swarmdeck.toml:4", "did you mean 'users'?"),
    ('[shape]\nname = "step"\n[[shape.stages]]\nduration = "1m"\n',
     "'shape.stages[0]' in swarmdeck.toml:3 is missing 'users'", "duration"),
    ('[shape]\nname = "step"\n[[shape.stages]]\nusers = 5\nduration = "1 min"\n',
     "'shape.stages[0].duration' in swarmdeck.toml:5 must be a duration", ""),
    ('[shape]\nname = "step"\nstages = []\n',
     "'shape.stages' in swarmdeck.toml:3 must be a non-empty list", "[[shape.stages]]"),
    (('[shape]\nname = "step"\nstages = [{name = "a", users = 1, duration = 5},'
      ' {name = "a", users = 2, duration = 5}]\n'),
     "'shape.stages[1].name' in swarmdeck.toml:3 repeats the stage name 'a'", "unique"),
    ('[shape]\nname = "step"\n\n[[shape.stages]]\nusers = 100\nduration = "1m"\nspawn_rate = 1\n',
     ("'shape.stages[0].spawn_rate' in swarmdeck.toml:7 is too slow: stage 'stage1' goes "
      "from 0 to 100 users, which takes 100s at 1 users/s, but lasts 60s"), "at least 1.67"),
    ('[shape]\nname = "step"\nspawn_rate = 1\nstages = [{users = 100, duration = "1m"}]\n',
     "'shape.spawn_rate' in swarmdeck.toml:3 is too slow", "at least 1.67"),
    ('[shape]\nname = "ramp"\nusres = 10\n', "unknown key 'shape.usres' in swarmdeck.toml:3",
     "did you mean 'users'?"),
    ('[shape]\nname = "ramp"\nramp = "0s"\n',
     "'shape.ramp' in swarmdeck.toml:3 must be a duration longer than 0", ""),
    ('[shape]\nname = "ramp"\nusers = 100\nramp = "10s"\nspawn_rate = 2\n',
     "'shape.spawn_rate' in swarmdeck.toml:5 is too slow: ramping from 0 to 100 users over 10s",
     "at least 10"),
    ('[shape]\nname = "spike"\nbase_users = 50\nspike_users = 40\n',
     "'shape.spike_users' in swarmdeck.toml:4 must leave spike_users above base_users", ""),
    ('[shape]\nname = "spike"\nbase_users = 50\n',
     "'shape.base_users' in swarmdeck.toml:3 must leave spike_users above base_users", ""),
    ('[shape]\nname = "spike"\nspike_users = 100\nspike_duration = "10s"\nspawn_rate = 5\n',
     "'shape.spawn_rate' in swarmdeck.toml:5 is too slow: stage 'spike'", ""),
    ('[shape]\nname = "soak"\nhold = "0s"\n',
     "'shape.hold' in swarmdeck.toml:3 must be a duration longer than 0", ""),
    ('[shape]\nname = "soak"\nstart_users = 3\n',
     "unknown key 'shape.start_users' in swarmdeck.toml:3", "did you mean 'users'?"),
])
def test_bad_shape_parameters_name_the_key(plan_from: Resolver, toml: str, message: str,
                                           hint: str) -> None:
    error = error_of(plan_from, toml=toml)
    assert error.message.startswith(message), error.message
    assert hint in (error.hint or ""), error.hint


def test_shape_parameter_errors_point_into_the_named_plan_file(
    plan_from: Resolver, tmp_path: Path
) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "load.toml").write_text(STEPS.format(users=-3))
    error = error_of(plan_from, ["--plan", "plans/load.toml", "--shape", "step"])
    assert error.message.startswith("'shape.stages[2].users' in plans/load.toml:13")


def test_a_bad_shape_in_the_file_is_reported_even_when_a_flag_picks_another(
    plan_from: Resolver,
) -> None:
    error = error_of(plan_from, ["--shape", "ramp"], toml=STEPS.format(users=-1))
    assert error.message.startswith("'shape.stages[2].users' in swarmdeck.toml:13")
