"""Reading ``swarmdeck.toml``: find it, parse it with tomllib, and say on which line a key is."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmdeck.errors import PlanError
from swarmdeck.plan.values import KeyPath

PLAN_FILE_NAME = "swarmdeck.toml"

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def display_path(path: Path, cwd: Path) -> str:
    """The path as a user would type it: relative to ``cwd`` when inside it."""
    try:
        return os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)
    except ValueError:  # pragma: no cover - different drives on Windows
        return str(path)


def _split_key(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]


@dataclass(frozen=True)
class PlanFile:
    """A parsed plan file: its data, and its text to point at lines."""

    path: Path
    display: str
    data: dict[str, Any]
    text: str = field(repr=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def line_of(self, key: KeyPath) -> int | None:
        """The line defining ``key`` (e.g. ``("shape", "stages", 2, "users")``), best effort.

        Falls back to the line of the closest enclosing table or inline assignment.
        """
        section: list[str | int] = []
        seen_arrays: dict[tuple[str | int, ...], int] = {}
        best: tuple[int, int] | None = None  # (matched length, line number)
        for number, line in enumerate(self.text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                names: list[str | int] = list(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    index = seen_arrays.get(tuple(names), -1) + 1
                    seen_arrays[tuple(names)] = index
                    names.append(index)
                section = names
                candidate: list[str | int] = section
                if header.group(1) == "[[" and list(key) == names[:-1]:
                    return number  # the array of tables as a whole: its first table
            else:
                assign = _ASSIGN.match(line)
                if not assign or line.lstrip().startswith("#"):
                    continue
                candidate = [*section, *_split_key(assign.group(1))]
            length = _common_prefix(candidate, key)
            if length == len(candidate) and (best is None or length > best[0]):
                best = (length, number)
                if length == len(key):
                    return number
        return best[1] if best else None

    def where(self, key: KeyPath) -> str:
        line = self.line_of(key)
        return f"{self.display}:{line}" if line else self.display


def _common_prefix(a: list[str | int], b: KeyPath) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def locate(flag: str | None, environ_value: str | None, cwd: Path) -> tuple[Path, str] | None:
    """The plan file to read and what named it: ``--plan``, ``SWARMDECK_PLAN`` or ``./swarmdeck.toml``.

    A file named explicitly must exist; ``./swarmdeck.toml`` is read only if it exists.
    """
    for value, source in ((flag, "--plan"), (environ_value, "SWARMDECK_PLAN")):
        if value:
            path = Path(value).expanduser()
            path = path if path.is_absolute() else cwd / path
            if not path.is_file():
                raise PlanError(f"plan file {value!r} from {source} does not exist",
                                f"check the path, or drop {source} to use ./{PLAN_FILE_NAME}")
            return path, source
    default = cwd / PLAN_FILE_NAME
    return (default, "default") if default.is_file() else None


def read(path: Path, cwd: Path) -> PlanFile:
    shown = display_path(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read plan file {shown}: {exc}",
                        "check that it is a readable UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(toml_error(exc, shown),
                        "fix the syntax there; strings need quotes, e.g. host = \"http://...\"") \
            from None
    return PlanFile(path=path, display=shown, data=data, text=text)


def toml_error(exc: tomllib.TOMLDecodeError, shown: str) -> str:
    """``invalid TOML in FILE:LINE:COLUMN: what``, from tomllib's error."""
    detail = str(exc)
    position = _TOML_POSITION.search(detail)
    where = f"{shown}:{position.group(1)}:{position.group(2)}" if position else shown
    return f"invalid TOML in {where}: {_TOML_POSITION.sub('', detail).strip()}"
