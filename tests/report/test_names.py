"""Names printed once and as written: a request named ``GET /pricing`` (method GET) is
shown ``GET /pricing`` everywhere, never ``GET GET /pricing``; every text the user or the
target wrote (names, failure reasons, tags, file names, messages) prints verbatim in the
terminal, never read as rich markup (``/forum/[id]`` stays ``/forum/[id]``)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console, RenderableType
from tests.report.reports import REPORT, row
from tests.report.runs import T0, make_run
from tests.store.factories import make_interval, make_meta

from swarmdeck.analysis.summary import LiveStats
from swarmdeck.cli import main
from swarmdeck.labels import endpoint_label, names_endpoint
from swarmdeck.records import Finding, RunStatus, ThresholdOutcome
from swarmdeck.records.codec import comparison_from_json
from swarmdeck.report import comparison_view, findings_view, live, thresholds_view
from swarmdeck.report.document import run_document
from swarmdeck.report.junit import junit_xml
from swarmdeck.report.markdown import markdown_summary
from swarmdeck.report.model import RunReport, StageReport
from swarmdeck.report.terminal import by_region, run_list, summary
from swarmdeck.store import Store

# Locust's way to group ids, a closing tag alone, and tags rich would read as styles
MARKUP = ("/forum/[id]", "/topic/[/]", "[bold]x", "[red]x[/red]")
REASON = "HTTP 500: [/] [bold]not bold[/bold] :warning:"
WIDE = 220  # no name folds
STARTED = "2026-01-01T00:00:00+00:00"


def printed(*renderables: RenderableType | Iterable[RenderableType]) -> str:
    console = Console(width=WIDE, record=True, color_system=None)
    for part in renderables:
        for one in (part if isinstance(part, list) else [part]):
            console.print(one)
    return console.export_text()


def hostile_report() -> RunReport:
    endpoints = tuple(row("GET", name, 100 + i, 5, errors=((f"{REASON} on {name}", 5),))
                      for i, name in enumerate(MARKUP))
    stage = StageReport(name="[bold]peak", start_s=0, end_s=30, users=5, totals=REPORT.totals)
    regions = {"eu-[west]": REPORT.totals, "[us]": REPORT.totals}
    return dataclasses.replace(
        REPORT, endpoints=endpoints, stages=(stage,), regions=regions,
        message="[red]stopped[/red] by [bold]", warnings=("[i]not italic[/i] warning",),
        meta=make_meta(host="http://127.0.0.1:8000/[x]", locustfile="[bold]shop.py"),
        endpoint_regions={("GET", name): regions for name in MARKUP},
        thresholds=(ThresholdOutcome(expr="p95 < 300ms", endpoint="GET [red]x[/red]",
                                     observed=80.0, observed_text="80 ms", passed=True),),
        findings=(Finding(code="auth-failing", severity="error", endpoint="GET /forum/[id]",
                          message="401 on [bold]x", fix="log in first: [/] [red]"),))


def test_the_summary_prints_names_reasons_and_texts_verbatim() -> None:
    text = printed(summary(hostile_report(), WIDE))
    for name in MARKUP:
        assert f"GET {name} " in text, name  # the endpoint table
        assert f"{REASON} on {name}" in text  # the failure reasons, with their endpoint
    assert "[bold]peak" in text and "eu-[west]" in text and "[us]" in text
    assert "[red]stopped[/red] by [bold]" in text
    assert "warning: [i]not italic[/i] warning" in text
    assert "http://127.0.0.1:8000/[x]" in text and "[bold]shop.py" in text
    assert "GET [red]x[/red]" in text  # the thresholds table
    assert "GET /forum/[id]" in text and "401 on [bold]x" in text
    assert "fix: log in first: [/] [red]" in text  # the findings
    by = printed(by_region(hostile_report(), WIDE))
    assert all(f"GET {name}" in by for name in MARKUP) and "eu-[west]" in by


def test_the_run_list_prints_file_names_hosts_and_tags_verbatim(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        make_run(store, seconds=3, tags={"note": "[red]x[/red]"}, shape=False)
        rows = store.list_runs(10)
    rows = [dataclasses.replace(r, locustfile="/tmp/[bold]shop.py",
                                host="http://[id]:1") for r in rows]
    text = Console(width=WIDE, record=True, color_system=None)
    text.print(run_list(rows))
    out = text.export_text()
    assert "[bold]shop.py" in out and "[id]:1" in out and "note=[red]x[/red]" in out


def test_the_live_view_prints_names_and_messages_verbatim() -> None:
    endpoints = [row("GET", name, 10, 1) for name in MARKUP] + [row("GET", "GET /pricing", 9)]
    stats = LiveStats(requests=50, failures=4, window_s=10, window=REPORT.totals,
                      endpoints=endpoints)
    text = printed(live.render(stats, 5, 3.0, 10.0, 1, "http://[x]:1",
                               ["worker [eu] lost: [bold]"]))
    for name in MARKUP:
        assert f"GET {name}" in text, name
    assert "GET /pricing" in text and "GET GET" not in text
    assert "http://[x]:1" in text and "worker [eu] lost: [bold]" in text
    console = Console(width=WIDE, record=True, color_system=None)
    live.QuietView(console).message("stopping the run: p95 on [red]x[/red]")
    live.LiveView(console).message("no token: [bold]")  # not started: printed at once
    out = console.export_text()
    assert "stopping the run: p95 on [red]x[/red]" in out and "no token: [bold]" in out


def _row(method: str, name: str) -> dict[str, object]:
    stats = {"requests": 1000, "rps": 20.0, "p50_ms": 40.0, "p95_ms": 80.0, "p99_ms": 99.0,
             "error_rate": 0.0}
    return {"method": method, "name": name, "overall": False, "base": stats,
            "candidate": stats, "changes": {}, "verdict": "not enough data"}


def test_the_comparison_table_prints_names_and_baselines_verbatim() -> None:
    comparison = comparison_from_json({
        "base": {"run_id": 3, "ref": "baseline:[bold]main", "started_at": STARTED,
                 "host": "http://x", "tags": {}},
        "candidate": {"run_id": 7, "ref": "7", "started_at": STARTED, "host": "http://x",
                      "tags": {}},
        "metric": "p95", "confidence": 0.95, "min_change": 0.1,
        "rows": [_row("GET", name) for name in MARKUP] + [_row("GET", "GET /pricing")],
        "budgets": ["p95=+10%"],
        "budget_failures": ["GET /forum/[id]: p95 changed by +50.0% [/]"], "passed": False})
    text = printed(comparison_view.renderables(comparison))
    for name in MARKUP:
        assert f"GET {name}" in text, name
    assert "GET /pricing" in text and "GET GET" not in text
    assert "baseline:[bold]main" in text
    assert "budget failed: GET /forum/[id]: p95 changed by +50.0% [/]" in text
    markdown = comparison_view.comparison_markdown(comparison)
    assert "`GET /pricing`" in markdown and "GET GET" not in markdown


def test_thresholds_and_findings_print_verbatim() -> None:
    thresholds = [ThresholdOutcome(expr="p95 < 300ms", endpoint=f"GET {name}", observed=1.0,
                                   observed_text="1 ms [ok]", passed=False)
                  for name in MARKUP]
    text = printed(thresholds_view.renderables(thresholds))
    assert all(f"GET {name}" in text for name in MARKUP) and "1 ms [ok]" in text
    findings = [Finding(code="csrf-missing", severity="error", endpoint=f"POST {name}",
                        message=f"400 on {name}: [/]", fix=f"read [bold]{name}")
                for name in MARKUP]
    text = printed(findings_view.renderables(findings))
    for name in MARKUP:
        assert f"POST {name}" in text and f"400 on {name}: [/]" in text
        assert f"fix: read [bold]{name}" in text


def test_the_cli_prints_baseline_names_and_database_paths_verbatim(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "[red]runs[/red].db"
    with Store.open(f"sqlite:///{db}") as store:
        run_id = make_run(store, seconds=3, shape=False)
    assert main(["baseline", "set", "[bold]main", str(run_id), "--db", str(db)]) == 0
    assert main(["baseline", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"baseline [bold]main -> run {run_id}" in out
    assert "[bold]main" in out.split("Baseline", 1)[1]  # the table
    empty = tmp_path / "[x]" / "empty.db"
    empty.parent.mkdir()
    assert main(["runs", "--db", str(empty)]) == 0
    assert "[x]" in capsys.readouterr().out


# -- the method once -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "name", "label"), [
    ("GET", "/pricing", "GET /pricing"),
    ("GET", "GET /pricing", "GET /pricing"),
    ("POST", "POST /login", "POST /login"),
    ("POST", "GET /pricing", "POST GET /pricing"),  # another method's prefix is the name's
    ("GET", "GETTER", "GET GETTER"),
    ("", "Aggregated", "Aggregated"),
])
def test_the_label_names_the_method_once(method: str, name: str, label: str) -> None:
    assert endpoint_label(method, name) == label


def guide_report() -> RunReport:
    """The guide names its requests with their method, as Locust's request_type."""
    endpoints = (row("GET", "GET /pricing", 300, 3, errors=(("HTTP 503", 3),)),
                 row("POST", "POST /login", 50, 1, errors=(("HTTP 401", 1),)),
                 row("GET", "/plain", 10))
    return dataclasses.replace(REPORT, endpoints=endpoints, thresholds=(), findings=())


def test_the_terminal_prints_the_method_once() -> None:
    text = printed(summary(guide_report(), WIDE))
    assert "GET /pricing" in text and "POST /login" in text and "GET /plain" in text
    assert "GET GET" not in text and "POST POST" not in text


def test_markdown_and_junit_name_the_method_once() -> None:
    markdown = markdown_summary(guide_report())
    assert "| GET /pricing |" in markdown and "| POST /login |" in markdown
    assert "GET GET" not in markdown and "POST POST" not in markdown
    junit = junit_xml(guide_report())
    cases = [case.get("name") for case in ET.fromstring(junit).iter("testcase")
             if case.get("classname") == "swarmdeck.endpoints"]
    assert cases == ["GET /pricing", "POST /login"]
    assert "3 of 300 requests to GET /pricing failed" in junit
    assert "GET GET" not in junit and "POST POST" not in junit


def test_the_run_document_labels_each_endpoint_and_keeps_its_key(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
        store.add_intervals(run_id, [
            make_interval(T0 + s, "GET /pricing", [1000, 2000], failures=1,
                          errors={"HTTP 503": 1}) for s in range(3)]
            + [make_interval(T0 + s, "/plain", [1000], method="POST") for s in range(3)])
        store.finish_run(run_id, RunStatus.PASSED, datetime.fromtimestamp(T0 + 3, UTC))
        doc = run_document(store, run_id)
    rows = {r["key"]: r for r in doc["endpoints"]}
    assert rows["GET GET /pricing"]["label"] == "GET /pricing"  # key: data; label: shown
    assert rows["POST /plain"]["label"] == "POST /plain"
    assert doc["totals"]["label"] == "Aggregated"
    assert "GET GET /pricing" in doc["endpoint_timelines"]["series"]
    assert "GET GET /pricing" in doc["distributions"]
    hit = doc["failures"]["reasons"][0]["endpoints"]
    assert hit == [{"key": "GET GET /pricing", "label": "GET /pricing", "count": 3}]


def test_a_path_names_the_template_it_folds_into() -> None:
    """A threshold written on one id's URL (``GET /items/42``) judges the template its ids
    were grouped into; other paths and methods do not."""
    assert names_endpoint("GET /items/42", "GET", "/items/{id}")
    assert names_endpoint("/items/42", "GET", "/items/{id}")
    assert names_endpoint("/o/7/lines/3.json", "GET", "/o/{id}/lines/{id}.json")
    assert not names_endpoint("GET /items/42/reviews", "GET", "/items/{id}")
    assert not names_endpoint("POST /items/42", "GET", "/items/{id}")
    assert not names_endpoint("GET /items/", "GET", "/items/{id}")
    assert not names_endpoint("GET /itemsX42", "GET", "/items/{id}")
