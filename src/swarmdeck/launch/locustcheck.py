"""Checking a locustfile on upload without executing it: it is UTF-8 Python that parses,
and it defines a User class (a class deriving from ``User``, ``HttpUser`` or
``FastHttpUser``, directly or through another class of the file). A file that fails gets
one line, ``name:line: what``. The run's own process imports it later (exit 2 if that
fails), never the web server.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass

from swarmdeck.errors import LocustfileError

MAX_BYTES = 256 * 1024
USER_BASES = frozenset({"User", "HttpUser", "FastHttpUser"})
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.py")


@dataclass(frozen=True)
class CheckedLocustfile:
    name: str
    source: str
    sha256: str  # of the bytes as uploaded: what `swarmdeck run` records for the run
    user_classes: tuple[str, ...]


def check_name(name: str) -> str:
    """A plain file name ending in .py (no folders): what the run's file is called."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not _NAME.fullmatch(base):
        raise LocustfileError(f"bad locustfile name {base[:100]!r}",
                              "use a plain file name ending in .py, e.g. locustfile.py")
    return base


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def user_classes(tree: ast.Module) -> tuple[str, ...]:
    """The module-level classes deriving (transitively, within the file) from a User."""
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    users: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in classes:
            if node.name in users:
                continue
            bases = {_base_name(base) for base in node.bases}
            if bases & (USER_BASES | users):
                users.add(node.name)
                changed = True
    return tuple(node.name for node in classes if node.name in users)


def check_locustfile(name: str, data: bytes) -> CheckedLocustfile:
    """The checked file, or LocustfileError naming ``name:line``."""
    name = check_name(name)
    if len(data) > MAX_BYTES:
        raise LocustfileError(f"{name} is too large ({len(data) // 1024} KiB; at most "
                              f"{MAX_BYTES // 1024} KiB)", "split it, or load data at run time")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LocustfileError(f"{name}:{line}: not UTF-8 text", "save it as UTF-8") from None
    try:
        tree = ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise LocustfileError(f"{name}:{exc.lineno or 1}: {exc.msg}",
                              "fix the syntax error and upload it again") from None
    except ValueError as exc:  # e.g. a NUL byte
        raise LocustfileError(f"{name}:1: {exc}", "upload a Python source file") from None
    found = user_classes(tree)
    if not found:
        raise LocustfileError(f"{name}:1: no User class (a class deriving from HttpUser, "
                              "FastHttpUser or User)",
                              "define one, e.g. class Visitor(HttpUser): ...")
    return CheckedLocustfile(name, source, hashlib.sha256(data).hexdigest(), found)
