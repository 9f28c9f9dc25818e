"""What one setting is: its name, flags, environment variable, plan-file key, parser, default,
help, and the commands it belongs to. The registry of every setting is in `settings`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

ENV_PREFIX = "SWARMDECK_"
Parser = Callable[[object, Path], Any]
# store_true: a flag that turns a setting on; store_false: a flag (--no-...) that turns off a
# setting that is on by default. Either way the environment and plan file give true/false.
Action = Literal["store", "store_true", "store_false", "append"]
SWITCHES = ("store_true", "store_false")
Command = Literal["run", "worker", "serve", "runs", "show", "compare", "report", "baseline",
                  "agent", "import", "capacity", "user", "node"]
COMMANDS: tuple[Command, ...] = get_args(Command)
# A scope is a command, or a command and one of its actions ("baseline list"): an option
# of one action only is given that scope; `settings_for` returns a scope's settings.
Scope = str


@dataclass(frozen=True)
class Setting:
    """One setting, read in the order default < plan file < environment < flag.

    A setting with ``from_env=False`` is an *option* of a single invocation (``--json``
    to print JSON, ``-n/--limit``): a flag only, with no environment variable or plan key.
    """

    name: str  # snake_case; the argparse dest, and the key in resolve()'s cli mapping
    field: str  # the attribute of the command's settings object holding the value
    flags: tuple[str, ...]
    parse: Parser  # (value from a source, folder relative paths are taken from) -> value
    default: Any  # a raw value, parsed like any other (relative to the working directory)
    help: str
    example: str  # as typed after the flag or in the environment variable
    toml_example: str  # a line of swarmdeck.toml
    metavar: str | None = None
    action: Action = "store"
    in_file: bool = True  # has a plan-file key
    merge: bool = False  # tables merge key by key across layers instead of replacing
    commands: frozenset[Scope] = frozenset({"run"})
    file_commands: frozenset[Scope] = frozenset({"run"})  # those that read its plan-file key
    from_env: bool = True
    required: bool = False
    choices: tuple[str, ...] | None = None

    @property
    def env(self) -> str | None:
        return ENV_PREFIX + self.name.upper() if self.from_env else None

    @property
    def variable(self) -> str:
        """The environment variable of a setting that has one."""
        if self.env is None:
            raise ValueError(f"{self.name} is an option without an environment variable")
        return self.env

    def file_key(self, scope: Scope = "run") -> str | None:
        """Its key in swarmdeck.toml, if the command reads it from there."""
        command = scope.split(" ", 1)[0]
        readable = self.in_file and self.from_env and command in self.file_commands
        return self.name if readable else None

    @property
    def flag_label(self) -> str:
        return "/".join(self.flags)

    @property
    def long_flag(self) -> str:
        return next(f for f in self.flags if f.startswith("--"))

    @property
    def default_doc(self) -> str:
        if self.action in SWITCHES:
            return "true" if self.action == "store_false" else "false"
        if self.required:
            return "required"
        if self.default is None:
            return "none"
        return str(self.default)

    def applies_to(self, scope: Scope) -> bool:
        """Whether the command (``baseline``) or action (``baseline list``) has it."""
        command = scope.split(" ", 1)[0]
        return scope in self.commands or command in self.commands

    def belongs_to(self, command: str) -> bool:
        """Whether the command, or one of its actions, has it (for its docs)."""
        return any(scope.split(" ", 1)[0] == command for scope in self.commands)


def option(name: str, commands: frozenset[Scope], flags: tuple[str, ...], default: Any,
           help: str, *, parse: Parser | None = None, metavar: str | None = None,
           action: Action = "store",
           choices: tuple[str, ...] | None = None) -> Setting:
    """An option: a flag of the given commands only (no environment variable, no plan key);
    argparse parses it with ``parse`` (default: the text as given)."""
    return Setting(name, name, flags, parse or as_given, default, help, example="",
                   toml_example="", metavar=metavar, action=action, in_file=False,
                   commands=commands, from_env=False, choices=choices)


def as_given(value: object, base: Path) -> object:
    """The parser of an option taken as typed."""
    return value
