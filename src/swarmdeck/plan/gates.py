"""Parsers for the CI-gate settings: thresholds, regression budgets and --compare-to.

A threshold as one string (a ``--threshold`` flag, an item of ``SWARMDECK_THRESHOLDS`` or
of ``thresholds = [...]`` in swarmdeck.toml)::

    [ENDPOINT:] EXPRESSION [abort[=true|false|GRACE]] [grace=GRACE]

- ``EXPRESSION`` never contains a colon, so when the text has one, everything before the
  *last* colon is the endpoint (a request name such as ``/api/products``, or ``METHOD
  name`` such as ``GET /api/products``); names may hold spaces and colons themselves.
- ``abort`` stops the run as soon as the threshold is breached; ``abort=30s`` (or
  ``abort grace=30s``) first lets the run warm up for 30 s.

In swarmdeck.toml a threshold may also be a table: ``{ expr = "p95 < 300ms", endpoint =
"GET /x", abort = true, grace = "10s" }`` (or ``[[thresholds]]`` blocks).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from swarmdeck.analysis.budgets import Budget, parse_budget
from swarmdeck.analysis.threshold_expr import MONITOR, MONITOR_HINT, parse_monitor
from swarmdeck.analysis.thresholds import Threshold, parse
from swarmdeck.errors import PlanError
from swarmdeck.plan.durations import DurationError, parse_duration
from swarmdeck.plan.values import Invalid, describe, reject_unknown

THRESHOLD_HINT = ("write [ENDPOINT:] METRIC[WINDOW] OP VALUE [abort[=GRACE]], e.g. "
                  "'p95 < 300ms', 'GET /api/products: p95[30s] < 200ms', "
                  "'error_rate < 1% abort=10s'")
TABLE_KEYS = ("expr", "endpoint", "abort", "grace")
_OPTION = re.compile(r"(?i)(abort|grace)(?:=(\S*))?$")
_COLUMN = re.compile(r"at column (\d+)")
_BOOL = {"true": True, "yes": True, "1": True, "on": True,
         "false": False, "no": False, "0": False, "off": False}
_REF = re.compile(r"last|[1-9][0-9]*|baseline:[A-Za-z0-9_.\-]+")


def _grace(text: str, whole: str, subkey: tuple[str | int, ...]) -> float:
    try:
        seconds = parse_duration(text)
    except DurationError:
        raise Invalid(f"{whole!r}: expected a grace period such as 10s or 1m, got {text!r}",
                      subkey, THRESHOLD_HINT) from None
    if seconds < 0:  # pragma: no cover - parse_duration takes no sign
        raise Invalid(f"{whole!r}: the grace period must be 0 s or more", subkey, THRESHOLD_HINT)
    return seconds


def _split_options(text: str, subkey: tuple[str | int, ...]) -> tuple[str, bool, float | None]:
    """``error_rate < 1% abort=10s`` -> (``error_rate < 1% ``, True, 10.0): the options
    come last; the expression keeps its place in ``text`` (errors give columns)."""
    words = list(re.finditer(r"\S+", text))
    end = len(text)
    abort = False
    grace: float | None = None
    while words and (match := _OPTION.fullmatch(words[-1].group())):
        key, value = match.group(1).lower(), match.group(2)
        end = words.pop().start()
        if key == "grace":
            if not value:
                raise Invalid(f"{text!r}: grace needs a duration, e.g. grace=10s", subkey,
                              THRESHOLD_HINT)
            grace = _grace(value, text, subkey)
        elif value is None or value.lower() in _BOOL:
            abort = True if value is None else _BOOL[value.lower()]
        else:
            abort, grace = True, _grace(value, text, subkey)
    return text[:end], abort, grace


def _parse_expr(expr: str, whole: str, endpoint: str | None, abort: bool, grace: float,
                subkey: tuple[str | int, ...], offset: int) -> Threshold:
    try:
        return parse(expr, endpoint, abort, grace)
    except PlanError as exc:
        detail = exc.message.removeprefix(f"threshold {expr!r}: ")
        detail = _COLUMN.sub(lambda m: f"at column {int(m.group(1)) + offset}", detail)
        hint = exc.hint or THRESHOLD_HINT
        if endpoint is None and detail.startswith("expected a metric") and " " in expr.strip():
            hint = "for one endpoint write 'NAME: EXPRESSION', e.g. 'GET /x: p95 < 300ms'"
        raise Invalid(f"{whole!r}: {detail}", subkey, hint) from None


def threshold_from_text(text: str, subkey: tuple[str | int, ...] = ()) -> Threshold:
    """One threshold in the string form (see the module doc); raises `Invalid`."""
    if not text.strip():
        raise Invalid("is an empty threshold", subkey, THRESHOLD_HINT)
    if text.strip().lower().startswith(MONITOR + ":"):
        return _monitor_threshold(text, subkey)
    endpoint: str | None = None
    body, offset = text, 0
    if ":" in text:
        head, _, body = text.rpartition(":")
        endpoint = head.strip()
        offset = len(head) + 1
        if not endpoint:
            raise Invalid(f"{text!r}: expected an endpoint name before ':'", subkey,
                          THRESHOLD_HINT)
    expr, abort, grace = _split_options(body, subkey)
    offset += len(expr) - len(expr.lstrip())
    expr = expr.strip()
    if grace is not None and not abort:
        raise Invalid(f"{text!r}: grace only applies to a threshold that aborts the run",
                      subkey, "add abort, e.g. 'p95 < 300ms abort grace=10s' or "
                              "'p95 < 300ms abort=10s'")
    return _parse_expr(expr, text, endpoint, abort, grace or 0.0, subkey, offset)


def _monitor_threshold(text: str, subkey: tuple[str | int, ...]) -> Threshold:
    """``monitor:SERIES[WINDOW] OP VALUE`` (no endpoint; never abort)."""
    start = text.index(":") + 1
    body = text[start:]
    expr, abort, _ = _split_options(body, subkey)
    offset = start + len(expr) - len(expr.lstrip())
    if abort:
        raise Invalid(f"{text!r}: monitor thresholds cannot abort the run", subkey,
                      "drop abort: they are checked on the stored series when the run ends")
    try:
        return parse_monitor(expr.strip())
    except PlanError as exc:
        detail = exc.message.removeprefix(f"threshold {expr.strip()!r}: ")
        detail = _COLUMN.sub(lambda m: f"at column {int(m.group(1)) + offset}", detail)
        raise Invalid(f"{text!r}: {detail}", subkey, MONITOR_HINT) from None


def _threshold_from_table(table: dict[str, object], index: int) -> Threshold:
    reject_unknown(table, TABLE_KEYS, (index,))
    expr = table.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        raise Invalid(f"needs expr = \"METRIC OP VALUE\", got {describe(expr)}",
                      (index, "expr"), 'e.g. { expr = "p95 < 300ms", endpoint = "GET /x" }')
    endpoint = table.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.strip()):
        raise Invalid(f"endpoint must be a request name such as \"GET /x\", got "
                      f"{describe(endpoint)}", (index, "endpoint"))
    parsed = threshold_from_text(expr, (index, "expr"))
    if endpoint is not None and parsed.endpoint is not None:
        raise Invalid(f"{expr!r} names an endpoint and so does endpoint = {endpoint!r}",
                      (index, "expr"), "give the endpoint in one place only")
    abort_value = table.get("abort", parsed.abort)
    if not isinstance(abort_value, bool):
        raise Invalid(f"abort must be true or false, got {describe(abort_value)}",
                      (index, "abort"))
    grace_value = table.get("grace")
    grace = parsed.grace_s
    if grace_value is not None:
        if isinstance(grace_value, bool) or not isinstance(grace_value, str | int | float):
            raise Invalid(f"grace must be a duration such as \"10s\", got "
                          f"{describe(grace_value)}", (index, "grace"))
        grace = _grace(str(grace_value), str(grace_value), (index, "grace"))
        if not abort_value:
            raise Invalid("grace only applies to a threshold that aborts the run",
                          (index, "grace"), "add abort = true")
    name = endpoint.strip() if isinstance(endpoint, str) else parsed.endpoint
    try:
        return replace(parsed, endpoint=name, abort=abort_value, grace_s=grace)
    except PlanError as exc:  # a monitor threshold with an endpoint or abort
        raise Invalid(exc.message.removeprefix("threshold "), (index, "expr"),
                      exc.hint) from None


def parse_thresholds(value: object) -> tuple[Threshold, ...]:
    """Flags (a list of strings), the environment (one string, thresholds separated by ``;``
    or new lines), or the plan file (a string, or a list of strings and tables)."""
    items: Sequence[object]
    if isinstance(value, str):
        items = [part for part in re.split(r"[;\n]", value) if part.strip()]
    elif isinstance(value, dict):
        items = [value]
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise Invalid(f"must be a list of threshold expressions, got {describe(value)}",
                      (), THRESHOLD_HINT)
    found: list[Threshold] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            threshold = threshold_from_text(item, (index,))
        elif isinstance(item, dict):
            threshold = _threshold_from_table(item, index)
        else:
            raise Invalid(f"must be threshold strings or tables, got {describe(item)}",
                          (index,), THRESHOLD_HINT)
        if threshold not in found:
            found.append(threshold)
    return tuple(found)


def parse_budgets(value: object) -> tuple[Budget, ...]:
    """``p95=+10%`` strings: repeated flags, a list in the plan file, or one string with
    budgets separated by commas (the environment)."""
    items: list[object] = []
    for item in value if isinstance(value, list | tuple) else [value]:
        items.extend(item.split(",") if isinstance(item, str) else [item])
    budgets: dict[str, Budget] = {}
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise Invalid(f"must be budgets such as \"p95=+10%\", got {describe(item)}", (index,))
        try:
            budget = parse_budget(item)
        except PlanError as exc:
            raise Invalid(exc.message.replace("regression budget ", "", 1), (index,),
                          exc.hint) from None
        budgets[budget.metric] = budget  # one budget per metric: the last one given wins
    return tuple(budgets.values())


def parse_compare_ref(value: object) -> str:
    """A run id, ``last`` or ``baseline:NAME`` (only the syntax; the store resolves it)."""
    text = value.strip() if isinstance(value, str) else str(value) if (
        isinstance(value, int) and not isinstance(value, bool)) else None
    if text is None or not _REF.fullmatch(text):
        raise Invalid(f"must be a run id, last or baseline:NAME, got {describe(value)}", (),
                      "e.g. --compare-to 42, --compare-to last or --compare-to baseline:main")
    return text
