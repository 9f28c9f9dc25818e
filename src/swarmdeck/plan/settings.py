"""The one registry of settings: every setting's flags, environment variable, plan-file key,
parser, default and help. The ``run`` subcommand's flags and docs/settings.md come from here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from swarmdeck.metrics.interval import MAX_NAMES
from swarmdeck.plan.gates import parse_budgets, parse_compare_ref, parse_thresholds
from swarmdeck.plan.shape_spec import SHAPE_NAMES, parse_shape_value
from swarmdeck.plan.values import (
    parse_bind,
    parse_bool,
    parse_classes,
    parse_db_url,
    parse_duration_value,
    parse_host,
    parse_int,
    parse_interval,
    parse_output_path,
    parse_path,
    parse_positive_float,
    parse_tags,
    parse_text,
)

ENV_PREFIX = "SWARMDECK_"
Parser = Callable[[object, Path], Any]


@dataclass(frozen=True)
class Setting:
    """One setting, read in the order default < plan file < environment < flag."""

    name: str  # snake_case; also the argparse dest and the key in resolve()'s cli mapping
    field: str  # the Plan attribute holding the resolved value
    flags: tuple[str, ...]
    parse: Parser  # (value from a source, folder relative paths are taken from) -> value
    default: Any  # a raw value, parsed like any other (relative to the working directory)
    help: str
    example: str  # as typed after the flag or in the environment variable
    toml_example: str  # a line of swarmdeck.toml
    metavar: str | None = None
    action: Literal["store", "store_true", "append"] = "store"
    in_file: bool = True
    merge: bool = False  # tables merge key by key across layers instead of replacing

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def file_key(self) -> str | None:
        return self.name if self.in_file else None

    @property
    def flag_label(self) -> str:
        return "/".join(self.flags)

    @property
    def long_flag(self) -> str:
        return next(f for f in self.flags if f.startswith("--"))

    @property
    def default_doc(self) -> str:
        if self.default is None:
            return "none"
        if self.action == "store_true":
            return "false"
        return str(self.default)


def _ignore_base(parse: Callable[[object], Any]) -> Parser:
    return lambda value, base: parse(value)


def _shape(value: object, base: Path) -> Any:
    return parse_shape_value(value)


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
    Setting("plan", "plan_path", ("--plan",), parse_path, None,
            "the plan file to read; none: ./swarmdeck.toml if it exists",
            "ci/swarmdeck.toml", "(not a plan-file key)", metavar="PATH", in_file=False),
    Setting("db", "db_url", ("--db",), parse_db_url, ".swarmdeck/swarmdeck.db",
            "where runs are stored: a SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB",
            "postgresql://swarmdeck@db/swarmdeck", 'db = "runs.db"', metavar="URL"),
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
            "cap on distinct request names per run (guards against a name explosion from "
            "unnamed URLs with ids in them)",
            "1000", "max_names = 1000", metavar="N"),
    Setting("debug", "debug", ("--debug",), _ignore_base(parse_bool), False,
            "verbose logging, and tracebacks for unexpected errors", "1", "debug = true",
            action="store_true"),
    Setting("stop_timeout", "stop_timeout_s", ("--stop-timeout",),
            _ignore_base(lambda v: parse_duration_value(v, positive=False)), "10s",
            "at the end, give running tasks this long to finish before stopping users",
            "30s", 'stop_timeout = "30s"', metavar="DURATION"),
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
    Setting("master_bind", "master_bind", ("--master-bind",), _ignore_base(parse_bind),
            "127.0.0.1:5557",
            "where the master listens for workers; without a token only 127.0.0.1 is used",
            "0.0.0.0:5557", 'master_bind = "0.0.0.0:5557"', metavar="HOST:PORT"),
    Setting("token", "token", ("--token",), _ignore_base(parse_text), None,
            "shared secret that workers must present (prefer the environment variable)",
            "s3cret", "(use SWARMDECK_TOKEN)", metavar="TOKEN", in_file=False),
    Setting("region", "region", ("--region",), _ignore_base(parse_text), "local",
            "the region label of the load this process (or its --workers) generates",
            "eu-west", 'region = "eu-west"', metavar="NAME"),
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
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
FILE_KEYS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.in_file)


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add every setting's flags (dest = the setting's name, default None = not given)."""
    for setting in SETTINGS:
        help_text = f"{setting.help} [env {setting.env}; default {setting.default_doc}]"
        options: dict[str, Any] = {
            "dest": setting.name,
            "default": None,
            "action": setting.action,
            "help": help_text.replace("%", "%%"),
        }
        if setting.action != "store_true":
            options["metavar"] = setting.metavar
        parser.add_argument(*setting.flags, **options)


def markdown_table() -> str:
    """The table of docs/settings.md, one row per setting, in registry order."""
    rows = ["| Setting | Flags | Environment | Plan key | Default | Help |",
            "|---|---|---|---|---|---|"]
    for s in SETTINGS:
        cells = [f"`{s.name}`", ", ".join(f"`{f}`" for f in s.flags), f"`{s.env}`",
                 f"`{s.file_key}`" if s.file_key else "—", f"`{s.default_doc}`",
                 s.help.replace("|", "\\|")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
