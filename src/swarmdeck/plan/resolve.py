"""Layering: defaults < plan file < ``SWARMDECK_*`` environment < flags, into one `Plan`.

Every layer that sets a value is validated, even when a later layer overrides it: a broken
plan file or environment variable is reported, never silently shadowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from swarmdeck.errors import PlanError
from swarmdeck.plan.model import Plan
from swarmdeck.plan.planfile import PlanFile, locate, read
from swarmdeck.plan.settings import FILE_KEYS, SETTINGS, SETTINGS_BY_NAME, Setting
from swarmdeck.plan.shape_spec import Defaults, ShapeSpec
from swarmdeck.plan.values import Invalid, KeyPath, UnknownKey, reject_unknown

ShapeValue = tuple[str, dict[str, object]] | None
SHAPE_HINT = "see the shapes and their parameters in docs/plan.md"


def dotted(key: KeyPath) -> str:
    """``("shape", "stages", 2, "users")`` -> ``shape.stages[2].users``."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Layer:
    """One source of values: the defaults, the plan file, the environment or the flags."""

    kind: Literal["default", "file", "env", "flag"]
    base: Path  # relative paths are taken from here
    file: PlanFile | None = None

    def label(self, setting: Setting) -> str:
        if self.kind == "file" and self.file:
            return self.file.where((setting.name,))
        return {"default": "default", "env": setting.env, "flag": setting.long_flag,
                "file": "plan file"}[self.kind]

    def error(self, setting: Setting, exc: Invalid) -> PlanError:
        """A PlanError naming the key or flag, its source, what is wrong and how to fix it."""
        if self.kind == "file" and self.file:
            key = (setting.name, *exc.subkey)
            where = self.file.where(key)
            if isinstance(exc, UnknownKey):
                return PlanError(f"unknown key {dotted(key)!r} in {where}", exc.hint)
            default_hint = SHAPE_HINT if setting.name == "shape" else f"e.g. {setting.toml_example}"
            return PlanError(f"{dotted(key)!r} in {where} {exc.problem}", exc.hint or default_hint)
        if self.kind == "env":
            return PlanError(f"{setting.env} {exc.problem}",
                             exc.hint or f"e.g. {setting.env}={setting.example}")
        if self.kind == "flag":
            return PlanError(f"{setting.flag_label} {exc.problem}",
                             exc.hint or f"e.g. {setting.long_flag} {setting.example}")
        return PlanError(f"the default {setting.name} {exc.problem}", exc.hint)  # pragma: no cover

    def parse(self, setting: Setting, raw: object) -> Any:
        try:
            return setting.parse(raw, self.base)
        except Invalid as exc:
            raise self.error(setting, exc) from None


def _given(setting: Setting, plan_file: PlanFile | None, environ: Mapping[str, str],
           cli: Mapping[str, Any], cwd: Path) -> list[tuple[Layer, object]]:
    """The raw values each layer gives for ``setting``, lowest precedence first."""
    given: list[tuple[Layer, object]] = []
    if setting.default is not None:
        given.append((Layer("default", cwd), setting.default))
    if plan_file and setting.file_key in plan_file.data:
        given.append((Layer("file", plan_file.folder, plan_file), plan_file.data[setting.name]))
    env_value = environ.get(setting.env, "").strip()
    if env_value:
        given.append((Layer("env", cwd), env_value))
    if cli.get(setting.name) is not None:
        given.append((Layer("flag", cwd), cli[setting.name]))
    return given


def _load_plan_file(cli: Mapping[str, Any], environ: Mapping[str, str],
                    cwd: Path) -> tuple[PlanFile | None, str]:
    flag = cli.get("plan")
    found = locate(str(flag) if flag else None, environ.get(SETTINGS_BY_NAME["plan"].env), cwd)
    if found is None:
        return None, "default"
    path, source = found
    plan_file = read(path, cwd)
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
            raise layer.error(SETTINGS_BY_NAME["shape"], exc) from None
    if not built:
        return None
    name, spec = built[-1]
    from_file = [s for (layer, _), (n, s) in zip(given, built, strict=True)
                 if layer.kind == "file" and n == name]
    return from_file[0] if from_file else spec


def resolve(cli: Mapping[str, Any], environ: Mapping[str, str], cwd: Path) -> Plan:
    """The plan from defaults < plan file < ``SWARMDECK_*`` environment < ``cli``.

    ``cli`` maps setting names to what the flags gave, None meaning not given (pass
    ``vars(args)`` of a parser built with `add_arguments`; other keys are ignored).
    Raises PlanError naming the key and where it came from.
    """
    cwd = cwd.absolute()
    plan_file, plan_source = _load_plan_file(cli, environ, cwd)
    values: dict[str, Any] = {"plan_path": plan_file.path if plan_file else None}
    sources: dict[str, str] = {"plan": plan_source}
    parsed_shapes: list[tuple[Layer, ShapeValue]] = []
    for setting in SETTINGS:
        if setting.name == "plan":
            continue
        given = _given(setting, plan_file, environ, cli, cwd)
        parsed = [(layer, layer.parse(setting, raw)) for layer, raw in given]
        if setting.name == "shape":
            parsed_shapes = parsed
            value = None
        elif setting.merge:
            value = {k: v for _, table in parsed for k, v in table.items()}
        else:
            value = parsed[-1][1] if parsed else None
        values[setting.field] = value
        sources[setting.name] = parsed[-1][0].label(setting) if parsed else "default"
    defaults = Defaults(values["users"], values["spawn_rate"], values["run_time_s"])
    values["shape"] = _resolve_shape(parsed_shapes, defaults)
    values["tags"] = values["tags"] or {}
    values["classes"] = values["classes"] or ()
    values["thresholds"] = values["thresholds"] or ()
    values["max_regression"] = values["max_regression"] or ()
    return Plan(**values, sources=sources)
