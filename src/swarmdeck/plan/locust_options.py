"""Locust's own options (Locust 2.x, ``locust/argument_parser.py``), as swarmdeck treats
them when it finds them in Locust's configuration files, ``LOCUST_*`` variables or the
arguments after ``--``.

Each is one of:

- **read**: it sets a swarmdeck setting (``users`` sets ``users``); see `LOCUST_SETTINGS`.
- **Locust's**: Locust's own parser, which swarmdeck runs for every run, reads it and the
  run honours it (``tags``, ``exclude-tags``); swarmdeck does not look at it.
- **ignored**: swarmdeck does not use it (a web UI port, Locust's CSV files...): the run
  prints a warning naming it.

Pure data, no Locust import (the plan imports no Locust); tests/plan/test_locust_conf.py
checks this table against the parser of the installed Locust.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Treatment = Literal["read", "locust", "ignored"]

WEB_UI = "swarmdeck runs headless and has no Locust web UI (its dashboard: swarmdeck serve)"
DISTRIBUTED = ("swarmdeck starts its own master: use --workers N, or --expect-workers N and "
               "`swarmdeck worker` (docs/distributed.md)")
OUTPUTS = "swarmdeck writes its own results: --json, --html, --junit, --markdown"
LOGGING = "swarmdeck sets up logging itself: --debug for more"
NOT_APPLIED = "swarmdeck run does not apply it"


def _processes(value: object) -> object:
    """Locust's ``--processes -1`` means one worker process per CPU."""
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip() == "-1":
        return os.cpu_count() or 1
    return value


def _user_classes(value: object) -> object:
    """``LOCUST_USER_CLASSES`` holds names separated by spaces; swarmdeck takes commas."""
    return ",".join(value.split()) if isinstance(value, str) else value


@dataclass(frozen=True)
class LocustOption:
    """One option of Locust's parser: its key in a config file (its long flag without
    ``--``), its flags, its ``LOCUST_*`` variable, and what swarmdeck does with it."""

    key: str
    flags: tuple[str, ...]
    env: str | None
    treatment: Treatment
    setting: str | None = None  # for "read": the swarmdeck setting it sets
    note: str = NOT_APPLIED  # for "ignored": what swarmdeck has instead
    convert: Callable[[object], object] | None = None  # Locust's form -> swarmdeck's

    def value(self, raw: object) -> object:
        return self.convert(raw) if self.convert else raw


def _read(key: str, flags: tuple[str, ...], env: str | None, setting: str,
          convert: Callable[[object], object] | None = None) -> LocustOption:
    return LocustOption(key, flags, env, "read", setting, convert=convert)


def _ignored(key: str, flags: tuple[str, ...], env: str | None,
             note: str = NOT_APPLIED) -> LocustOption:
    return LocustOption(key, flags, env, "ignored", note=note)


LOCUST_OPTIONS: tuple[LocustOption, ...] = (
    # -- read: the options swarmdeck shares with Locust --
    _read("locustfile", ("-f", "--locustfile"), "LOCUST_LOCUSTFILE", "locustfile"),
    _read("host", ("-H", "--host"), "LOCUST_HOST", "host"),
    _read("users", ("-u", "--users"), "LOCUST_USERS", "users"),
    _read("spawn-rate", ("-r", "--spawn-rate"), "LOCUST_SPAWN_RATE", "spawn_rate"),
    _read("run-time", ("-t", "--run-time"), "LOCUST_RUN_TIME", "run_time"),
    _read("stop-timeout", ("-s", "--stop-timeout"), "LOCUST_STOP_TIMEOUT", "stop_timeout"),
    _read("exit-code-on-error", ("--exit-code-on-error",), "LOCUST_EXIT_CODE_ON_ERROR",
          "exit_code_on_error"),
    _read("processes", ("--processes",), "LOCUST_PROCESSES", "workers", _processes),
    # Locust's positional User classes; in the environment only (a file has no key for them)
    _read("user_classes", (), "LOCUST_USER_CLASSES", "classes", _user_classes),
    # --config names a file; inside a file it does nothing, as in Locust
    LocustOption("config", ("--config",), None, "ignored",
                 note="name the file with --config instead"),
    # -- Locust's: its parser reads them for the run, swarmdeck does not --
    LocustOption("tags", ("-T", "--tags"), "LOCUST_TAGS", "locust"),
    LocustOption("exclude-tags", ("-E", "--exclude-tags"), "LOCUST_EXCLUDE_TAGS", "locust"),
    LocustOption("headless", ("--headless",), "LOCUST_HEADLESS", "locust"),
    LocustOption("enable-rebalancing", ("--enable-rebalancing",), None, "locust"),
    # -- ignored, with what swarmdeck has instead --
    _ignored("list", ("-l", "--list"), None),
    _ignored("config-users", ("--config-users",), "LOCUST_CONFIG_USERS"),
    _ignored("web-host", ("--web-host",), "LOCUST_WEB_HOST", WEB_UI),
    _ignored("web-host-display-name", ("--web-host-display-name",),
             "LOCUST_WEB_HOST_DISPLAY_NAME", WEB_UI),
    _ignored("web-port", ("--web-port", "-P"), "LOCUST_WEB_PORT", WEB_UI),
    _ignored("autostart", ("--autostart",), "LOCUST_AUTOSTART", WEB_UI),
    _ignored("autoquit", ("--autoquit",), "LOCUST_AUTOQUIT", WEB_UI),
    _ignored("headful", ("--headful",), "LOCUST_HEADFUL", WEB_UI),
    _ignored("web-auth", ("--web-auth",), "LOCUST_WEB_AUTH", WEB_UI),
    _ignored("web-login", ("--web-login",), "LOCUST_WEB_LOGIN", WEB_UI),
    _ignored("tls-cert", ("--tls-cert",), "LOCUST_TLS_CERT", WEB_UI),
    _ignored("tls-key", ("--tls-key",), "LOCUST_TLS_KEY", WEB_UI),
    _ignored("class-picker", ("--class-picker",), "LOCUST_USERCLASS_PICKER", WEB_UI),
    _ignored("build-path", ("--build-path",), "LOCUST_BUILD_PATH", WEB_UI),
    _ignored("legacy-ui", ("--legacy-ui",), "LOCUST_LEGACY_UI", WEB_UI),
    _ignored("web-base-path", ("--web-base-path",), "LOCUST_WEB_BASE_PATH", WEB_UI),
    _ignored("master", ("--master",), "LOCUST_MODE_MASTER", DISTRIBUTED),
    _ignored("master-bind-host", ("--master-bind-host",), "LOCUST_MASTER_BIND_HOST",
             DISTRIBUTED),
    _ignored("master-bind-port", ("--master-bind-port",), "LOCUST_MASTER_BIND_PORT",
             DISTRIBUTED),
    _ignored("expect-workers", ("--expect-workers",), "LOCUST_EXPECT_WORKERS", DISTRIBUTED),
    _ignored("expect-workers-max-wait", ("--expect-workers-max-wait",),
             "LOCUST_EXPECT_WORKERS_MAX_WAIT", DISTRIBUTED),
    _ignored("worker", ("--worker",), "LOCUST_MODE_WORKER", DISTRIBUTED),
    _ignored("master-host", ("--master-host",), "LOCUST_MASTER_NODE_HOST", DISTRIBUTED),
    _ignored("master-port", ("--master-port",), "LOCUST_MASTER_NODE_PORT", DISTRIBUTED),
    _ignored("csv", ("--csv",), "LOCUST_CSV", OUTPUTS),
    _ignored("csv-full-history", ("--csv-full-history",), "LOCUST_CSV_FULL_HISTORY", OUTPUTS),
    _ignored("print-stats", ("--print-stats",), "LOCUST_PRINT_STATS", OUTPUTS),
    _ignored("only-summary", ("--only-summary",), "LOCUST_ONLY_SUMMARY",
             "swarmdeck's -q prints only the summary"),
    _ignored("reset-stats", ("--reset-stats",), "LOCUST_RESET_STATS"),
    _ignored("html", ("--html",), "LOCUST_HTML", OUTPUTS),
    _ignored("json", ("--json",), None, OUTPUTS),
    _ignored("json-file", ("--json-file",), None, OUTPUTS),
    _ignored("skip-log-setup", ("--skip-log-setup",), "LOCUST_SKIP_LOG_SETUP", LOGGING),
    _ignored("loglevel", ("--loglevel", "-L"), "LOCUST_LOGLEVEL", LOGGING),
    _ignored("logfile", ("--logfile",), "LOCUST_LOGFILE", LOGGING),
    _ignored("show-task-ratio", ("--show-task-ratio",), None),
    _ignored("show-task-ratio-json", ("--show-task-ratio-json",), None),
    _ignored("version", ("--version", "-V"), None),
    _ignored("equal-weights", ("--equal-weights",), None),
    _ignored("profile", ("--profile",), None),
    _ignored("otel", ("--otel",), "LOCUST_ENABLE_OPENTELEMETRY"),
)

BY_KEY: dict[str, LocustOption] = {o.key: o for o in LOCUST_OPTIONS if o.flags}
BY_ENV: dict[str, LocustOption] = {o.env: o for o in LOCUST_OPTIONS if o.env}
BY_FLAG: dict[str, LocustOption] = {f: o for o in LOCUST_OPTIONS for f in o.flags}
LOCUST_SETTINGS: dict[str, LocustOption] = {
    o.setting: o for o in LOCUST_OPTIONS if o.treatment == "read" and o.setting}
"""The swarmdeck settings Locust's configuration can set, and the option that sets each."""


def markdown_table() -> str:
    """docs/settings.md's table of the Locust options swarmdeck reads."""
    rows = ["| Locust option | Locust variable | swarmdeck setting |", "|---|---|---|"]
    for o in LOCUST_OPTIONS:
        if o.treatment == "read":
            key = f"`{o.key}`" if o.flags else "— (positional User classes)"
            rows.append(f"| {key} | `{o.env}` | `{o.setting}` |")
    return "\n".join(rows)


def ignored_list() -> str:
    """docs/settings.md's list of the Locust options swarmdeck warns about."""
    notes: dict[str, list[str]] = {}
    for o in LOCUST_OPTIONS:
        if o.treatment == "ignored":
            notes.setdefault(o.note, []).append(f"`{o.key}`")
    return "\n".join(f"- {', '.join(keys)}: {note}." for note, keys in notes.items())
