"""Loading a locustfile the way ``locust -f`` does, with one clear error when it cannot be."""

from __future__ import annotations

import hashlib
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from locust import LoadTestShape, User
from locust.util.load_locustfile import load_locustfile as locust_load

from swarmdeck.errors import LocustfileError


@dataclass(frozen=True)
class LoadedLocustfile:
    path: Path
    sha256: str
    user_classes: dict[str, type[User]]
    shape: LoadTestShape | None

    def select(self, names: list[str]) -> list[type[User]]:
        """The user classes to run: all of them, or those named with ``--class``."""
        if not names:
            return list(self.user_classes.values())
        unknown = [n for n in names if n not in self.user_classes]
        if unknown:
            raise LocustfileError(
                f"unknown user class {', '.join(repr(n) for n in unknown)} in {self.path}",
                f"--class takes one of: {', '.join(sorted(self.user_classes))}",
            )
        return [self.user_classes[n] for n in names]


def _where(exc: BaseException, path: Path) -> str:
    """``file:line`` of the innermost frame inside the locustfile's directory, else the file."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    directory = str(path.parent.resolve())
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename).startswith(directory)]
    if frames:
        return f"{frames[-1].filename}:{frames[-1].lineno}"
    return str(path)


def load(path_str: str) -> LoadedLocustfile:
    path = Path(path_str)
    if not path.exists():
        raise LocustfileError(f"locustfile {path} does not exist",
                              "pass the path of a Python file with -f")
    if path.is_dir() or path.suffix != ".py":
        raise LocustfileError(f"locustfile {path} is not a .py file",
                              "pass the path of a Python file with -f")
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise LocustfileError(f"cannot read locustfile {path}: {exc.strerror}",
                              "check the file's permissions") from None
    try:
        user_classes, shapes = locust_load(str(path.resolve()))
    except SyntaxError as exc:
        raise LocustfileError(f"syntax error in {_where(exc, path)}: {exc.msg}",
                              "fix the locustfile; `python -m py_compile` shows the same") from None
    except SystemExit as exc:
        raise LocustfileError(f"locustfile {path} called sys.exit({exc.code}) while importing",
                              "remove the exit from module level") from None
    except Exception as exc:
        raise LocustfileError(
            f"error importing {_where(exc, path)}: {exc.__class__.__name__}: {exc}",
            "fix the locustfile (run with --debug for the traceback)",
        ) from exc
    if not user_classes:
        raise LocustfileError(f"no User class in {path}",
                              "define a class deriving from locust.HttpUser or FastHttpUser")
    if len(shapes) > 1:
        raise LocustfileError(f"{path} defines {len(shapes)} LoadTestShape classes",
                              "keep one shape class per locustfile")
    return LoadedLocustfile(path=path, sha256=hashlib.sha256(source).hexdigest(),
                            user_classes=user_classes, shape=shapes[0] if shapes else None)
