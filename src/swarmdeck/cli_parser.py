"""The command line's grammar: every command, its options and their help (argparse).

The plan's own options (``swarmdeck run``) come from ``swarmdeck.plan.add_arguments``,
the one registry of settings; the rest is here. ``swarmdeck.cli`` parses with it and
dispatches.
"""

from __future__ import annotations

import argparse
import os

from swarmdeck import __version__


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


def split_locust_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(swarmdeck's own arguments, those after ``--`` that go to Locust)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []
