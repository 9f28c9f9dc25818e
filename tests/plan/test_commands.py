"""Every command resolves only its own settings from the one registry, and every command's
flags come from that registry."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.report.runs import make_run

from swarmdeck.cli import main
from swarmdeck.cli_parser import build_parser
from swarmdeck.errors import ExitCode, PlanError, RunNotFound
from swarmdeck.plan import (
    COMMANDS,
    HostPort,
    ServeSettings,
    StoreSettings,
    WorkerSettings,
    resolve_command,
    settings_for,
)
from swarmdeck.store import Store

BANANA = {"SWARMDECK_USERS": "banana"}
STORE_ARGV = [["runs"], ["runs", "--json"], ["show", "1"], ["show", "2", "--json"],
              ["compare", "1", "2"], ["report", "1", "-o", "r.html"], ["baseline", "list"],
              ["baseline", "set", "main", "1"]]


def subparsers(parser: argparse.ArgumentParser,
               prefix: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                scope = f"{prefix} {name}".strip()
                yield scope, child
                yield from subparsers(child, scope)


def flags_of(parser: argparse.ArgumentParser) -> dict[str, tuple[str, ...]]:
    return {a.dest: tuple(a.option_strings) for a in parser._actions
            if a.option_strings and a.dest != "help"}


def parse(*argv: str) -> dict[str, object]:
    return dict(vars(build_parser().parse_args(list(argv))))


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No SWARMDECK_* variable set, and an empty working directory."""
    for name in [n for n in os.environ if n.startswith("SWARMDECK_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def stored(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two stored runs in a database named by SWARMDECK_DB."""
    url = f"sqlite:///{clean_env / 'env.db'}"
    with Store.open(url) as store:
        make_run(store, seconds=20, seed=1)
        make_run(store, seconds=20, seed=2, start=1_714_568_400)
    monkeypatch.setenv("SWARMDECK_DB", url)
    return url


# -- the flags ------------------------------------------------------------------------

def test_every_command_s_flags_are_its_registry_settings() -> None:
    scopes = dict(subparsers(build_parser()))
    assert set(COMMANDS) <= set(scopes)
    for scope, parser in scopes.items():
        if scope in ("baseline", "user"):  # its flags are on each action
            assert flags_of(parser) == {}
            continue
        expected = {s.name: s.flags for s in settings_for(scope).values()}
        assert flags_of(parser) == expected, scope
        text = parser.format_help()
        for setting in settings_for(scope).values():
            assert setting.env is None or setting.env in text, (scope, setting.name)


def test_the_flags_users_know_are_still_there() -> None:
    scopes = dict(subparsers(build_parser()))
    for scope, flags in {
        "worker": ["--master", "-f", "--locustfile", "--region", "--token", "--debug"],
        "serve": ["--db", "--bind", "--locustfile-dir", "--max-runs", "--max-runs-per-user",
                  "--max-users", "--max-run-time"],
        "runs": ["--db", "-n", "--limit", "--json"],
        "show": ["--db", "--json", "--by-region"],
        "compare": ["--db", "--metric", "--json", "--markdown", "--max-regression"],
        "report": ["--db", "-o", "--output", "--compare-to"],
        "baseline set": ["--db"], "baseline list": ["--db", "--json"], "baseline rm": ["--db"],
        "user add": ["--db", "--role", "--password-stdin"], "user rm": ["--db"],
        "node": ["--server", "--token", "--region", "--name"],
        "user passwd": ["--db", "--password-stdin"], "user list": ["--db"],
        "run": ["-f", "-H", "-u", "-r", "-t", "--shape", "--plan", "--db", "--json", "--tag",
                "--class", "-q", "--master-bind", "--token", "--region", "--threshold"],
    }.items():
        known = {f for option in flags_of(scopes[scope]).values() for f in option}
        assert set(flags) <= known, (scope, set(flags) - known)


def test_options_are_parsed_by_argparse_with_their_defaults() -> None:
    assert parse("runs")["limit"] == 20 and parse("runs", "-n", "5")["limit"] == 5
    assert parse("runs")["json"] is False and parse("runs", "--json")["json"] is True
    assert parse("compare", "1", "2")["metric"] == "p95"
    assert parse("compare", "1", "2", "--max-regression", "p95=+5%",
                 "--max-regression", "rps=-1%")["max_regression"] == ["p95=+5%", "rps=-1%"]
    for argv in (["runs", "-n", "0"], ["runs", "-n", "x"], ["compare", "1", "2", "--metric",
                                                              "p75"]):
        with pytest.raises(SystemExit) as caught:
            parse(*argv)
        assert caught.value.code == ExitCode.BAD_INPUT


# -- commands that only read the store -------------------------------------------------

@pytest.mark.parametrize("argv", STORE_ARGV, ids=" ".join)
def test_store_commands_ignore_run_settings(argv: list[str], stored: str,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SWARMDECK_USERS", "banana")
    monkeypatch.setenv("SWARMDECK_SHAPE", "zigzag")
    assert main(argv) == ExitCode.OK, capsys.readouterr().err
    captured = capsys.readouterr()
    assert captured.err == ""
    if argv == ["runs", "--json"]:  # the database from SWARMDECK_DB
        assert [row["id"] for row in json.loads(captured.out)] == [2, 1]


def test_run_still_refuses_a_bad_run_setting(stored: str, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SWARMDECK_USERS", "banana")
    assert main(["run", "-t", "1s"]) == ExitCode.BAD_INPUT
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("swarmdeck: error: SWARMDECK_USERS must be a whole number")


def test_debug_applies_to_every_command(stored: str, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "99"]) == ExitCode.BAD_INPUT  # one line, no traceback
    assert "no run 99" in capsys.readouterr().err.lower()
    monkeypatch.setenv("SWARMDECK_DEBUG", "1")
    with pytest.raises(RunNotFound):  # the traceback, as with --debug
        main(["show", "99"])


def test_store_commands_read_only_db_from_the_plan_file(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "plan.toml").write_text(
        'db = "runs.db"\nusers = "banana"\nno_such_key = 1\n')
    for command in ("runs", "show", "compare", "report", "baseline"):
        settings = resolve_command(command, {"plan": "ci/plan.toml"}, BANANA, tmp_path)
        assert settings == StoreSettings(db_url=f"sqlite:///{tmp_path / 'ci' / 'runs.db'}")
    assert resolve_command("runs", {"plan": "ci/plan.toml", "db": "x.db"},
                           {"SWARMDECK_DB": "y.db"}, tmp_path).db_url == \
        f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(PlanError) as caught:  # what a command does read is still checked
        resolve_command("runs", {}, {"SWARMDECK_DB": "mysql://h/db"}, tmp_path)
    assert caught.value.message.startswith("SWARMDECK_DB must be")
    (tmp_path / "swarmdeck.toml").write_text("db = [\n")
    with pytest.raises(PlanError, match="invalid TOML in swarmdeck.toml"):
        resolve_command("show", {}, {}, tmp_path)


def test_run_refuses_what_the_store_commands_skip(tmp_path: Path) -> None:
    (tmp_path / "swarmdeck.toml").write_text('db = "runs.db"\nno_such_key = 1\n')
    with pytest.raises(PlanError, match="unknown key 'no_such_key'"):
        resolve_command("run", {}, {}, tmp_path)


# -- swarmdeck worker ------------------------------------------------------------------

def test_worker_settings_from_flags_and_environment(tmp_path: Path) -> None:
    default = resolve_command("worker", parse("worker", "--master", "10.0.0.5:5557"), {},
                              tmp_path)
    assert default == WorkerSettings(master=HostPort("10.0.0.5", 5557),
                                     locustfile=Path("-"), region="local", token=None)
    env = {"SWARMDECK_MASTER": "swarmdeck-master:5557", "SWARMDECK_REGION": "eu-west",
           "SWARMDECK_TOKEN": "s3cret", "SWARMDECK_LOCUSTFILE": "shop.py",
           "SWARMDECK_DEBUG": "1", **BANANA}
    from_env = resolve_command("worker", parse("worker"), env, tmp_path)
    assert from_env == WorkerSettings(master=HostPort("swarmdeck-master", 5557),
                                      locustfile=tmp_path / "shop.py", region="eu-west",
                                      token="s3cret", debug=True)
    flagged = resolve_command("worker", parse("worker", "--master", "[::1]:6000", "-f", "-",
                                              "--region", "us", "--token", "t"), env, tmp_path)
    assert (flagged.master, flagged.locustfile, flagged.region, flagged.token) == \
        (HostPort("::1", 6000), Path("-"), "us", "t")
    assert default.master_timeout_s == 60.0  # Locust's own
    assert resolve_command("worker", parse("worker", "--master", "h:1", "--master-timeout",
                                           "15s"), {}, tmp_path).master_timeout_s == 15.0


def test_worker_reads_no_plan_file(tmp_path: Path) -> None:
    (tmp_path / "swarmdeck.toml").write_text('region = "from-the-plan"\nusers = "x"\n')
    settings = resolve_command("worker", parse("worker", "--master", "m:1"), {}, tmp_path)
    assert settings.region == "local"


@pytest.mark.parametrize(("argv", "env", "message"), [
    (["worker"], {}, "--master is missing"),
    (["worker", "--master", "10.0.0.5"], {}, "--master must be HOST:PORT"),
    (["worker", "--master", "http://m:5557"], {}, "--master must be HOST:PORT"),
    (["worker", "--master", "m:5557"], {"SWARMDECK_MASTER": "m:99999"},
     "SWARMDECK_MASTER must have a port from 1 to 65535"),
    (["worker", "--master", "m:5557", "--region", " "], {}, "--region must be a non-empty"),
])
def test_bad_worker_settings_are_one_line_exit_2(argv: list[str], env: dict[str, str],
                                                 message: str, clean_env: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == ExitCode.BAD_INPUT
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"swarmdeck: error: {message}"), lines


# -- swarmdeck serve -------------------------------------------------------------------

def test_serve_settings(tmp_path: Path) -> None:
    (tmp_path / "swarmdeck.toml").write_text('db = "runs.db"\nusers = "x"\n')
    default = resolve_command("serve", parse("serve"), BANANA, tmp_path)
    assert default == ServeSettings(bind=HostPort("127.0.0.1", 8089),
                                    db_url=f"sqlite:///{tmp_path / 'runs.db'}")
    env = {"SWARMDECK_BIND": "0.0.0.0:9000", "SWARMDECK_DB": "env.db"}
    from_env = resolve_command("serve", parse("serve"), env, tmp_path)
    assert (from_env.bind, from_env.db_url) == (HostPort("0.0.0.0", 9000),
                                                f"sqlite:///{tmp_path / 'env.db'}")
    flagged = resolve_command("serve", parse("serve", "--bind", "[::1]:0"), env, tmp_path)
    assert flagged.bind == HostPort("::1", 0) and str(flagged.bind) == "[::1]:0"


@pytest.mark.parametrize(("bind", "message"), [
    ("8089", "--bind must be IP:PORT"),
    ("127.0.0.1:http", "--bind must be IP:PORT"),
    ("127.0.0.1:70000", "--bind must have a port from 0 to 65535"),
    ("example.com:80", "--bind must have an IP address (or localhost) as its host"),
])
def test_serve_refuses_a_bad_bind(bind: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(PlanError) as caught:
        resolve_command("serve", parse("serve", "--bind", bind), {}, tmp_path)
    assert caught.value.message.startswith(message)
    assert caught.value.hint == "e.g. --bind 0.0.0.0:8089"
