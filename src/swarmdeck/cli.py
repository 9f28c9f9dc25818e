"""The swarmdeck command line: parse arguments, call the core, map errors to exit codes.

Nothing here measures, stores or renders by itself. Locust (and with it gevent's
monkey-patching) is imported only by the commands that generate load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from swarmdeck import __version__
from swarmdeck.errors import ExitCode, SwarmdeckError

if TYPE_CHECKING:
    from swarmdeck.plan import Plan
    from swarmdeck.report.model import RunReport
    from swarmdeck.store import Store

STATUS_EXIT = {"passed": ExitCode.OK, "failed": ExitCode.THRESHOLD_FAILED,
               "aborted": ExitCode.INTERRUPTED, "crashed": ExitCode.COULD_NOT_RUN,
               "degraded": ExitCode.DEGRADED}


def build_parser() -> argparse.ArgumentParser:
    from swarmdeck import plan

    parser = argparse.ArgumentParser(
        prog="swarmdeck",
        description="Self-hosted load testing for web applications, built on Locust.",
    )
    parser.add_argument("--version", action="version", version=f"swarmdeck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run a locustfile against a host and store the results",
        description="Run a locustfile against a host, measure every request exactly and "
                    "store the run. Arguments after `--` go to Locust itself (e.g. "
                    "`-- --tags checkout` or a locustfile's custom arguments).")
    plan.add_arguments(run)

    worker = sub.add_parser(
        "worker", help="generate load for a master on another machine",
        description="Join a `swarmdeck run --expect-workers N` master as one of its workers "
                    "(Locust's master/worker protocol). Arguments after `--` go to Locust.")
    worker.add_argument("--master", required=True, metavar="HOST:PORT",
                        help="the master's --master-bind address")
    worker.add_argument("-f", "--locustfile", default="-", metavar="PATH",
                        help="the same locustfile as the master's; - (default) receives it "
                             "from the master (a single file only)")
    worker.add_argument("--region", default=os.environ.get("SWARMDECK_REGION", "local"),
                        help="region label of this worker's load [env SWARMDECK_REGION; "
                             "default local]")
    worker.add_argument("--token", default=os.environ.get("SWARMDECK_TOKEN") or None,
                        help="the master's shared secret [env SWARMDECK_TOKEN]")
    worker.add_argument("--debug", action="store_true", help="verbose logging, tracebacks")

    runs = sub.add_parser("runs", help="list stored runs")
    runs.add_argument("--db", help="results database URL (default: SWARMDECK_DB or "
                                   "sqlite:///.swarmdeck/swarmdeck.db)")
    runs.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    runs.add_argument("--json", action="store_true", help="print JSON")

    show = sub.add_parser("show", help="print a stored run's summary again")
    show.add_argument("run_id", type=int, metavar="RUN", help="run id (see `swarmdeck runs`)")
    show.add_argument("--db", help="results database URL")
    show.add_argument("--json", action="store_true", help="print the JSON summary")
    show.add_argument("--by-region", action="store_true",
                      help="also break every endpoint down by region")
    # -- compare and baseline (issue 5) --
    compare = sub.add_parser(
        "compare", help="compare two stored runs: what got slower or faster, and is it real",
        description="Compare two stored runs endpoint by endpoint: requests/s, p50/p95/p99 "
                    "and error rate, the change with a bootstrap confidence interval, and a "
                    "verdict per endpoint (see docs/compare.md).")
    compare.add_argument("base", metavar="BASE", help="run id, `last` or `baseline:NAME`")
    compare.add_argument("candidate", metavar="CANDIDATE",
                         help="run id, `last` or `baseline:NAME`")
    compare.add_argument("--db", help="results database URL")
    compare.add_argument("--metric", default="p95", choices=("p50", "p95", "p99", "rps"),
                         help="the metric the verdicts are on (default p95)")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    compare.add_argument("--markdown", metavar="PATH",
                         help="also write the comparison as Markdown to this file")
    compare.add_argument("--max-regression", action="append", default=[], metavar="BUDGET",
                         help="exit 1 when a significant change is worse than this: "
                              "p95=+10%%, rps=-5%%, error_rate=+1pp (repeatable)")
    baseline = sub.add_parser("baseline", help="name runs to compare against (set, list, rm)")
    baseline_sub = baseline.add_subparsers(dest="baseline_command", metavar="ACTION",
                                           required=True)
    b_set = baseline_sub.add_parser("set", help="point a baseline name at a run")
    b_set.add_argument("name", metavar="NAME")
    b_set.add_argument("run", metavar="RUN", help="run id or `last`")
    b_list = baseline_sub.add_parser("list", help="list the baselines")
    b_list.add_argument("--json", action="store_true", help="print JSON")
    b_rm = baseline_sub.add_parser("rm", help="forget a baseline (its run stays)")
    b_rm.add_argument("name", metavar="NAME")
    for action in (b_set, b_list, b_rm):
        action.add_argument("--db", help="results database URL")
    # -- report and serve (issue 6) --
    report = sub.add_parser(
        "report", help="write a stored run's self-contained HTML report",
        description="Write one HTML file (charts, tables, thresholds, findings; no network "
                    "needed to open it) of a stored run, optionally overlaid with another run "
                    "and their comparison. RUN is a run id, `last` or `baseline:NAME`.")
    report.add_argument("run", metavar="RUN", help="run id, last, or baseline:NAME")
    report.add_argument("-o", "--output", default=None, metavar="PATH",
                        help="file to write (default report-RUN.html, or "
                             "compare-BASE-RUN.html with --compare-to)")
    report.add_argument("--compare-to", default=None, metavar="RUN",
                        help="a base run to overlay and compare with (id, last, baseline:NAME)")
    report.add_argument("--db", help="results database URL")
    serve = sub.add_parser(
        "serve", help="serve the read-only dashboard over the stored runs",
        description="Serve the dashboard (runs, live runs, compare, trends, JSON API) under "
                    "Gunicorn. Binding beyond 127.0.0.1 needs SWARMDECK_DASHBOARD_TOKEN, or "
                    "SWARMDECK_DASHBOARD_USER and SWARMDECK_DASHBOARD_PASSWORD "
                    "(docs/dashboard.md).")
    serve.add_argument("--db", help="results database URL")
    serve.add_argument("--bind", default="127.0.0.1:8089", metavar="HOST:PORT",
                       help="address to listen on (default 127.0.0.1:8089)")
    return parser


def _db_url(arg: str | None) -> str:
    """The same default, SWARMDECK_DB and plan-file handling as `run` uses."""
    from swarmdeck import plan

    return plan.resolve({"db": arg}, os.environ, Path.cwd()).db_url


def cmd_run(args: argparse.Namespace, locust_args: list[str], console: Console) -> int:
    from swarmdeck import plan as plans
    from swarmdeck.store import Store

    plan = plans.resolve(vars(args), os.environ, Path.cwd())
    from swarmdeck.engine.distributed import MasterRun  # imports Locust: gevent from here on
    from swarmdeck.engine.run import LocalRun
    from swarmdeck.report.live import LiveView, QuietView
    from swarmdeck.report import format as fmt
    from swarmdeck.report.model import load_report
    from swarmdeck.report.terminal import print_summary

    from swarmdeck.verdict import judge

    with Store.open(plan.db_url) as store:
        view = QuietView(console) if plan.quiet else LiveView(console)
        kind = MasterRun if plan.distributed else LocalRun
        outcome = kind(plan, store, view, locust_args).execute()
        verdict = judge(store, outcome.run_id, plan)
        report = load_report(store, outcome.run_id)
        _write_outputs(plan, store, report)
        if plan.json_path == Path("-"):
            print(json.dumps(report.to_json(), indent=2))
        elif plan.json_path:
            plan.json_path.parent.mkdir(parents=True, exist_ok=True)
            plan.json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        if plan.json_path == Path("-"):
            pass
        elif not plan.quiet:
            print_summary(console, report)
            console.print(f"Stored as run {report.run_id} in {store.url}; "
                          f"`swarmdeck show {report.run_id}` prints it again.")
        else:
            console.print(f"run {report.run_id} {report.status}: "
                          f"{report.totals.requests:,} requests, "
                          f"{report.totals.failures:,} failures, "
                          f"p95 {fmt.ms(report.totals.p95_ms)} ms", highlight=False)
    if verdict.failed and verdict.status == "failed":
        return int(ExitCode.THRESHOLD_FAILED)
    if outcome.exit_code is not None:
        return outcome.exit_code
    return int(STATUS_EXIT.get(verdict.status, ExitCode.COULD_NOT_RUN))


def _write_outputs(plan: Plan, store: Store, report: RunReport) -> None:
    """The files a run writes besides the JSON: --junit, --markdown, --html."""
    # -- outputs (issue 5: junit, markdown; issue 6: html) --
    from swarmdeck.report.junit import junit_xml
    from swarmdeck.report.markdown import markdown_summary

    for path, render in ((plan.junit_path, junit_xml), (plan.markdown_path, markdown_summary)):
        if path is None:
            continue
        text = render(report.to_json())
        if path == Path("-"):
            sys.stdout.write(text)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if plan.html_path is not None:
        from swarmdeck.report.html import write_html

        base_id = ((report.comparison or {}).get("base") or {}).get("run_id")  # overlay it
        written = write_html(store, report.run_id, plan.html_path, compare_to=base_id)
        print(f"HTML report written to {written}", file=sys.stderr)  # stdout: --json -



def cmd_worker(args: argparse.Namespace) -> int:
    from swarmdeck.engine.worker import WorkerProcess, WorkerSettings

    WorkerProcess(WorkerSettings(master=args.master, locustfile=args.locustfile,
                                 region=args.region, token=args.token)).run()
    return int(ExitCode.OK)


def cmd_runs(args: argparse.Namespace, console: Console) -> int:
    from swarmdeck.report.terminal import run_list
    from swarmdeck.store import Store

    with Store.open(_db_url(args.db)) as store:
        rows = store.list_runs(limit=args.limit)
        if args.json:
            print(json.dumps([_row_json(row) for row in rows], indent=2))
        elif rows:
            console.print(run_list(rows))
        else:
            console.print(f"No runs in {store.url} yet; start one with `swarmdeck run`.")
    return 0


def _row_json(row: object) -> dict[str, object]:
    data = dataclasses.asdict(row)  # type: ignore[call-overload]
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    from swarmdeck.report.model import load_report
    from swarmdeck.report.terminal import print_summary
    from swarmdeck.store import Store

    with Store.open(_db_url(args.db)) as store:
        report = load_report(store, args.run_id)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_summary(console, report)
        if args.by_region:
            from swarmdeck.report.terminal import by_region

            if report.endpoint_regions:
                console.print(by_region(report))
            else:
                console.print("One region only: nothing to break down.")
    return 0


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from swarmdeck.analysis.budgets import parse_budget
    from swarmdeck.report.comparison_view import comparison_markdown, renderables
    from swarmdeck.store import Store
    from swarmdeck.verdict.comparison import compare_runs

    budgets = [parse_budget(text) for item in args.max_regression
               for text in item.split(",") if text.strip()]
    with Store.open(_db_url(args.db)) as store:
        base_id = store.resolve_ref(args.base)
        candidate_id = store.resolve_ref(args.candidate)
        result = compare_runs(store, base_id, candidate_id, metric=args.metric,
                              budgets=budgets, base_ref=args.base,
                              candidate_ref=args.candidate)
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(comparison_markdown(result))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for part in renderables(result):
            console.print(part)
    return int(ExitCode.OK if result["passed"] else ExitCode.THRESHOLD_FAILED)


def cmd_baseline(args: argparse.Namespace, console: Console) -> int:
    from swarmdeck.store import Store

    with Store.open(_db_url(args.db)) as store:
        if args.baseline_command == "set":
            run_id = store.resolve_ref(args.run)
            store.set_baseline(args.name, run_id)
            console.print(f"baseline {args.name} -> run {run_id}; compare with "
                          f"`swarmdeck compare baseline:{args.name} last`", highlight=False)
        elif args.baseline_command == "rm":
            store.delete_baseline(args.name)
            console.print(f"baseline {args.name} removed (its run is kept)", highlight=False)
        else:
            found = store.list_baselines()
            if args.json:
                print(json.dumps([{"name": b.name, "run_id": b.run_id,
                                   "set_at": b.set_at.isoformat()} for b in found], indent=2))
            elif not found:
                console.print("No baselines yet; set one with "
                              "`swarmdeck baseline set NAME RUN`.")
            else:
                from rich import box
                from rich.table import Table

                table = Table("Baseline", "Run", "Set at (UTC)", box=box.SIMPLE_HEAD,
                              show_edge=False, pad_edge=False)
                for b in found:
                    table.add_row(b.name, str(b.run_id), f"{b.set_at:%Y-%m-%d %H:%M:%S}")
                console.print(table)
    return int(ExitCode.OK)


def cmd_serve(args: argparse.Namespace) -> int:
    from swarmdeck.store import Store
    from swarmdeck.web.config import Auth, check_exposure, parse_bind
    from swarmdeck.web.serve import DashboardServer, check_port

    bind, auth = parse_bind(args.bind), Auth.from_env(os.environ)
    check_exposure(bind, auth)
    check_port(bind)
    url = _db_url(args.db)
    with Store.open(url) as store:
        shown = store.url
    server = DashboardServer(url, bind, auth, announce=lambda at: print(
        f"swarmdeck dashboard on {at} (runs in {shown}; Ctrl-C stops it)", flush=True))
    return server.serve()


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    from swarmdeck.report.html import write_html
    from swarmdeck.store import Store

    with Store.open(_db_url(args.db)) as store:
        run_id = store.resolve_ref(args.run)
        base_id = store.resolve_ref(args.compare_to) if args.compare_to else None
        default = (f"report-{run_id}.html" if base_id is None
                   else f"compare-{base_id}-{run_id}.html")
        path = write_html(store, run_id, Path(args.output or default), compare_to=base_id)
    console.print(f"HTML report of run {run_id}"
                  + (f" compared with run {base_id}" if base_id is not None else "")
                  + f" written to {path}", highlight=False, soft_wrap=True)
    return int(ExitCode.OK)


def _split_locust_args(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def main(argv: Sequence[str] | None = None) -> int:
    own, locust_args = _split_locust_args(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(own)
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(level=logging.INFO if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    console = Console()
    try:
        if args.command == "run":
            return cmd_run(args, locust_args, console)
        if args.command == "worker":
            return cmd_worker(args)
        if args.command == "runs":
            return cmd_runs(args, console)
        if args.command == "show":
            return cmd_show(args, console)
        # -- dispatch: compare, baseline (issue 5); report, serve (issue 6) --
        if args.command == "report":
            return cmd_report(args, console)
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "compare":
            return cmd_compare(args, console)
        if args.command == "baseline":
            return cmd_baseline(args, console)
        parser.print_help()
        return int(ExitCode.OK)
    except SwarmdeckError as exc:
        if debug:
            raise
        print(f"swarmdeck: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:  # before a run started: nothing was written
        print("swarmdeck: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # a bug of ours: still one line, the traceback with --debug
        if debug:
            raise
        print(f"swarmdeck: internal error: {exc.__class__.__name__}: {exc} "
              "(run again with --debug for the traceback, and please report it)",
              file=sys.stderr)
        return int(ExitCode.COULD_NOT_RUN)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
