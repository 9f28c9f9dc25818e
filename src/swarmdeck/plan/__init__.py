"""The test plan: one registry of settings, layered loading, validation, and shape specs.

Pure: no Locust (and so no gevent) is imported here; ``swarmdeck.engine.shapes`` turns a
`ShapeSpec` into a Locust ``LoadTestShape``.

Wiring (the CLI)::

    add_arguments(run_parser)                       # the run subcommand's flags
    args = parser.parse_args(argv)
    plan = resolve(vars(args), os.environ, Path.cwd())  # PlanError -> exit code 2
"""

from __future__ import annotations

from swarmdeck.plan.durations import DurationError, format_duration, parse_duration
from swarmdeck.plan.model import Plan
from swarmdeck.plan.planfile import PLAN_FILE_NAME
from swarmdeck.plan.resolve import resolve
from swarmdeck.plan.settings import ENV_PREFIX, SETTINGS, SETTINGS_BY_NAME, Setting, add_arguments
from swarmdeck.plan.shape_spec import SHAPE_KEYS, SHAPE_NAMES, Defaults, ShapeSpec, Stage
from swarmdeck.plan.values import Invalid

__all__ = [
    "ENV_PREFIX",
    "PLAN_FILE_NAME",
    "SETTINGS",
    "SETTINGS_BY_NAME",
    "SHAPE_KEYS",
    "SHAPE_NAMES",
    "Defaults",
    "DurationError",
    "Invalid",
    "Plan",
    "Setting",
    "ShapeSpec",
    "Stage",
    "add_arguments",
    "format_duration",
    "parse_duration",
    "resolve",
]
