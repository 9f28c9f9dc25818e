"""Locust's configuration (~/.locust.conf < ./locust.conf < ./pyproject.toml < --config <
LOCUST_*) is read for the options swarmdeck shares with Locust, under swarmdeck's own
layers (swarmdeck.toml < SWARMDECK_* < flags); what swarmdeck does not use is warned about."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import configargparse  # type: ignore[import-untyped]
import pytest

from swarmdeck.errors import ExitCode, PlanError
from swarmdeck.plan import Plan
from swarmdeck.plan.locust_conf import parse_conf
from swarmdeck.plan.locust_options import BY_KEY, LOCUST_OPTIONS

Resolver = Callable[..., Plan]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(plan_from: Resolver, **kwargs: object) -> PlanError:
    with pytest.raises(PlanError) as caught:
        plan_from(**kwargs)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in str(caught.value)
    return caught.value


def test_each_later_layer_wins(plan_from: Resolver, tmp_path: Path, home: Path) -> None:
    """defaults < ~/.locust.conf < ./locust.conf < pyproject.toml < --config < LOCUST_*
    < swarmdeck.toml < SWARMDECK_* < flags: add one layer at a time, the newest wins."""
    env = {"HOME": str(home)}
    steps: list[tuple[str | None, str]] = []

    def check(expected_host: str | None, source: str, **kwargs: object) -> None:
        plan = plan_from(env=env, **kwargs)
        assert (plan.host, plan.sources["host"]) == (expected_host, source)
        steps.append((expected_host, source))

    check(None, "default")
    write(home / ".locust.conf", "host = http://home:1\n")
    check("http://home:1", "~/.locust.conf:1")
    write(tmp_path / "locust.conf", "# the project's\nhost = http://cwd:2\n")
    check("http://cwd:2", "locust.conf:2")
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.locust]\n'
          'host = "http://pyproject:3"\n')
    check("http://pyproject:3", "pyproject.toml:5")
    write(tmp_path / "ci" / "locust.conf", "host: http://config:4\n")
    check("http://config:4", "ci/locust.conf:1", argv=["--config", "ci/locust.conf"])
    env["LOCUST_HOST"] = "http://locust-env:5"
    check("http://locust-env:5", "LOCUST_HOST", argv=["--config", "ci/locust.conf"])
    toml = 'host = "http://swarmdeck-toml:6"\n'
    check("http://swarmdeck-toml:6", "swarmdeck.toml:1", toml=toml)
    env["SWARMDECK_HOST"] = "http://swarmdeck-env:7"
    check("http://swarmdeck-env:7", "SWARMDECK_HOST", toml=toml)
    check("http://flag:8", "--host", argv=["--host", "http://flag:8"], toml=toml)
    check("http://after:9", "-H after `--`", toml=toml, locust_args=["-H", "http://after:9"])
    assert len(steps) == 10


@pytest.mark.parametrize(("key", "locust_value", "attr", "expected", "swarmdeck_flag"), [
    ("locustfile", "scenarios/shop.py", "locustfile", Path("scenarios/shop.py"),
     ["-f", "other.py"]),
    ("users", "25", "users", 25, ["-u", "3"]),
    ("spawn-rate", "2.5", "spawn_rate", 2.5, ["-r", "3"]),
    ("run-time", "1h30m", "run_time_s", 5400.0, ["-t", "3s"]),
    ("stop-timeout", "30", "stop_timeout_s", 30.0, ["--stop-timeout", "3s"]),
    ("exit-code-on-error", "0", "exit_code_on_error", 0, ["--exit-code-on-error", "3"]),
    ("processes", "2", "workers", 2, ["--workers", "3"]),
])
def test_shared_options_from_locust_conf_and_locust_variables(
    plan_from: Resolver, tmp_path: Path, key: str, locust_value: str, attr: str,
    expected: object, swarmdeck_flag: list[str],
) -> None:
    if isinstance(expected, Path):
        expected = tmp_path / expected  # relative to the working directory, as in Locust
    write(tmp_path / "locust.conf", f"headless = true\n{key} = {locust_value}\n")
    plan = plan_from()
    assert (getattr(plan, attr), plan.sources[plan_setting(attr)]) == (expected, "locust.conf:2")
    variable = BY_KEY[key].env
    assert variable is not None
    from_env = plan_from(env={variable: locust_value})
    assert (getattr(from_env, attr), from_env.sources[plan_setting(attr)]) == (expected, variable)
    flagged = plan_from(swarmdeck_flag, env={variable: locust_value})
    assert getattr(flagged, attr) != expected
    assert flagged.sources[plan_setting(attr)].startswith("--")


def plan_setting(attr: str) -> str:
    return {"run_time_s": "run_time", "stop_timeout_s": "stop_timeout"}.get(attr, attr)


def test_precedence_is_locust_s_own(plan_from: Resolver, tmp_path: Path, home: Path) -> None:
    """The same files, variables and arguments, read by Locust's own parser: option i is
    set by sources 0..i, so source i wins it, in Locust and in swarmdeck alike."""
    options = ["host", "users", "spawn-rate", "run-time", "stop-timeout", "exit-code-on-error"]

    def value(option: str, source: int) -> str:
        return {"host": f"http://s{source}:1", "users": str(10 + source),
                "spawn-rate": str(20 + source), "run-time": f"{30 + source}s",
                "stop-timeout": str(40 + source),
                "exit-code-on-error": str(50 + source)}[option]

    def lines(source: int, form: str) -> str:
        pairs = [(o, value(o, source)) for o in options[source:]]
        quote = '"' if form == "toml" else ""
        return "".join(f"{o} = {quote}{v}{quote}\n" for o, v in pairs)

    write(home / ".locust.conf", lines(0, "conf"))
    write(tmp_path / "locust.conf", lines(1, "conf"))
    write(tmp_path / "pyproject.toml", "[tool.locust]\n" + lines(2, "toml"))
    write(tmp_path / "c.conf", lines(3, "conf"))
    env = {"HOME": str(home), "LOCUST_STOP_TIMEOUT": value("stop-timeout", 4),
           "LOCUST_EXIT_CODE_ON_ERROR": value("exit-code-on-error", 4)}
    args = ["--config", "c.conf", "--exit-code-on-error", value("exit-code-on-error", 5)]
    locust = subprocess.run(
        [sys.executable, "-c", ("import json, sys\n"
         "from locust.argument_parser import get_parser\n"
         "o = get_parser().parse_args(sys.argv[1:])\n"
         "print(json.dumps([o.host, o.num_users, o.spawn_rate, o.run_time, o.stop_timeout, "
         "o.exit_code_on_error]))"), *args],
        cwd=tmp_path, env={"PATH": os.environ.get("PATH", ""), **env}, capture_output=True,
        text=True, timeout=60, check=True)
    plan = plan_from(env=env, locust_args=args)
    ours = [plan.host, plan.users, plan.spawn_rate, plan.run_time_s, plan.stop_timeout_s,
            plan.exit_code_on_error]
    assert ours == json.loads(locust.stdout.splitlines()[-1])
    assert [plan.sources[s] for s in ("host", "users", "spawn_rate", "run_time",
                                      "stop_timeout", "exit_code_on_error")] == [
        "~/.locust.conf:1", "locust.conf:1", "pyproject.toml:2", "c.conf:1",
        "LOCUST_STOP_TIMEOUT", "--exit-code-on-error after `--`"]


def test_the_option_table_is_locust_s(tmp_path: Path) -> None:
    """Every option of the installed Locust's parser is in the table, with its flags and
    variable (the deprecated ones Locust itself refuses are left to Locust)."""
    locust = subprocess.run(
        [sys.executable, "-c", ("import json\n"
         "from locust.argument_parser import get_parser\n"
         "print(json.dumps([[a.option_strings, getattr(a, 'env_var', None)] "
         "for a in get_parser()._actions if a.option_strings]))")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    actions = json.loads(locust.stdout.splitlines()[-1])
    theirs = {next(f for f in flags if f.startswith("--"))[2:]: (set(flags), env)
              for flags, env in actions}
    for refused in ("help", "expect-slaves", "slave"):
        theirs.pop(refused)
    ours = {o.key: (set(o.flags), o.env) for o in LOCUST_OPTIONS if o.flags}
    assert ours == theirs


def test_conf_lines_are_read_as_configargparse_reads_them() -> None:
    text = ("# comment\n; comment\n[section]\n---\nhost = http://a:1\nusers: 5\n"
            "spawn-rate 2\n--run-time 1m\nheadless\nempty =\ntags = [a, b]\n"
            "exclude-tags = [\"c\"]\nquoted = 'x y'\nhost = http://b:2  # later wins\n")
    ours = {e.key: e.value for e in parse_conf(text, "t")}
    stream = io.StringIO(text)
    theirs = dict(configargparse.DefaultConfigFileParser().parse(stream))
    theirs["run-time"] = theirs.pop("--run-time")
    assert ours == theirs
    assert [e.line for e in parse_conf(text, "t") if e.key == "host"] == [14]


def test_unsupported_options_are_named_once_each(plan_from: Resolver, tmp_path: Path) -> None:
    write(tmp_path / "locust.conf", "headless = true\nweb-port = 8090\nautostart = true\n"
          "csv = results\ntags = [checkout]\nmy-custom-arg = 1\n")
    plan = plan_from(env={"LOCUST_WEB_PORT": "8091", "LOCUST_HEADLESS": "true"},
                     locust_args=["--csv-full-history", "--tags", "x"])
    assert len(plan.warnings) == 4
    web_port, autostart, csv, history = plan.warnings
    assert web_port.startswith("Locust's option web-port (locust.conf:2, LOCUST_WEB_PORT) "
                               "is ignored: ")
    assert "swarmdeck serve" in web_port
    assert autostart.startswith("Locust's option autostart (locust.conf:3) is ignored")
    assert csv.startswith("Locust's option csv (locust.conf:4) is ignored") and "--json" in csv
    assert history.startswith("Locust's option csv-full-history (--csv-full-history after "
                              "`--`) is ignored")
    assert plan.to_dict()["warnings"] == list(plan.warnings)
    assert plan.tags == {}  # Locust's task tags are its own, not swarmdeck's run labels


def test_nothing_to_warn_about_by_default(plan_from: Resolver, tmp_path: Path) -> None:
    write(tmp_path / "locust.conf", "headless = true\nhost = http://x:1\ntags = [a]\n")
    assert plan_from().warnings == ()


@pytest.mark.parametrize(("files", "env", "message"), [
    ({"locust.conf": "users = 5\n:oops\n"}, {}, "cannot read line locust.conf:2: ':oops'"),
    ({"locust.conf": "host = http://x:1\nusers = many\n"}, {},
     "'users' in locust.conf:2 must be a whole number of at least 1, got 'many'"),
    ({".home/.locust.conf": "run-time = soon\n"}, {},
     "'run-time' in ~/.locust.conf:1 must be a duration"),
    ({"pyproject.toml": "[tool.locust]\nusers = 5\nspawn-rate = 0\n"}, {},
     "'spawn-rate' in pyproject.toml:3 must be a number greater than 0, got 0"),
    ({"pyproject.toml": "[tool.locust]\nusers = = 5\n"}, {}, "invalid TOML in pyproject.toml:2:"),
    ({}, {"LOCUST_USERS": "-3"}, "LOCUST_USERS must be a whole number of at least 1, got '-3'"),
    ({}, {"LOCUST_HOST": "localhost:8000"}, "LOCUST_HOST must be http://host[:port]"),
])
def test_errors_in_locust_s_sources_name_the_file_and_line(
    plan_from: Resolver, tmp_path: Path, files: dict[str, str], env: dict[str, str],
    message: str,
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    error = error_of(plan_from, env={"HOME": str(tmp_path / ".home"), **env})
    assert error.message.startswith(message), error.message
    assert error.hint


def test_a_bad_locust_value_is_reported_even_when_a_flag_overrides_it(
    plan_from: Resolver, tmp_path: Path,
) -> None:
    write(tmp_path / "locust.conf", "users = 0\n")
    error = error_of(plan_from, argv=["-u", "5"])
    assert error.message.startswith("'users' in locust.conf:1 must be")
    assert error.hint == "e.g. users = 50"


def test_exit_code_on_error(plan_from: Resolver) -> None:
    plan = plan_from()
    assert (plan.exit_code_on_error, plan.sources["exit_code_on_error"]) == (1, "default")
    assert plan_from(["--exit-code-on-error", "0"]).exit_code_on_error == 0
    assert plan_from(env={"SWARMDECK_EXIT_CODE_ON_ERROR": "3"}).exit_code_on_error == 3
    assert plan_from(env={"LOCUST_EXIT_CODE_ON_ERROR": "0"}).exit_code_on_error == 0
    after = plan_from(locust_args=["--tags", "a", "--exit-code-on-error", "0"])
    assert after.exit_code_on_error == 0
    assert after.sources["exit_code_on_error"] == "--exit-code-on-error after `--`"
    assert plan_from(locust_args=["--exit-code", "7"]).exit_code_on_error == 7  # as argparse
    assert plan.to_dict()["exit_code_on_error"] == 1
    toml = "exit_code_on_error = 255\n"
    assert plan_from(env={"LOCUST_EXIT_CODE_ON_ERROR": "0"}, toml=toml).exit_code_on_error == 255


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"argv": ["--exit-code-on-error", "256"]},
     "--exit-code-on-error must be a whole number from 0 to 255, got '256'"),
    ({"argv": ["--exit-code-on-error", "x"]},
     "--exit-code-on-error must be a whole number from 0 to 255, got 'x'"),
    ({"env": {"SWARMDECK_EXIT_CODE_ON_ERROR": "-1"}},
     "SWARMDECK_EXIT_CODE_ON_ERROR must be a whole number from 0 to 255, got '-1'"),
    ({"toml": "exit_code_on_error = true\n"},
     "'exit_code_on_error' in swarmdeck.toml:1 must be a whole number from 0 to 255, got true"),
    ({"locust_args": ["--exit-code-on-error", "300"]},
     "--exit-code-on-error after `--` must be a whole number from 0 to 255, got '300'"),
    ({"argv": ["--exit-code-on-error", "0"], "locust_args": ["--exit-code-on-error", "0"]},
     "--exit-code-on-error is given before `--` and again as --exit-code-on-error after `--`"),
    ({"locust_args": ["-u"]}, ("the arguments after `--`: argument -u/--users: expected one "
                              "argument")),
])
def test_exit_code_on_error_refuses_bad_values(plan_from: Resolver, kwargs: dict[str, object],
                                               message: str) -> None:
    assert error_of(plan_from, **kwargs).message == message


def test_config_file(plan_from: Resolver, tmp_path: Path) -> None:
    write(tmp_path / "ci" / "load.conf", "users = 7\n")
    write(tmp_path / "ci" / "load.toml", "[tool.locust]\nusers = 8\n")
    plan = plan_from(["--config", "ci/load.conf"])
    assert (plan.users, plan.locust_config) == (7, tmp_path / "ci" / "load.conf")
    assert plan.sources["locust_config"] == "--config"
    from_env = plan_from(env={"SWARMDECK_LOCUST_CONFIG": "ci/load.toml"})
    assert (from_env.users, from_env.sources["users"]) == (8, "ci/load.toml:2")
    assert plan_from(locust_args=["--config=ci/load.conf"]).users == 7
    error = error_of(plan_from, argv=["--config", "missing.conf"])
    assert error.message == "Locust config file 'missing.conf' from --config does not exist"


def test_a_config_key_in_a_file_does_nothing(plan_from: Resolver, tmp_path: Path) -> None:
    write(tmp_path / "other.conf", "users = 9\n")
    write(tmp_path / "locust.conf", "config = other.conf\n")
    plan = plan_from()
    assert plan.users == 1 and plan.locust_config is None
    assert plan.warnings == (("Locust's option config (locust.conf:1) is ignored: name the "
                             "file with --config instead"),)


def test_user_classes_and_processes(plan_from: Resolver, tmp_path: Path) -> None:
    plan = plan_from(env={"LOCUST_USER_CLASSES": "WebsiteUser  ApiUser"})
    assert plan.classes == ("WebsiteUser", "ApiUser")
    assert plan.sources["classes"] == "LOCUST_USER_CLASSES"
    write(tmp_path / "locust.conf", "processes = -1\n")
    assert plan_from().workers == (os.cpu_count() or 1)


def test_no_home_no_home_file(plan_from: Resolver, tmp_path: Path) -> None:
    """~/.locust.conf is found from the HOME the resolver is given (as expanduser does)."""
    write(tmp_path / "home" / ".locust.conf", "users = 4\n")
    assert plan_from().users == 1
    assert plan_from(env={"HOME": str(tmp_path / "home")}).users == 4


def test_keys_locust_does_not_know_are_left_to_locust(plan_from: Resolver,
                                                      tmp_path: Path) -> None:
    """A locustfile's custom arguments live in locust.conf too: Locust's parser, which the
    run starts with the same files, takes them (or refuses them, as `locust` does)."""
    write(tmp_path / "locust.conf", "my-target-env = staging\nusers = 2\n")
    plan = plan_from()
    assert (plan.users, plan.warnings) == (2, ())
