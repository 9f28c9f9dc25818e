"""Layering: defaults < plan file < ``SWARMDECK_*`` environment < flags, into the typed
settings of one command: a `Plan` for ``run``, `WorkerSettings`, `ServeSettings`, or
`StoreSettings` for the commands that only read the store. ``run`` also reads Locust's own
configuration (`swarmdeck.plan.locust_conf`) for the options it shares with Locust: it
sits between the defaults and the plan file, and what Locust takes from the arguments
after ``--`` counts as a flag.

A command resolves only its own settings (`settings_for`): ``SWARMDECK_USERS=banana`` stops
``swarmdeck run`` but not ``swarmdeck runs``. Every layer that sets one of them is
validated, even when a later layer overrides it: a broken plan file or environment variable
is reported, never silently shadowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from swarmdeck.errors import PlanError
from swarmdeck.plan.capacity import CapacitySettings, capacity_settings
from swarmdeck.plan.locust_conf import CONFIG_SETTING, LocustConfig, LocustValue, locate_config
from swarmdeck.plan.model import (
    AgentSettings,
    NodeSettings,
    Plan,
    ServeSettings,
    StoreSettings,
    WorkerSettings,
)
from swarmdeck.plan.planfile import PlanFile, locate, read
from swarmdeck.plan.setting import Command, Scope, Setting
from swarmdeck.plan.settings import FILE_KEYS, settings_for
from swarmdeck.plan.shape_spec import Defaults, ShapeSpec
from swarmdeck.plan.values import Invalid, KeyPath, UnknownKey, reject_unknown

ShapeValue = tuple[str, dict[str, object]] | None
StoreCommand = Literal["runs", "show", "compare", "report", "baseline", "import", "user"]
CommandSettings = (Plan | WorkerSettings | ServeSettings | StoreSettings | AgentSettings
                   | CapacitySettings | NodeSettings)
SHAPE_HINT = "see the shapes and their parameters in docs/plan.md"


def dotted(key: KeyPath) -> str:
    """``("shape", "stages", 2, "users")`` -> ``shape.stages[2].users``."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Layer:
    """One source of values: the defaults, one of Locust's sources (its files, variables
    and the arguments after ``--``), the plan file, the environment or the flags."""

    kind: Literal["default", "locust", "file", "env", "flag"]
    base: Path  # relative paths are taken from here
    file: PlanFile | None = None
    locust: LocustValue | None = None  # kind "locust": the Locust source and option

    def label(self, setting: Setting) -> str:
        if self.kind == "file" and self.file:
            return self.file.where((setting.name,))
        if self.locust:
            return self.locust.where
        return {"default": "default", "env": setting.variable, "flag": setting.long_flag,
                "file": "plan file", "locust": "Locust"}[self.kind]

    def error(self, setting: Setting, exc: Invalid) -> PlanError:
        """A PlanError naming the key or flag, its source, what is wrong and how to fix it."""
        if self.locust:
            return self._locust_error(setting, exc, self.locust)
        if self.kind == "file" and self.file:
            key = (setting.name, *exc.subkey)
            where = self.file.where(key)
            if isinstance(exc, UnknownKey):
                return PlanError(f"unknown key {dotted(key)!r} in {where}", exc.hint)
            default_hint = SHAPE_HINT if setting.name == "shape" else f"e.g. {setting.toml_example}"
            return PlanError(f"{dotted(key)!r} in {where} {exc.problem}", exc.hint or default_hint)
        if self.kind == "env":
            return PlanError(f"{setting.variable} {exc.problem}",
                             exc.hint or f"e.g. {setting.variable}={setting.example}")
        if self.kind == "flag":
            return PlanError(f"{setting.flag_label} {exc.problem}",
                             exc.hint or f"e.g. {setting.long_flag} {setting.example}")
        return PlanError(f"the default {setting.name} {exc.problem}", exc.hint)  # pragma: no cover

    @staticmethod
    def _locust_error(setting: Setting, exc: Invalid, found: LocustValue) -> PlanError:
        example = setting.example
        if found.form == "file":
            return PlanError(f"{found.option.key!r} in {found.where} {exc.problem}",
                             exc.hint or f"e.g. {found.option.key} = {example}")
        if found.form == "env":
            return PlanError(f"{found.where} {exc.problem}",
                             exc.hint or f"e.g. {found.where}={example}")
        return PlanError(f"{found.where} {exc.problem}",
                         exc.hint or f"e.g. {setting.long_flag} {example}")

    def parse(self, setting: Setting, raw: object) -> Any:
        try:
            return setting.parse(raw, self.base)
        except Invalid as exc:
            raise self.error(setting, exc) from None


def _given(setting: Setting, scope: Scope, plan_file: PlanFile | None,
           environ: Mapping[str, str], cli: Mapping[str, Any],
           cwd: Path, locust: LocustConfig | None = None) -> list[tuple[Layer, object]]:
    """The raw values each layer gives for ``setting``, lowest precedence first."""
    given: list[tuple[Layer, object]] = []
    if setting.default is not None:
        given.append((Layer("default", cwd), setting.default))
    for found in locust.values.get(setting.name, []) if locust else []:
        given.append((Layer("locust", cwd, locust=found), found.value))
    key = setting.file_key(scope)
    if plan_file and key and key in plan_file.data:
        given.append((Layer("file", plan_file.folder, plan_file), plan_file.data[key]))
    env_value = environ.get(setting.variable, "").strip()
    if env_value:
        given.append((Layer("env", cwd), env_value))
    if cli.get(setting.name) is not None:
        given.append((Layer("flag", cwd), cli[setting.name]))
    after = locust.after_dashes.get(setting.name) if locust else None
    if after is not None:
        if cli.get(setting.name) is not None:
            raise PlanError(f"{setting.flag_label} is given before `--` and again as "
                            f"{after.where}", f"give it once, e.g. {setting.long_flag} "
                            f"{setting.example} before `--`")
        given.append((Layer("locust", cwd, locust=after), after.value))
    return given


def _load_plan_file(scope: Scope, cli: Mapping[str, Any], environ: Mapping[str, str],
                    cwd: Path) -> tuple[PlanFile | None, str]:
    """The plan file, if the command reads one. It is ``run``'s plan: only ``run`` refuses
    keys it does not know; the other commands read just their own keys (``db``)."""
    plan = settings_for(scope).get("plan")
    if plan is None:  # swarmdeck worker: its orders come from the master
        return None, "default"
    flag = cli.get("plan")
    found = locate(str(flag) if flag else None, environ.get(plan.variable), cwd)
    if found is None:
        return None, "default"
    path, source = found
    plan_file = read(path, cwd)
    if scope != "run":
        return plan_file, source
    try:
        reject_unknown(plan_file.data, FILE_KEYS)
    except UnknownKey as exc:
        where = plan_file.where(exc.subkey)
        raise PlanError(f"unknown key {dotted(exc.subkey)!r} in {where}", exc.hint) from None
    return plan_file, source


def _resolve_shape(given: list[tuple[Layer, ShapeValue]], defaults: Defaults) -> ShapeSpec | None:
    """Build every layer's shape (so each is checked); the last one wins, except that a
    flag or variable naming the file's shape keeps the file's parameters."""
    built: list[tuple[str, ShapeSpec | None]] = []
    for layer, value in given:
        if value is None:
            built.append(("none", None))
            continue
        try:
            built.append((value[0], ShapeSpec.build(value[0], value[1], defaults)))
        except Invalid as exc:
            raise layer.error(settings_for("run")["shape"], exc) from None
    if not built:
        return None
    name, spec = built[-1]
    from_file = [s for (layer, _), (n, s) in zip(given, built, strict=True)
                 if layer.kind == "file" and n == name]
    return from_file[0] if from_file else spec


def _check_open_model(values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    """--arrival-rate is a constant arrival rate over the run time: not with a shape."""
    shape, rate = values["shape"], values["arrival_rate"]
    if rate is None or (shape is not None and shape.arrival
                        and shape.params["stages"][0]["name"] == "constant"
                        and len(shape.params["stages"]) == 1):
        return
    if shape is not None:
        kind = "its stages" if shape.arrival else f"users (shape {shape.name!r})"
        raise PlanError(f"--arrival-rate ({sources.get('arrival_rate')}) and a shape "
                        f"({sources.get('shape')}) both set the load: {kind}",
                        "use one: the rate for a constant rate, or [shape] kind = "
                        "\"arrival\" with stages for ramping rates")
    if not values["run_time_s"]:
        raise PlanError(f"--arrival-rate ({sources.get('arrival_rate')}) needs a run time",
                        "add -t, e.g. -t 60s")


@dataclass
class Resolved:
    """A command's settings after layering: values and winning sources by setting name."""

    values: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, list[tuple[Layer, Any]]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    plan_file: PlanFile | None = None
    warnings: list[str] = field(default_factory=list)


def _read_locust(mine: Mapping[str, Setting], cli: Mapping[str, Any],
                 environ: Mapping[str, str], cwd: Path, locust_args: Sequence[str],
                 resolved: Resolved) -> LocustConfig:
    """Locust's configuration: the arguments after ``--``, then its ``--config`` file
    (which they may name), its other files and its variables."""
    locust = LocustConfig()
    locust.read_args(locust_args)
    config = mine[CONFIG_SETTING]
    parsed = [(layer, layer.parse(config, raw))
              for layer, raw in _given(config, "run", None, environ, cli, cwd, locust)]
    path = locate_config(parsed[-1][1], parsed[-1][0].label(config), cwd) if parsed else None
    resolved.values[CONFIG_SETTING] = path
    resolved.sources[CONFIG_SETTING] = parsed[-1][0].label(config) if parsed else "default"
    locust.read_files(environ, cwd, path)
    locust.read_env(environ)
    resolved.warnings = locust.warnings()
    return locust


def resolve_layers(scope: Scope, cli: Mapping[str, Any], environ: Mapping[str, str],
                   cwd: Path, locust_args: Sequence[str] = ()) -> Resolved:
    """Every setting of the command, parsed from each layer that gives it (options, which
    only argparse reads, are left out). PlanError names the key and where it came from.

    ``run`` (the one command with a ``locust_config`` setting) also reads Locust's
    configuration and ``locust_args``, the arguments after ``--``."""
    cwd = cwd.absolute()
    mine = settings_for(scope)
    plan_file, plan_source = _load_plan_file(scope, cli, environ, cwd)
    resolved = Resolved(plan_file=plan_file)
    if "plan" in mine:
        resolved.values["plan"] = plan_file.path if plan_file else None
        resolved.sources["plan"] = plan_source
    locust = (_read_locust(mine, cli, environ, cwd, locust_args, resolved)
              if CONFIG_SETTING in mine else None)
    for setting in mine.values():
        if not setting.from_env or setting.name in ("plan", CONFIG_SETTING):
            continue
        given = _given(setting, scope, plan_file, environ, cli, cwd, locust)
        parsed = [(layer, layer.parse(setting, raw)) for layer, raw in given]
        if setting.merge:
            value: Any = {k: v for _, table in parsed for k, v in table.items()}
        else:
            value = parsed[-1][1] if parsed else None
        if setting.required and value is None:
            raise PlanError(f"{setting.long_flag} is missing: {setting.help}",
                            f"e.g. {setting.long_flag} {setting.example}, or "
                            f"{setting.variable}={setting.example}")
        resolved.values[setting.name] = value
        resolved.layers[setting.name] = parsed
        resolved.sources[setting.name] = parsed[-1][0].label(setting) if parsed else "default"
    return resolved


def resolve(cli: Mapping[str, Any], environ: Mapping[str, str], cwd: Path,
            locust_args: Sequence[str] = ()) -> Plan:
    """``run``'s plan from defaults < Locust's files < ``LOCUST_*`` < plan file <
    ``SWARMDECK_*`` environment < ``cli`` and ``locust_args``.

    ``cli`` maps setting names to what the flags gave, None meaning not given (pass
    ``vars(args)`` of a parser built with `add_arguments`; other keys are ignored).
    ``locust_args`` are the arguments after ``--`` (Locust's): the options swarmdeck
    shares with Locust count as flags there. ``~/.locust.conf`` is found from ``environ``'s
    ``HOME``. Raises PlanError naming the key and where it came from.
    """
    resolved = resolve_layers("run", cli, environ, cwd, locust_args)
    settings = settings_for("run")
    values = {settings[name].field: value for name, value in resolved.values.items()}
    defaults = Defaults(values["users"], values["spawn_rate"], values["run_time_s"],
                        values["arrival_rate"])
    values["shape"] = _resolve_shape(resolved.layers["shape"], defaults)
    _check_open_model(values, resolved.sources)
    values["tags"] = values["tags"] or {}
    values["classes"] = values["classes"] or ()
    values["thresholds"] = values["thresholds"] or ()
    values["max_regression"] = values["max_regression"] or ()
    values["monitors"] = values["monitors"] or ()
    return Plan(**values, sources=resolved.sources, warnings=tuple(resolved.warnings))


@overload
def resolve_command(command: Literal["run"], cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> Plan: ...
@overload
def resolve_command(command: Literal["worker"], cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> WorkerSettings: ...
@overload
def resolve_command(command: Literal["node"], cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> NodeSettings: ...
@overload
def resolve_command(command: Literal["serve"], cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> ServeSettings: ...
@overload
def resolve_command(command: Literal["agent"], cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> AgentSettings: ...
@overload
def resolve_command(command: StoreCommand, cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> StoreSettings: ...
@overload
def resolve_command(command: Literal["capacity"], cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> CapacitySettings: ...
@overload
def resolve_command(command: Command, cli: Mapping[str, Any],
                    environ: Mapping[str, str], cwd: Path,
                    locust_args: Sequence[str] = ()) -> CommandSettings: ...
def resolve_command(command: Command, cli: Mapping[str, Any], environ: Mapping[str, str],
                    cwd: Path, locust_args: Sequence[str] = ()) -> CommandSettings:
    """The typed settings of one command, from its own settings only (``run`` also reads
    the arguments after ``--``, ``locust_args``)."""
    if command == "run":
        return resolve(cli, environ, cwd, locust_args)
    resolved = resolve_layers(command, cli, environ, cwd)
    values = resolved.values
    if command == "capacity":
        fields = {name: s.field for name, s in settings_for(command).items()}
        return capacity_settings(values, fields, resolved.sources)
    if command == "worker":
        return WorkerSettings(master=values["master"], locustfile=values["locustfile"],
                              region=values["region"], token=values["token"],
                              debug=values["debug"],
                              master_timeout_s=values["master_timeout"])
    if command == "agent":
        return AgentSettings(bind=values["bind"], token=values["token"],
                             monitors=values["monitors"] or (), debug=values["debug"])
    if command == "node":
        return NodeSettings(server=values["server"], token=values["node_token"],
                            region=values["node_region"], name=values["node_name"],
                            debug=values["debug"])
    if command == "serve":
        return ServeSettings(bind=values["bind"], db_url=values["db"], debug=values["debug"],
                             locustfile_dir=values["locustfile_dir"],
                             max_runs=values["max_runs"],
                             max_runs_per_user=values["max_runs_per_user"],
                             max_users=values["max_users"],
                             max_run_time_s=values["max_run_time"])
    return StoreSettings(db_url=values["db"], debug=values["debug"])
