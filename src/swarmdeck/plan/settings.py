"""The one registry of settings of every command: each setting's flags, environment
variable, plan-file key, parser, default, help and commands. Every subcommand's flags
(`add_arguments`) and docs/settings.md (`markdown_table`) come from here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from swarmdeck.metrics.interval import MAX_NAMES
from swarmdeck.plan.arrival import parse_rate
from swarmdeck.plan.gates import parse_budgets, parse_compare_ref, parse_thresholds
from swarmdeck.plan.setting import (
    COMMANDS,
    SWITCHES,
    Parser,
    Scope,
    Setting,
    as_given,
    option,
)
from swarmdeck.plan.shape_spec import SHAPE_NAMES, parse_shape_value
from swarmdeck.plan.values import (
    Invalid,
    parse_bool,
    parse_classes,
    parse_db_url,
    parse_duration_value,
    parse_host,
    parse_host_port,
    parse_int,
    parse_interval,
    parse_monitors,
    parse_output_path,
    parse_path,
    parse_positive_float,
    parse_share,
    parse_tags,
    parse_text,
)

RUN: frozenset[Scope] = frozenset({"run"})
STORE: frozenset[Scope] = frozenset({"runs", "show", "compare", "report", "baseline",
                                     "import", "user"})
PLAN_FILE_READERS: frozenset[Scope] = RUN | STORE | {"serve"}  # worker: defaults < env < flags
CAPACITY: frozenset[Scope] = frozenset({"capacity"})
EVERY: frozenset[Scope] = frozenset(COMMANDS)
DISTRIBUTED: frozenset[Scope] = frozenset({"run", "worker"})
AGENT: frozenset[Scope] = frozenset({"agent"})


def _ignore_base(parse: Callable[[object], Any]) -> Parser:
    return lambda value, base: parse(value)


def _shape(value: object, base: Path) -> Any:
    return parse_shape_value(value)


def _address(value: object) -> Any:
    return parse_host_port(value)


def _listen_address(value: object) -> Any:
    return parse_host_port(value, ip_only=True, any_port=True)


SETTINGS: tuple[Setting, ...] = (
    Setting("locustfile", "locustfile", ("-f", "--locustfile"), parse_path, "locustfile.py",
            "the Locust script to run (in swarmdeck.toml, relative to the plan file's folder)",
            "scenarios/shop.py", 'locustfile = "scenarios/shop.py"', metavar="PATH"),
    Setting("host", "host", ("-H", "--host"), _ignore_base(parse_host), None,
            "the target, http(s)://host[:port] without a path; none: the User classes' host",
            "http://localhost:5000", 'host = "http://localhost:5000"', metavar="URL"),
    Setting("users", "users", ("-u", "--users"),
            _ignore_base(lambda v: parse_int(v, minimum=1)), 1,
            "peak number of concurrent users (shapes scale their defaults from it)",
            "50", "users = 50", metavar="N"),
    Setting("spawn_rate", "spawn_rate", ("-r", "--spawn-rate"),
            _ignore_base(parse_positive_float), 1,
            "users started (or stopped) per second", "10", "spawn_rate = 10", metavar="RATE"),
    Setting("run_time", "run_time_s", ("-t", "--run-time"),
            _ignore_base(lambda v: parse_duration_value(v, positive=True)), None,
            "stop after this long (90, 30s, 10m, 1h30m); required unless a shape ends the run",
            "5m", 'run_time = "5m"', metavar="DURATION"),
    Setting("shape", "shape", ("--shape",), _shape, None,
            f"a built-in load shape: {', '.join(SHAPE_NAMES)}, or none; parameters in the "
            "[shape] table of swarmdeck.toml (see docs/plan.md)",
            "step", '[shape] name = "step"', metavar="NAME"),
    # -- the open model (docs/open-model.md) --
    Setting("arrival_rate", "arrival_rate", ("--arrival-rate",), _ignore_base(parse_rate), None,
            "the open model: start iterations (one task each) at this rate, 200/s or 30/m, "
            "whatever the responses do, for -t; ramping rates: [shape] kind = \"arrival\" "
            "with stages (docs/open-model.md)", "200/s", 'arrival_rate = "200/s"',
            metavar="RATE"),
    Setting("max_users", "max_users", ("--max-users",),
            _ignore_base(lambda v: parse_int(v, minimum=1)), None,
            "the open model: the most users in the pool; when none is free, another is "
            "started, up to this (-u: the users started before the first iteration); none: "
            "twice the peak rate per second", "500", "max_users = 500", metavar="N"),
    Setting("max_lag", "max_lag_s", ("--max-lag",),
            _ignore_base(lambda v: parse_duration_value(v, positive=False)), "1s",
            "the open model: an iteration that finds no free user waits this long at most "
            "(its latency counts from when it was due), then is dropped; 0: dropped at once "
            "(k6)", "0", 'max_lag = "2s"', metavar="DURATION"),
    # -- swarmdeck serve (reads db from the plan file) --
    Setting("bind", "bind", ("--bind",), _ignore_base(_listen_address), "127.0.0.1:8089",
            "where the dashboard listens (port 0: any free port); beyond 127.0.0.1 it needs "
            "SWARMDECK_DASHBOARD_TOKEN, or SWARMDECK_DASHBOARD_USER and "
            "SWARMDECK_DASHBOARD_PASSWORD (see docs/dashboard.md)", "0.0.0.0:8089",
            "(not a plan-file key)", metavar="HOST:PORT", in_file=False,
            commands=frozenset({"serve"})),
    Setting("locustfile_dir", "locustfile_dir", ("--locustfile-dir",), parse_path, None,
            "a folder whose locustfiles saved tests may name by path (none: uploads only; "
            "docs/platform.md)", "/srv/locustfiles", "(not a plan-file key)",
            metavar="PATH", in_file=False, commands=frozenset({"serve"})),
    Setting("max_runs", "max_runs", ("--max-runs",),
            _ignore_base(lambda v: parse_int(v, minimum=1)), 2,
            "at most this many runs started from the platform at once", "4",
            "(not a plan-file key)", metavar="N", in_file=False,
            commands=frozenset({"serve"})),
    Setting("max_runs_per_user", "max_runs_per_user", ("--max-runs-per-user",),
            _ignore_base(lambda v: parse_int(v, minimum=1)), 1,
            "at most this many of them started by one user", "2", "(not a plan-file key)",
            metavar="N", in_file=False, commands=frozenset({"serve"})),
    Setting("max_users", "max_users", ("--max-users",),
            _ignore_base(lambda v: parse_int(v, minimum=1)), 1000,
            "a run started from the platform simulates at most this many users", "5000",
            "(not a plan-file key)", metavar="N", in_file=False,
            commands=frozenset({"serve"})),
    Setting("max_run_time", "max_run_time_s", ("--max-run-time",),
            _ignore_base(lambda v: parse_duration_value(v, positive=True)), "1h",
            "a run started from the platform lasts at most this long", "30m",
            "(not a plan-file key)", metavar="DURATION", in_file=False,
            commands=frozenset({"serve"})),
    Setting("plan", "plan_path", ("--plan",), parse_path, None,
            "the plan file to read; none: ./swarmdeck.toml if it exists",
            "ci/swarmdeck.toml", "(not a plan-file key)", metavar="PATH", in_file=False,
            commands=PLAN_FILE_READERS),
    Setting("db", "db_url", ("--db",), parse_db_url, ".swarmdeck/swarmdeck.db",
            "where runs are stored: a SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB",
            "postgresql://swarmdeck@db/swarmdeck", 'db = "runs.db"', metavar="URL",
            commands=PLAN_FILE_READERS, file_commands=PLAN_FILE_READERS),
    Setting("store_grace", "store_grace_s", ("--store-grace",),
            _ignore_base(lambda v: parse_duration_value(v, positive=False)), "10s",
            "at the end of a run, how long to keep retrying a results database that does not "
            "answer before leaving the rest in the run's journal (exit 4; load it later with "
            "`swarmdeck import`)", "1m", 'store_grace = "1m"', metavar="DURATION"),
    Setting("json", "json_path", ("--json",), parse_output_path, None,
            "also write the run's results as JSON to this file (- for standard output)",
            "results.json", 'json = "results.json"', metavar="PATH"),
    Setting("tags", "tags", ("--tag",), _ignore_base(parse_tags), None,
            "label the run with KEY=VALUE (repeatable; the environment variable takes "
            "KEY=VALUE,KEY=VALUE); tags from all sources are merged, later ones win",
            "env=staging", 'tags = { env = "staging", branch = "main" }',
            metavar="KEY=VALUE", action="append", merge=True),
    Setting("classes", "classes", ("--class",), _ignore_base(parse_classes), None,
            "run only these User classes of the locustfile (repeatable, or comma-separated); "
            "none: all of them", "WebsiteUser", 'classes = ["WebsiteUser", "ApiUser"]',
            metavar="NAME", action="append"),
    Setting("quiet", "quiet", ("-q", "--quiet"), _ignore_base(parse_bool), False,
            "print only the final summary, no live progress", "1", "quiet = true",
            action="store_true"),
    Setting("interval", "interval_s", ("--interval",),
            _ignore_base(parse_interval), "1s",
            "length of one histogram interval (whole seconds)", "5s", 'interval = "5s"', metavar="DURATION"),
    Setting("max_names", "max_names", ("--max-names",),
            _ignore_base(lambda v: parse_int(v, minimum=1)), MAX_NAMES,
            "cap on distinct request names per run, after grouping (a last resort against "
            "a name explosion: the names beyond it are folded into (other))",
            "1000", "max_names = 1000", metavar="N"),
    Setting("group_names", "group_names", ("--no-group-names",), _ignore_base(parse_bool),
            True, "group URLs by their ids: /items/17 and /items/42 are recorded as one "
            "endpoint, /items/{id} (see docs/cli.md); --no-group-names (or false) records "
            "every name as Locust reports it", "0", "group_names = false",
            action="store_false"),
    Setting("debug", "debug", ("--debug",), _ignore_base(parse_bool), False,
            "verbose logging, and tracebacks for unexpected errors", "1", "debug = true",
            action="store_true", commands=EVERY),
    Setting("stop_timeout", "stop_timeout_s", ("--stop-timeout",),
            _ignore_base(lambda v: parse_duration_value(v, positive=False)), "10s",
            "at the end, give running tasks this long to finish before stopping users",
            "30s", 'stop_timeout = "30s"', metavar="DURATION"),
    Setting("exit_code_on_error", "exit_code_on_error", ("--exit-code-on-error",),
            _ignore_base(lambda v: parse_int(v, minimum=0, maximum=255)), 1,
            "the exit code of a run whose requests failed, as Locust's option of that name; "
            "0: failures alone do not fail the run", "0", "exit_code_on_error = 0",
            metavar="N"),
    Setting("locust_config", "locust_config", ("--config",), parse_path, None,
            "a Locust config file to read as `locust --config` does: after ~/.locust.conf, "
            "./locust.conf and ./pyproject.toml, before LOCUST_* (see docs/settings.md)",
            "ci/locust.conf", "(not a plan-file key)", metavar="PATH", in_file=False),
    Setting("workers", "workers", ("--workers",),
            _ignore_base(lambda v: parse_int(v, minimum=0)), 0,
            "start a master and N local worker processes; 0: this one process generates "
            "the load", "2", "workers = 2", metavar="N"),
    Setting("expect_workers", "expect_workers", ("--expect-workers",),
            _ignore_base(lambda v: parse_int(v, minimum=0)), 0,
            "wait for N remote workers (`swarmdeck worker --master HOST:PORT`) before "
            "starting", "4", "expect_workers = 4", metavar="N"),
    Setting("expect_workers_timeout", "expect_workers_timeout_s",
            ("--expect-workers-timeout",),
            _ignore_base(lambda v: parse_duration_value(v, positive=True)), "60s",
            "give up (exit 3) when the workers have not all arrived after this long",
            "2m", 'expect_workers_timeout = "2m"', metavar="DURATION"),
    Setting("master_bind", "master_bind", ("--master-bind",), _ignore_base(_address),
            "127.0.0.1:5557",
            "where the master listens for workers; without a token only 127.0.0.1 is used",
            "0.0.0.0:5557", 'master_bind = "0.0.0.0:5557"', metavar="HOST:PORT"),
    # -- swarmdeck worker (it reads no plan file: the run's plan is the master's) --
    Setting("master", "master", ("--master",), _ignore_base(_address), None,
            "the master's address as this machine reaches it (the port of its "
            "--master-bind)", "10.0.0.5:5557", "(not a plan-file key)", metavar="HOST:PORT",
            in_file=False, commands=frozenset({"worker"}), required=True),
    Setting("locustfile", "locustfile", ("-f", "--locustfile"), parse_output_path, "-",
            "the same locustfile as the master's; - receives it from the master (a single "
            "file only)", "scenarios/shop.py", "(not a plan-file key)", metavar="PATH",
            in_file=False, commands=frozenset({"worker"})),
    Setting("master_timeout", "master_timeout_s", ("--master-timeout",),
            _ignore_base(lambda v: parse_duration_value(v, positive=True)), "60s",
            "stop this worker's users and exit when the master has sent no heartbeat for "
            "this long (Locust's MASTER_HEARTBEAT_TIMEOUT)", "15s",
            "(not a plan-file key)", metavar="DURATION", in_file=False,
            commands=frozenset({"worker"})),
    Setting("token", "token", ("--token",), _ignore_base(parse_text), None,
            "the secret shared by the master and its workers (the master refuses workers "
            "without it), or by a swarmdeck agent and the runs that read it; prefer the "
            "environment variable",
            "s3cret", "(use SWARMDECK_TOKEN)", metavar="TOKEN", in_file=False,
            commands=DISTRIBUTED | AGENT),
    Setting("region", "region", ("--region",), _ignore_base(parse_text), "local",
            "the region label of the load this process generates (run: and its --workers)",
            "eu-west", 'region = "eu-west"', metavar="NAME", commands=DISTRIBUTED),
    # -- swarmdeck node (a generator machine registered with a platform; no plan file) --
    Setting("server", "server", ("--server",), _ignore_base(parse_host), None,
            "the platform's address (swarmdeck serve), http(s)://host[:port]",
            "http://10.0.0.5:8089", "(not a plan-file key)", metavar="URL", in_file=False,
            commands=frozenset({"node"}), required=True),
    Setting("node_token", "token", ("--token",), _ignore_base(parse_text), None,
            "a personal API token of a tester (the Account page); prefer the environment "
            "variable", "sdt_...", "(use SWARMDECK_NODE_TOKEN)", metavar="TOKEN",
            in_file=False, commands=frozenset({"node"}), required=True),
    Setting("node_region", "region", ("--region",), _ignore_base(parse_text), "local",
            "the region this machine generates load in (runs ask for nodes by region)",
            "eu-west", "(not a plan-file key)", metavar="NAME", in_file=False,
            commands=frozenset({"node"})),
    Setting("node_name", "name", ("--name",), _ignore_base(parse_text), None,
            "how the platform lists this machine; none: its host name", "gen-eu-1",
            "(not a plan-file key)", metavar="NAME", in_file=False,
            commands=frozenset({"node"})),
    Setting("thresholds", "thresholds", ("--threshold",), _ignore_base(parse_thresholds), None,
            "fail the run (exit 1) unless [ENDPOINT:] METRIC[WINDOW] OP VALUE holds, e.g. "
            "'p95 < 300ms', 'GET /api/products: p95[30s] < 200ms', 'error_rate < 1% "
            "abort=10s' (repeatable; the environment variable separates them with ;); "
            "see docs/plan.md",
            "p95 < 300ms", 'thresholds = ["p95 < 300ms", "error_rate < 1%"]',
            metavar="EXPR", action="append"),
    Setting("junit", "junit_path", ("--junit",), parse_output_path, None,
            "also write a JUnit XML report (one test case per threshold and per failing "
            "endpoint) to this file, for CI", "junit.xml", 'junit = "reports/junit.xml"',
            metavar="PATH"),
    Setting("markdown", "markdown_path", ("--markdown",), parse_output_path, None,
            "also write a short Markdown summary (for a pull-request comment) to this file",
            "summary.md", 'markdown = "reports/summary.md"', metavar="PATH"),
    Setting("html", "html_path", ("--html",), parse_output_path, None,
            "also write the run's HTML report to this file", "report.html",
            'html = "reports/report.html"', metavar="PATH"),
    Setting("compare_to", "compare_to", ("--compare-to",), _ignore_base(parse_compare_ref),
            None, "compare the run with another: a run id, last (the latest earlier run) or "
            "baseline:NAME", "baseline:main", 'compare_to = "baseline:main"', metavar="REF"),
    Setting("max_regression", "max_regression", ("--max-regression",),
            _ignore_base(parse_budgets), None,
            "with --compare-to, fail the run when a significant change is worse than this: "
            "p50|p95|p99=+N%, rps=-N%, error_rate=+Npp (repeatable; the environment "
            "variable separates them with commas)", "p95=+10%",
            'max_regression = ["p95=+10%", "error_rate=+1pp"]', metavar="BUDGET",
            action="append"),
    # -- monitors of the target's side (docs/monitors.md) --
    Setting("monitors", "monitors", ("--monitor",), parse_monitors, None,
            "sample the target's side once a second for the whole run: process:PID|PIDFILE, "
            "statsd://HOST:PORT, postgresql://USER@HOST/DB, redis://HOST:PORT/DB, "
            "prometheus+http://HOST:PORT/metrics, agent://HOST:PORT; NAME=SPEC names its "
            "series (repeatable; the environment variable separates them with ; or spaces; "
            "swarmdeck agent: what it samples besides the host); see docs/monitors.md",
            "process:/run/gunicorn.pid",
            '[[monitors]] spec = "statsd://127.0.0.1:8125"', metavar="SPEC",
            action="append", commands=RUN | AGENT),
    Setting("monitor_required", "monitor_required", ("--monitor-required",),
            _ignore_base(parse_bool), False,
            "a monitor that cannot be reached at the start stops the run before it begins "
            "(exit 3), and one lost mid-run stops it (failed); default: a warning and a gap",
            "1", "monitor_required = true", action="store_true"),
    # -- swarmdeck agent (no plan file: it runs on the target's host) --
    Setting("bind", "bind", ("--bind",), _ignore_base(_listen_address), "127.0.0.1:9118",
            "where the agent listens for runs' agent://HOST:PORT monitors; beyond 127.0.0.1 "
            "it needs a token (SWARMDECK_TOKEN)", "0.0.0.0:9118", "(not a plan-file key)",
            metavar="HOST:PORT", in_file=False, commands=AGENT),
    # -- options: flags of one invocation, with no environment variable or plan key --
    option("limit", frozenset({"runs"}), ("-n", "--limit"), 20, "how many runs, newest first",
           parse=_ignore_base(lambda v: parse_int(v, minimum=1)), metavar="N"),
    option("json", frozenset({"runs", "show", "compare", "baseline list"}), ("--json",),
           False, "print JSON instead of the terminal view (show: the run's JSON summary, as "
           "run --json writes it)", action="store_true"),
    option("by_region", frozenset({"show"}), ("--by-region",), False,
           "also break every endpoint down by region", action="store_true"),
    option("metric", frozenset({"compare"}), ("--metric",), "p95",
           "the metric the verdicts are on", choices=("p50", "p95", "p99", "rps")),
    option("markdown", frozenset({"compare"}), ("--markdown",), None,
           "also write the comparison as Markdown to this file", metavar="PATH"),
    option("max_regression", frozenset({"compare"}), ("--max-regression",), None,
           "exit 1 when a significant change is worse than this: p95=+10%, rps=-5%, "
           "error_rate=+1pp (repeatable, or comma-separated)", metavar="BUDGET",
           action="append"),
    option("output", frozenset({"report"}), ("-o", "--output"), None,
           "the file to write; none: report-RUN.html, or compare-BASE-RUN.html with "
           "--compare-to", metavar="PATH"),
    option("compare_to", frozenset({"report"}), ("--compare-to",), None,
           "a base run to overlay and compare with: a run id, last or baseline:NAME",
           metavar="RUN"),
    option("role", frozenset({"user add"}), ("--role",), "viewer",
           "what the user may do: admin (users, targets), tester (tests, runs), viewer "
           "(reads)", choices=("admin", "tester", "viewer")),
    option("password_stdin", frozenset({"user add", "user passwd"}), ("--password-stdin",),
           False, "read the password from the first line of standard input instead of "
           "asking twice on the terminal (for scripts)", action="store_true"),
)


# `swarmdeck capacity` (docs/capacity.md): a search over arrival rates is an open-model run,
# so it shares these settings of `run` (and reads them from the plan file); the load itself
# (-t, --shape, --arrival-rate) and the gates (--threshold: its --slo instead) are its own.
CAPACITY_SHARES = ("locustfile", "host", "users", "max_users", "max_lag", "plan", "db",
                   "json", "tags", "classes", "quiet", "interval", "max_names", "group_names",
                   "stop_timeout", "html", "monitors", "monitor_required",
                   # over workers, as a distributed run (engine/openmodel/capacity_master.py)
                   "workers", "expect_workers", "expect_workers_timeout", "master_bind",
                   "token", "region")
SETTINGS = tuple(
    replace(s, commands=s.commands | CAPACITY, file_commands=s.file_commands | CAPACITY)
    if s.name in CAPACITY_SHARES and "run" in s.commands else s for s in SETTINGS) + (
    Setting("slo", "slo", ("--slo",), _ignore_base(parse_thresholds), None,
            "the SLO the rate must keep, as thresholds: 'p95 < 500ms', 'error_rate < 1%' "
            "(repeatable; the environment variable separates them with ;)", "p95 < 500ms",
            "(not a plan-file key)", metavar="EXPR", action="append", in_file=False,
            commands=CAPACITY, required=True),
    Setting("start_rate", "start_rate", ("--start-rate",), _ignore_base(parse_rate), "10/s",
            "the first rate tried; it doubles while the SLO holds", "50/s",
            "(not a plan-file key)", metavar="RATE", in_file=False, commands=CAPACITY),
    Setting("max_rate", "max_rate", ("--max-rate",), _ignore_base(parse_rate), "10000/s",
            "the highest rate tried (the search stops there if the SLO still holds)",
            "2000/s", "(not a plan-file key)", metavar="RATE", in_file=False,
            commands=CAPACITY),
    Setting("step", "step_s", ("--step",),
            _ignore_base(lambda v: parse_duration_value(v, positive=True)), "10s",
            "how long each rate is held (longer when it has too few requests to judge)",
            "30s", "(not a plan-file key)", metavar="DURATION", in_file=False,
            commands=CAPACITY),
    Setting("settle", "settle_s", ("--settle",),
            _ignore_base(lambda v: parse_duration_value(v, positive=False)), "2s",
            "the start of each step left out of its verdict (the target settles at the new "
            "rate)", "5s", "(not a plan-file key)", metavar="DURATION", in_file=False,
            commands=CAPACITY),
    Setting("min_requests", "min_requests", ("--min-requests",),
            _ignore_base(lambda v: parse_int(v, minimum=1)), 100,
            "the fewest requests a step is judged on (a step with fewer is held longer)",
            "500", "(not a plan-file key)", metavar="N", in_file=False, commands=CAPACITY),
    Setting("precision", "precision", ("--precision",), _ignore_base(parse_share), "10%",
            "stop when the highest passing and lowest failing rates are this close "
            "(relative to the passing one)", "5%", "(not a plan-file key)", metavar="PCT",
            in_file=False, commands=CAPACITY),
    Setting("confirm", "confirm_s", ("--confirm",),
            _ignore_base(lambda v: parse_duration_value(v, positive=False)), "20s",
            "hold the rate found this long to confirm it (0: no confirmation)", "1m",
            "(not a plan-file key)", metavar="DURATION", in_file=False, commands=CAPACITY),
)


def settings_for(scope: Scope) -> dict[str, Setting]:
    """The settings of a command (``runs``) or one of its actions (``baseline list``), by
    name, in registry order."""
    return {s.name: s for s in SETTINGS if s.applies_to(scope)}


def _check_registry() -> None:
    """Within a command, a name, a flag and an environment variable name one setting."""
    scopes = {scope for s in SETTINGS for scope in s.commands}
    for scope in scopes | set(COMMANDS):
        mine = [s for s in SETTINGS if s.applies_to(scope)]
        for what, keys in (("name", [s.name for s in mine]),
                           ("flag", [f for s in mine for f in s.flags]),
                           ("variable", [s.env for s in mine if s.env])):
            repeated = {k for k in keys if keys.count(k) > 1}
            if repeated:
                raise AssertionError(f"{scope}: {what} {sorted(repeated)} given twice")
        if any(s.file_key(scope) for s in mine) and not any(s.name == "plan" for s in mine):
            raise AssertionError(f"{scope} reads plan-file keys but has no plan setting")


_check_registry()
RUN_SETTINGS: dict[str, Setting] = settings_for("run")
FILE_KEYS: tuple[str, ...] = tuple(s.name for s in RUN_SETTINGS.values() if s.file_key("run"))


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup,
                  scope: Scope = "run") -> None:
    """Add the flags of a command's (or action's) settings and options.

    A setting's dest is its name and its default None (not given: `resolve` fills in the
    lower layers); an option's value is parsed by argparse, its default applied.
    """
    for setting in settings_for(scope).values():
        options: dict[str, Any] = {"dest": setting.name, "action": setting.action}
        if setting.from_env:
            help_text = f"{setting.help} [env {setting.env}; default {setting.default_doc}]"
            options["default"] = None
        else:
            shown = "" if setting.default is None else f" [default {setting.default_doc}]"
            help_text = setting.help + shown
            options["default"] = (None if setting.default is None
                                  else setting.parse(setting.default, Path.cwd()))
            if setting.action not in SWITCHES and setting.parse is not as_given:
                options["type"] = _argparse_type(setting)
        options["help"] = help_text.replace("%", "%%")
        if setting.action not in SWITCHES:
            options["metavar"] = setting.metavar
        if setting.choices:
            options["choices"] = setting.choices
        parser.add_argument(*setting.flags, **options)


def _argparse_type(setting: Setting) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return setting.parse(text, Path.cwd())
        except Invalid as exc:
            raise argparse.ArgumentTypeError(exc.problem) from None

    return convert


def markdown_table(command: str = "run") -> str:
    """A command's table in docs/settings.md, one row per setting, in registry order."""
    rows = ["| Setting | Flags | Environment | Plan key | Default | Help |",
            "|---|---|---|---|---|---|"]
    for s in SETTINGS:
        if not s.belongs_to(command):
            continue
        only = [scope for scope in s.commands if scope.startswith(f"{command} ")]
        help_text = (f"({', '.join(sorted(only))} only) " if only else "") + s.help
        cells = [f"`{s.name}`", ", ".join(f"`{f}`" for f in s.flags),
                 f"`{s.env}`" if s.env else "—",
                 f"`{s.file_key(command)}`" if s.file_key(command) else "—",
                 f"`{s.default_doc}`", help_text.replace("|", "\\|")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
