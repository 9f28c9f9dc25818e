"""Parsers for setting values. Each takes what a source holds (a string from a flag or an
environment variable, or a TOML value) and returns the typed value, or raises `Invalid`.

`Invalid` says what is wrong with the value only; the caller adds where it came from.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from swarmdeck.plan.durations import DURATION_FORMS, DurationError, parse_duration

if TYPE_CHECKING:
    from swarmdeck.monitors.spec import MonitorSpec

KeyPath = tuple[str | int, ...]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]*:[0-9a-f:.]*")
_TAG_KEY = re.compile(r"[A-Za-z0-9_.:/-]+")
_DB_SCHEMES = ("sqlite", "postgresql")
_BIND_HOST = re.compile(r"\*|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")  # *: every address


class Invalid(ValueError):
    """A value that does not parse; ``subkey`` locates it inside a table or list."""

    def __init__(self, problem: str, subkey: KeyPath = (), hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.subkey = subkey
        self.hint = hint


class UnknownKey(Invalid):
    """A key that no setting or shape parameter has; ``subkey`` is the key's full path."""


def describe(value: object) -> str:
    """A value as the user wrote it: strings quoted, TOML booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def suggest(word: str, known: Sequence[str]) -> str:
    """A hint naming the closest known words, or listing them all."""
    close = difflib.get_close_matches(word, list(known), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "known: " + ", ".join(known)


def reject_unknown(table: Mapping[str, object], known: Sequence[str], prefix: KeyPath = ()) -> None:
    for key in table:
        if key not in known:
            raise UnknownKey(f"unknown key {key!r}", (*prefix, key), suggest(key, known))


def parse_int(value: object, *, minimum: int, maximum: int | None = None) -> int:
    bounds = f"of at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    problem = f"must be a whole number {bounds}, got {describe(value)}"
    if isinstance(value, bool):
        raise Invalid(problem)
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise Invalid(problem)
        value = int(value)
    if not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        raise Invalid(problem)
    return value


def parse_share(value: object) -> float:
    """A share as a percentage (``"10%"``) or a fraction (``0.1``), above 0 and below 1."""
    problem = f"must be a percentage such as 10%, above 0 and below 100%, got {describe(value)}"
    if isinstance(value, bool):
        raise Invalid(problem)
    if isinstance(value, str):
        text = value.strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise Invalid(problem) from None
    elif isinstance(value, int | float):
        share = float(value)
    else:
        raise Invalid(problem)
    if not 0 < share < 1:
        raise Invalid(problem)
    return share


def parse_positive_float(value: object) -> float:
    problem = f"must be a number greater than 0, got {describe(value)}"
    if isinstance(value, bool):
        raise Invalid(problem)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise Invalid(problem) from None
    if not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise Invalid(problem)
    return float(value)


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise Invalid(f"must be true or false (1/0, yes/no, on/off), got {describe(value)}")


def parse_duration_value(value: object, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"must be a duration such as {DURATION_FORMS}, got {describe(value)}")
    try:
        seconds = parse_duration(value)
    except DurationError as exc:
        raise Invalid(f"must be a duration such as {DURATION_FORMS}, got {describe(value)}") \
            from exc
    if positive and seconds <= 0:
        raise Invalid(f"must be a duration longer than 0, got {describe(value)}")
    return seconds


def parse_interval(value: object) -> float:
    """A histogram interval: a whole number of seconds (intervals align to epoch seconds)."""
    seconds = parse_duration_value(value, positive=True)
    if seconds != int(seconds):
        raise Invalid(f"must be a whole number of seconds, got {describe(value)}")
    return seconds


@dataclass(frozen=True)
class HostPort:
    """An address to listen on or to connect to: a host (an IPv6 address without its
    brackets) and a port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """Only this machine can reach it (localhost, 127.0.0.0/8, ::1)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_host_port(value: object, *, ip_only: bool = False, any_port: bool = False) -> HostPort:
    """``HOST:PORT``, ``[IPv6]:PORT`` (or an unbracketed IPv6 address: the last ``:`` starts
    the port). ``ip_only``: the host must be an IP address or ``localhost`` (an address to
    listen on); ``any_port``: port 0 (any free port) is allowed."""
    form = "IP:PORT (or [IPv6]:PORT)" if ip_only else "HOST:PORT (or [IPv6]:PORT)"
    problem = f"must be {form}, got {describe(value)}"
    text = value.strip() if isinstance(value, str) else ""
    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if not _is_ip(host, version=6):
            raise Invalid(problem)
    if not sep or not host or not re.fullmatch(r"[0-9]{1,5}", port_text):
        raise Invalid(problem)
    lowest = 0 if any_port else 1
    if not lowest <= int(port_text) <= 65535:
        raise Invalid(f"must have a port from {lowest} to 65535, got {describe(value)}")
    if ip_only and host != "localhost" and not _is_ip(host):
        raise Invalid(f"must have an IP address (or localhost) as its host, got {describe(value)}")
    if ":" in host and not _is_ip(host, version=6):
        raise Invalid(problem)
    if ":" not in host and not _BIND_HOST.fullmatch(host):
        raise Invalid(problem)
    return HostPort(host, int(port_text))


def _is_ip(text: str, version: int | None = None) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return version is None or address.version == version


def parse_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be a non-empty string, got {describe(value)}")
    return value.strip()


def parse_path(value: object, base: Path) -> Path:
    """A path; relative ones are taken relative to ``base`` (the plan file's folder or cwd)."""
    text = parse_text(value)
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def parse_output_path(value: object, base: Path) -> Path:
    """Like `parse_path`, but ``-`` (standard output) stays ``-``."""
    text = parse_text(value)
    return Path("-") if text == "-" else parse_path(text, base)


def parse_host(value: object) -> str:
    """``http(s)://host[:port]`` with no path beyond ``/``; returned without the trailing ``/``."""
    problem = f"must be http://host[:port] or https://host[:port] with no path, got {describe(value)}"
    if not isinstance(value, str):
        raise Invalid(problem)
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise Invalid(problem) from None
    if parts.scheme not in ("http", "https") or not _HOSTNAME.fullmatch(parts.hostname or ""):
        raise Invalid(problem)
    if parts.username is not None or parts.password is not None:
        raise Invalid(f"must not hold credentials (set them in the locustfile), got {text!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise Invalid(f"must have no path, query or fragment (put paths in the locustfile's "
                      f"requests), got {text!r}")
    if port == 0:
        raise Invalid(problem)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def parse_db_url(value: object, base: Path) -> str:
    """A SQLAlchemy URL (``sqlite:///runs.db``, ``postgresql://...``) or a SQLite file path.

    Relative SQLite paths are made absolute from ``base``, so the stored URL names one file.
    """
    text = parse_text(value)
    if "://" not in text:
        return f"sqlite:///{parse_path(text, base)}"
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "postgres":
        raise Invalid("uses the scheme 'postgres', which SQLAlchemy does not accept", (),
                      "write postgresql://USER@HOST/DB or postgresql+psycopg://USER@HOST/DB")
    if scheme not in _DB_SCHEMES:
        raise Invalid(f"must be a sqlite:/// or postgresql:// URL, or a SQLite file path, "
                      f"got scheme {scheme!r}")
    prefix, sep, rest = text.partition(":///")
    if scheme == "sqlite" and sep and rest and not rest.startswith((":memory:", "/", "?")):
        path, query_sep, query = rest.partition("?")
        return f"{prefix}:///{parse_path(path, base)}{query_sep}{query}"
    return text


def _tag_pair(key: object, value: object, subkey: KeyPath) -> tuple[str, str]:
    if not isinstance(key, str) or not _TAG_KEY.fullmatch(key.strip()):
        raise Invalid(f"tag names must be letters, digits or _.:/-, got {describe(key)}", subkey)
    if not isinstance(value, str):
        raise Invalid(f"tag values must be strings (quote them), got {describe(value)}", subkey)
    return key.strip(), value.strip()


def parse_tag_items(items: Sequence[object], separator: str | None = None) -> dict[str, str]:
    """``KEY=VALUE`` strings (a repeated flag, or one string split on ``separator``)."""
    texts: list[object] = []
    for item in items:
        texts.extend(item.split(separator) if separator and isinstance(item, str) else [item])
    tags: dict[str, str] = {}
    for index, item in enumerate(texts):
        if not isinstance(item, str) or "=" not in item:
            raise Invalid(f"must be KEY=VALUE, got {describe(item)}", (index,))
        key, _, val = item.partition("=")
        k, v = _tag_pair(key, val, (index,))
        tags[k] = v
    return tags


def parse_tags(value: object) -> dict[str, str]:
    """A TOML table ``{ env = "staging" }``, ``KEY=VALUE`` strings, or ``a=1,b=2`` (env var)."""
    if isinstance(value, dict):
        return dict(_tag_pair(k, v, (k,)) for k, v in value.items())
    if isinstance(value, str):
        return parse_tag_items([value], separator=",")
    if isinstance(value, list | tuple):
        return parse_tag_items(list(value))
    raise Invalid(f"must be a table of KEY = \"VALUE\" or KEY=VALUE strings, got {describe(value)}")


def parse_classes(value: object) -> tuple[str, ...]:
    """User class names: a TOML list of strings, or names separated by commas."""
    items: list[object]
    if isinstance(value, str):
        items = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = []
        for item in value:
            items.extend(item.split(",") if isinstance(item, str) else [item])
    else:
        raise Invalid(f"must be a list of User class names, got {describe(value)}")
    names: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip().isidentifier():
            raise Invalid(f"must be Python class names such as WebsiteUser, got {describe(item)}",
                          (index,))
        if item.strip() not in names:
            names.append(item.strip())
    if not names:
        raise Invalid("must name at least one User class")
    return tuple(names)


def parse_monitors(value: object, base: Path) -> tuple[MonitorSpec, ...]:
    """Monitor SPECs: repeated ``--monitor`` flags, one string of specs separated by ``;``
    or spaces (the environment), or a plan file's list of strings or ``[[monitors]]``
    tables (``spec = "..."``, optional ``name = "..."``). A relative pid file is taken from
    ``base``."""
    from swarmdeck.monitors.spec import SpecError, parse_spec, split_specs

    items: list[object] = []
    for item in value if isinstance(value, list | tuple) else [value]:
        items.extend(split_specs(item) if isinstance(item, str) else [item])
    specs: list[MonitorSpec] = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            reject_unknown(item, ("spec", "name"), (index,))
            text, name = item.get("spec"), item.get("name")
            if not isinstance(text, str) or not text.strip():
                raise Invalid(f"needs spec = \"SPEC\", got {describe(text)}", (index, "spec"),
                              'e.g. [[monitors]] spec = "process:/run/gunicorn.pid"')
            if name is not None:
                if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,31}",
                                                                 name, re.IGNORECASE):
                    raise Invalid(f"name must be a short word such as api, got "
                                  f"{describe(name)}", (index, "name"))
                text = f"{name}={text.strip()}"
            item = text
        if not isinstance(item, str):
            raise Invalid(f"must be SPEC strings or tables, got {describe(item)}", (index,))
        try:
            spec = parse_spec(item)
        except SpecError as exc:
            from swarmdeck.masking import mask_url

            raise Invalid(f"{mask_url(item.strip())!r}: {exc}", (index,), exc.hint) from None
        if spec.pidfile is not None and not Path(spec.pidfile).expanduser().is_absolute():
            spec = replace(spec, pidfile=str(base / Path(spec.pidfile).expanduser()))
        specs.append(spec)
    names = [s.prefix + s.kind for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        kind = twice[0].rsplit(".", 1)[-1]
        raise Invalid(f"has two {kind} monitors whose series would share their names",
                      (), f"name one of them: NAME={kind}..., e.g. db2=postgresql://...")
    return tuple(specs)
