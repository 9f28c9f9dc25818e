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

from rich.console import Console

from swarmdeck import __version__
from swarmdeck.errors import ExitCode, SwarmdeckError

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
    # -- report and serve (issue 6) --
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


def _write_outputs(plan: object, store: object, report: object) -> None:
    """The files a run writes besides the JSON: --junit, --markdown, --html."""
    # -- outputs (issue 5: junit, markdown; issue 6: html) --



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
