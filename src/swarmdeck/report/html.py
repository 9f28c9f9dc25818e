"""The self-contained HTML report: one file, its CSS, JavaScript (report.js and the
vendored uPlot) and data inlined; it needs no network and opens from file://.

    html = render_html(run_document(store, run_id))
    path = write_html(store, run_id, Path("report.html"), compare_to=None)

The data travels as JSON in ``<script type="application/json" id="swarmdeck-data">`` with
``<``, ``>`` and ``&`` escaped, so no text of a run (endpoint names, failure reasons, tags:
attacker-controlled) can close the element; the page builds its DOM with textContent only,
and its Content-Security-Policy allows no network access and only its own scripts (by hash).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from swarmdeck import __version__
from swarmdeck.errors import BadInput
from swarmdeck.report.document import compare_document, run_document
from swarmdeck.store import Store

SCRIPTS = ("vendor/uPlot.iife.min.js", "report.js", "monitors.js", "iterations.js",
           "boot.js")
STYLES = ("vendor/uPlot.min.css", "report.css")
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


class ReportWriteError(BadInput):
    """The report file could not be written (exit code 2: the path given is unusable)."""


def static_text(name: str) -> str:
    """A file of ``swarmdeck/report/static`` (the dashboard serves the same files)."""
    return _static(name)


@cache
def _static(name: str) -> str:
    text = resources.files("swarmdeck.report").joinpath("static", name).read_text("utf-8")
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered:  # would end the inline element
        raise ValueError(f"static/{name} contains a closing script or style tag")
    return text


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("swarmdeck.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def json_for_script(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&`` (and the JS
    line separators) are \\u-escaped, non-finite numbers become null."""
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False)
    return text.translate(_JSON_ESCAPES)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def _title(document: dict[str, Any]) -> str:
    if document.get("kind") == "compare":
        return (f"swarmdeck: run {document['base']['header']['run_id']} vs run "
                f"{document['candidate']['header']['run_id']}")
    header = document["header"]
    return f"swarmdeck: run {header['run_id']} ({header['status']}) — {header['host']}"


def render_html(document: dict[str, Any]) -> str:
    """The report page of a document from ``run_document`` or ``compare_document``."""
    scripts = [_static(name) for name in SCRIPTS]
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           f"script-src {' '.join(_hash(s) for s in scripts)}; "
           "connect-src 'none'; form-action 'none'; base-uri 'none'")
    run_ref = (document["candidate"] if document.get("kind") == "compare"
               else document)["header"]["run_id"]
    styles = "\n".join(_static(name) for name in STYLES)
    escaped = json_for_script(document)
    css = Markup(styles)  # nosec B704  # our own files
    data_json = Markup(escaped)  # nosec B704  # JSON escaped for a script element
    own_scripts = [Markup(s) for s in scripts]  # nosec B704  # our own files
    return _environment().get_template("report.html").render(
        title=_title(document), version=__version__, csp=csp, run_ref=run_ref, css=css,
        data_json=data_json, scripts=own_scripts)


def write_html(store: Store, run_id: int, path: Path | str,
               compare_to: int | None = None) -> Path:
    """Write the report of ``run_id`` (with ``compare_to``: the base run, overlaid, and the
    comparison table) to ``path``; the path written."""
    document = (run_document(store, run_id) if compare_to is None
                else compare_document(store, compare_to, run_id))
    html = render_html(document)
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ReportWriteError(
            f"cannot write the HTML report to {target}: {exc.strerror or exc}",
            "give a writable file path") from exc
    return target
