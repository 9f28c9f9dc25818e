"""The settings of every command: one registry, layered loading, validation, shape specs.

Pure: no Locust (and so no gevent) is imported here; ``swarmdeck.engine.shapes`` turns a
`ShapeSpec` into a Locust ``LoadTestShape``.

Wiring (the CLI)::

    add_arguments(run_parser, "run")                 # a subcommand's flags, from the registry
    args = parser.parse_args(argv)
    plan = resolve_command("run", vars(args), os.environ, Path.cwd())  # PlanError -> exit 2
"""

from __future__ import annotations

from swarmdeck.masking import mask_url
from swarmdeck.plan.durations import DurationError, format_duration, parse_duration
from swarmdeck.plan.model import (
    AgentSettings,
    NodeSettings,
    Plan,
    ServeSettings,
    StoreSettings,
    WorkerSettings,
)
from swarmdeck.plan.planfile import PLAN_FILE_NAME
from swarmdeck.plan.resolve import CommandSettings, resolve, resolve_command
from swarmdeck.plan.setting import COMMANDS, ENV_PREFIX, Command, Setting
from swarmdeck.plan.settings import SETTINGS, add_arguments, settings_for
from swarmdeck.plan.shape_spec import SHAPE_KEYS, SHAPE_NAMES, Defaults, ShapeSpec, Stage
from swarmdeck.plan.values import HostPort, Invalid, parse_host_port

__all__ = [
    "COMMANDS",
    "ENV_PREFIX",
    "PLAN_FILE_NAME",
    "SETTINGS",
    "SHAPE_KEYS",
    "SHAPE_NAMES",
    "AgentSettings",
    "Command",
    "CommandSettings",
    "Defaults",
    "DurationError",
    "HostPort",
    "Invalid",
    "NodeSettings",
    "Plan",
    "ServeSettings",
    "Setting",
    "ShapeSpec",
    "Stage",
    "StoreSettings",
    "WorkerSettings",
    "add_arguments",
    "format_duration",
    "mask_url",
    "parse_duration",
    "parse_host_port",
    "resolve",
    "resolve_command",
    "settings_for",
]
