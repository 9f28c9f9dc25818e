"""Layering: defaults < swarmdeck.toml < SWARMDECK_* environment < flags."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from swarmdeck.errors import PlanError
from swarmdeck.plan import Defaults, Plan, ShapeSpec, settings_for

Resolver = Callable[..., Plan]


def test_defaults_when_nothing_is_given(plan_from: Resolver, tmp_path: Path) -> None:
    plan = plan_from()
    assert plan.locustfile == tmp_path / "locustfile.py"
    assert plan.host is None
    assert (plan.users, plan.spawn_rate, plan.run_time_s) == (1, 1.0, None)
    assert plan.shape is None
    assert plan.db_url == f"sqlite:///{tmp_path / '.swarmdeck' / 'swarmdeck.db'}"
    assert plan.json_path is None
    assert (plan.tags, plan.classes) == ({}, ())
    assert (plan.quiet, plan.debug) == (False, False)
    assert (plan.interval_s, plan.max_names, plan.stop_timeout_s) == (1.0, 500, 10.0)
    assert plan.group_names is True  # ids in URLs are grouped unless --no-group-names
    assert plan.plan_path is None
    assert set(plan.sources.values()) == {"default"}


@pytest.mark.parametrize(
    ("key", "file_value", "env_value", "flag", "expected"),
    [
        ("users", "10", "20", ["-u", "30"], {"users": (10, 20, 30)}),
        ("spawn_rate", "1.5", "2", ["--spawn-rate", "3"], {"spawn_rate": (1.5, 2.0, 3.0)}),
        ("run_time", '"1m"', "2m", ["-t", "1h30m"], {"run_time_s": (60.0, 120.0, 5400.0)}),
        ("host", '"http://file:1"', "http://env:2", ["-H", "http://flag:3"],
         {"host": ("http://file:1", "http://env:2", "http://flag:3")}),
        ("interval", "2", "3s", ["--interval", "4s"], {"interval_s": (2.0, 3.0, 4.0)}),
        ("max_names", "10", "20", ["--max-names", "30"], {"max_names": (10, 20, 30)}),
        ("stop_timeout", '"0s"', "5", ["--stop-timeout", "1m"],
         {"stop_timeout_s": (0.0, 5.0, 60.0)}),
        ("quiet", "false", "yes", ["-q"], {"quiet": (False, True, True)}),
        ("debug", "true", "0", ["--debug"], {"debug": (True, False, True)}),
        ("group_names", "false", "on", ["--no-group-names"],
         {"group_names": (False, True, False)}),
        ("classes", '["A"]', "B,C", ["--class", "D"],
         {"classes": (("A",), ("B", "C"), ("D",))}),
    ],
)
def test_flag_beats_environment_beats_file_beats_default(
    plan_from: Resolver, key: str, file_value: str, env_value: str, flag: list[str],
    expected: dict[str, tuple[object, object, object]],
) -> None:
    toml = f"{key} = {file_value}\n"
    env = {f"SWARMDECK_{key.upper()}": env_value}
    (attr, (from_file, from_env, from_flag)), = expected.items()
    assert getattr(plan_from(toml=toml), attr) == from_file
    assert getattr(plan_from(env=env, toml=toml), attr) == from_env
    plan = plan_from(flag, env=env, toml=toml)
    assert getattr(plan, attr) == from_flag
    assert plan.sources[key].startswith("--")


def test_sources_name_the_winning_layer(plan_from: Resolver) -> None:
    plan = plan_from(["-u", "5"], env={"SWARMDECK_SPAWN_RATE": "2"},
                     toml='host = "http://x:1"\n\nrun_time = "1m"\n')
    assert plan.sources["users"] == "--users"
    assert plan.sources["spawn_rate"] == "SWARMDECK_SPAWN_RATE"
    assert plan.sources["run_time"] == "swarmdeck.toml:3"
    assert plan.sources["plan"] == "default"


def test_tags_merge_key_by_key_later_layers_win(plan_from: Resolver) -> None:
    plan = plan_from(["--tag", "branch=pr-7", "--tag", "build=42"],
                     env={"SWARMDECK_TAGS": "env=ci,branch=main"},
                     toml='[tags]\nenv = "staging"\nteam = "shop"\n')
    assert plan.tags == {"env": "ci", "team": "shop", "branch": "pr-7", "build": "42"}


def test_empty_environment_variables_count_as_unset(plan_from: Resolver) -> None:
    plan = plan_from(env={"SWARMDECK_USERS": "", "SWARMDECK_HOST": "  "}, toml="users = 7\n")
    assert plan.users == 7 and plan.host is None


def test_unrelated_swarmdeck_variables_are_ignored(plan_from: Resolver) -> None:
    plan = plan_from(env={"SWARMDECK_TEST_POSTGRES": "postgresql://x", "SWARMDECK_USER": "3"})
    assert plan.users == 1


def test_plan_file_paths_are_relative_to_the_file(tmp_path: Path, plan_from: Resolver) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "plan.toml").write_text(
        'locustfile = "../scenarios/shop.py"\ndb = "runs.db"\njson = "out.json"\n')
    plan = plan_from(["--plan", "ci/plan.toml"])
    assert plan.plan_path == tmp_path / "ci" / "plan.toml"
    assert plan.locustfile == tmp_path / "ci" / ".." / "scenarios" / "shop.py"
    assert plan.db_url == f"sqlite:///{tmp_path / 'ci' / 'runs.db'}"
    assert plan.json_path == tmp_path / "ci" / "out.json"
    flagged = plan_from(["--plan", "ci/plan.toml", "-f", "here.py", "--json", "-"])
    assert flagged.locustfile == tmp_path / "here.py"
    assert flagged.json_path == Path("-")


def test_database_urls(plan_from: Resolver, tmp_path: Path) -> None:
    pg = "postgresql+psycopg://swarm:secret@db:5432/runs"
    plan = plan_from(["--db", pg])
    assert plan.db_url == pg
    assert plan.to_dict()["db_url"] == "postgresql+psycopg://swarm:***@db:5432/runs"
    assert plan_from(["--db", "sqlite:///:memory:"]).db_url == "sqlite:///:memory:"
    assert plan_from(["--db", "sqlite:///a/b.db?mode=ro"]).db_url == \
        f"sqlite:///{tmp_path / 'a' / 'b.db'}?mode=ro"
    assert plan_from(["--db", "sqlite:////abs/b.db"]).db_url == "sqlite:////abs/b.db"


def test_plan_file_is_found_by_flag_then_environment_then_cwd(
    tmp_path: Path, plan_from: Resolver
) -> None:
    (tmp_path / "a.toml").write_text("users = 2\n")
    (tmp_path / "b.toml").write_text("users = 3\n")
    toml = "users = 4\n"
    assert plan_from(toml=toml).users == 4
    assert plan_from(env={"SWARMDECK_PLAN": "b.toml"}, toml=toml).users == 3
    plan = plan_from(["--plan", "a.toml"], env={"SWARMDECK_PLAN": "b.toml"}, toml=toml)
    assert (plan.users, plan.sources["plan"], plan.sources["users"]) == (2, "--plan", "a.toml:1")


@pytest.mark.parametrize(("argv", "env", "source"), [
    (["--plan", "missing.toml"], {}, "--plan"),
    ([], {"SWARMDECK_PLAN": "missing.toml"}, "SWARMDECK_PLAN"),
])
def test_a_named_plan_file_must_exist(
    plan_from: Resolver, argv: list[str], env: dict[str, str], source: str
) -> None:
    with pytest.raises(PlanError) as caught:
        plan_from(argv, env=env)
    assert "'missing.toml'" in caught.value.message and source in caught.value.message


def test_shape_from_the_flag_scales_from_users(plan_from: Resolver) -> None:
    plan = plan_from(["--shape", "step", "-u", "100"])
    assert plan.shape is not None
    assert [(s.name, s.users) for s in plan.shape.stages()] == [
        ("baseline", 25), ("peak", 100), ("beyond_peak", 150), ("recovery", 25)]


def test_shape_flag_with_the_file_s_name_keeps_the_file_s_parameters(plan_from: Resolver) -> None:
    toml = '[shape]\nname = "ramp"\nusers = 80\nramp = "2m"\nhold = "1m"\n'
    kept = plan_from(["--shape", "ramp", "-u", "5"], toml=toml).shape
    assert kept is not None and kept.params["users"] == 80
    replaced = plan_from(["--shape", "spike", "-u", "50"], toml=toml).shape
    assert replaced is not None and replaced.name == "spike"
    assert replaced.params["spike_users"] == 50
    assert plan_from(["--shape", "none"], toml=toml).shape is None
    soak = plan_from(env={"SWARMDECK_SHAPE": "soak"}, toml=toml).shape
    assert soak is not None and soak.name == "soak"


def test_shape_as_a_plain_name_in_the_file(plan_from: Resolver) -> None:
    plan = plan_from(toml='shape = "soak"\nusers = 12\nrun_time = "2h"\n')
    assert plan.shape == ShapeSpec.build("soak", {}, Defaults(12, 1.0, 7200.0))
    assert plan.shape is not None and plan.shape.params["hold"] == 6600.0


def test_to_dict_is_json_and_round_trips_the_shape(plan_from: Resolver) -> None:
    plan = plan_from(["--shape", "spike", "-u", "40", "--tag", "env=ci", "--class", "A"],
                     toml='run_time = "10m"\n')
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["users"] == 40 and data["tags"] == {"env": "ci"} and data["classes"] == ["A"]
    assert data["plan_path"].endswith("swarmdeck.toml")
    assert ShapeSpec.from_dict(data["shape"]) == plan.shape


def test_a_run_needs_an_end(plan_from: Resolver) -> None:
    with pytest.raises(PlanError) as caught:
        plan_from().ensure_bounded()
    assert "-t/--run-time" in caught.value.message and "--shape" in caught.value.message
    assert "-t 5m" in (caught.value.hint or "")
    plan_from(["-t", "1m"]).ensure_bounded()
    plan_from(["--shape", "ramp"]).ensure_bounded()
    plan_from().ensure_bounded(locustfile_has_shape=True)


def test_end_is_the_earlier_of_run_time_and_shape(plan_from: Resolver) -> None:
    assert plan_from().end_s is None
    assert plan_from(["-t", "30s"]).end_s == 30.0
    assert plan_from(["--shape", "step"]).end_s == 240.0
    assert plan_from(["--shape", "step", "-t", "4m"]).end_s == 240.0
    assert plan_from(["--shape", "ramp", "-t", "30s"], toml='[shape]\nname="ramp"\nramp="5m"\n'
                     ).end_s == 30.0


def test_every_setting_is_a_flag_whose_absence_is_none(
    run_parser: argparse.ArgumentParser,
) -> None:
    args = vars(run_parser.parse_args([]))
    for setting in settings_for("run").values():
        assert args[setting.name] is None, setting.name
    assert "SWARMDECK_SPAWN_RATE" in run_parser.format_help()


def test_importing_the_plan_does_not_import_locust_or_gevent() -> None:
    code = ("import sys, swarmdeck.plan; "
            "bad = [m for m in ('locust', 'gevent') if m in sys.modules]; "
            "print(*bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
