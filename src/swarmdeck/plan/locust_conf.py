"""Locust's own configuration, read the way Locust reads it: ``~/.locust.conf`` <
``./locust.conf`` < ``./pyproject.toml`` (its ``[tool.locust]`` table) < ``--config FILE``
< ``LOCUST_*`` variables, and the arguments after ``--`` (which go to Locust's parser).

Locust reads them with configargparse; this module reads them the same way (its
``key = value`` format, TOML for ``*.toml`` files) without importing Locust, and keeps the
line of every value so that an error or a warning can point at it. What each option does
under swarmdeck is in `swarmdeck.plan.locust_options`; `swarmdeck.plan.resolve` places
these values between the defaults and ``swarmdeck.toml``.
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

from swarmdeck.errors import PlanError
from swarmdeck.plan.locust_options import BY_ENV, BY_FLAG, BY_KEY, LOCUST_SETTINGS, LocustOption
from swarmdeck.plan.planfile import PlanFile, display_path, toml_error

HOME_FILE = ".locust.conf"
CWD_FILES = ("locust.conf", "pyproject.toml")
TOML_TABLE = ("tool", "locust")
CONFIG_SETTING = "locust_config"  # the swarmdeck setting of Locust's --config

# configargparse's DefaultConfigFileParser: `key = value`, `key: value`, `key value`,
# `--key value`, a bare `key` (true); `#`, `;` and `[section]` lines are comments.
_LINE = re.compile(r"^(?P<key>[^:=;#\s]+)\s*"
                   r"(?:(?P<equal>[:=\s])\s*([\'\"]?)(?P<value>.+?)?\3)?"
                   r"\s*(?:\s[;#]\s*(?P<comment>.*?)\s*)?$")


@dataclass(frozen=True)
class Entry:
    """One ``key = value`` of a Locust configuration file."""

    key: str
    value: object  # a string, or a list for `[a, b]`
    line: int


def parse_conf(text: str, shown: str) -> list[Entry]:
    """A Locust configuration file's entries, as configargparse reads them (a key given
    twice: the later wins). A line it cannot read is a PlanError naming file and line."""
    entries: dict[str, Entry] = {}
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line[0] in "#;[" or line.startswith("---"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise PlanError(f"cannot read line {shown}:{number}: {line!r}",
                            "Locust's config files take one `key = value` per line, "
                            "e.g. users = 10")
        equal, value = match.group("equal"), match.group("value")
        if value is None:
            value = "" if equal is not None and equal != " " else "true"
        parsed: object = value
        if value.startswith("[") and value.endswith("]"):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = [item.strip() for item in value[1:-1].split(",")]
        key = match.group("key").removeprefix("--")
        entries.pop(key, None)
        entries[key] = Entry(key, parsed, number)
    return list(entries.values())


def parse_toml(text: str, path: Path, shown: str) -> list[Entry]:
    """The ``[tool.locust]`` table of a TOML file (none: no entries), as Locust reads it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(toml_error(exc, shown),
                        "fix the syntax there: Locust reads this file too") from None
    table: Any = data
    for name in TOML_TABLE:
        table = table.get(name) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        return []
    located = PlanFile(path=path, display=shown, data=data, text=text)
    return [Entry(str(key), value, located.line_of((*TOML_TABLE, key)) or 0)
            for key, value in table.items() if value is not None]


def read_file(path: Path, cwd: Path, shown: str | None = None) -> list[Entry]:
    shown = shown or display_path(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read Locust's config file {shown}: {exc}",
                        "check that it is a readable UTF-8 text file") from None
    return parse_toml(text, path, shown) if path.name.endswith(".toml") else \
        parse_conf(text, shown)


@dataclass(frozen=True)
class LocustValue:
    """A value Locust's configuration gives a swarmdeck setting, and where it came from."""

    option: LocustOption
    value: object  # in the form swarmdeck's parser takes (LocustOption.convert applied)
    where: str  # "locust.conf:3", "LOCUST_HOST", or "-u after `--`"
    form: Literal["file", "env", "args"]


class _ArgsError(Exception):
    pass


class _ArgsParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # never exits: the caller reports it
        raise _ArgsError(message)


class _Record(argparse.Action):
    """Keep the flag as given (``-u`` or ``--users``) with its value."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, (option_string, values))


@dataclass
class LocustConfig:
    """What Locust's configuration gives swarmdeck's settings, lowest precedence first,
    and the options found there that swarmdeck does not use (one warning each)."""

    values: dict[str, list[LocustValue]] = field(default_factory=dict)
    after_dashes: dict[str, LocustValue] = field(default_factory=dict)
    ignored: dict[str, list[str]] = field(default_factory=dict)  # key -> where it was given
    ignored_after_dashes: dict[str, list[str]] = field(default_factory=dict)

    def _add(self, option: LocustOption, raw: object, where: str,
             form: Literal["file", "env", "args"]) -> None:
        if option.treatment == "ignored":
            self.ignored.setdefault(option.key, []).append(where)
        elif option.treatment == "read" and option.setting:
            found = LocustValue(option, option.value(raw), where, form)
            if form == "args":
                self.after_dashes[option.setting] = found
            else:
                self.values.setdefault(option.setting, []).append(found)

    def read_args(self, args: Sequence[str]) -> None:
        """The options swarmdeck shares with Locust among the arguments after ``--`` (the
        rest is Locust's parser's), and the ignored ones given there by their exact flag."""
        parser = _ArgsParser(add_help=False, prog="--")
        shared = [o for o in LOCUST_SETTINGS.values() if o.flags] + [BY_KEY["config"]]
        for option in shared:
            parser.add_argument(*option.flags, dest=option.key, action=_Record)
        try:
            known, _ = parser.parse_known_args(list(args))
        except _ArgsError as exc:
            raise PlanError(f"the arguments after `--`: {exc}",
                            "see `locust --help` for what they take") from None
        for option in shared:
            given = getattr(known, option.key, None)
            if given is None:
                continue
            flag, value = given
            if option.key == "config":
                self.after_dashes[CONFIG_SETTING] = LocustValue(
                    option, value, f"{flag} after `--`", "args")
            else:
                self._add(option, value, f"{flag} after `--`", "args")
        for token in args:
            flag = token.split("=", 1)[0]
            ignored = BY_FLAG.get(flag) if token.startswith("-") else None
            if ignored is not None and ignored.treatment == "ignored" and ignored.key != "config":
                self.ignored_after_dashes.setdefault(ignored.key, []).append(
                    f"{flag} after `--`")

    def read_files(self, environ: Mapping[str, str], cwd: Path, config: Path | None) -> None:
        """``~/.locust.conf`` (HOME from ``environ``), ``./locust.conf``,
        ``./pyproject.toml``, then the ``--config`` file, as Locust reads them."""
        found: list[tuple[Path, str]] = []
        home = environ.get("HOME", "").strip()
        if home and (Path(home) / HOME_FILE).is_file():
            found.append((Path(home) / HOME_FILE, f"~/{HOME_FILE}"))
        found += [(cwd / name, name) for name in CWD_FILES if (cwd / name).is_file()]
        if config is not None:
            found.append((config, display_path(config, cwd)))
        for path, shown in found:
            for entry in read_file(path, cwd, shown):
                option = BY_KEY.get(entry.key)
                if option is None or entry.value == "":  # not Locust's: its parser decides
                    continue
                self._add(option, entry.value, f"{shown}:{entry.line}", "file")

    def read_env(self, environ: Mapping[str, str]) -> None:
        """``LOCUST_*`` variables of Locust's options; empty ones count as unset."""
        for name, option in BY_ENV.items():
            value = environ.get(name, "").strip()
            if value:
                self._add(option, value, name, "env")

    def warnings(self) -> list[str]:
        """One line per option swarmdeck does not use, naming where each was given."""
        ignored = {key: list(wheres) for key, wheres in self.ignored.items()}
        for key, wheres in self.ignored_after_dashes.items():
            ignored.setdefault(key, []).extend(wheres)
        return [f"Locust's option {key} ({', '.join(wheres)}) is ignored: {BY_KEY[key].note}"
                for key, wheres in ignored.items()]


def locate_config(value: Path, named_by: str, cwd: Path) -> Path:
    """The ``--config`` file, which must exist (Locust refuses a missing one too)."""
    if not value.is_file():
        raise PlanError(f"Locust config file {display_path(value, cwd)!r} from {named_by} "
                        "does not exist", "check the path")
    return value
