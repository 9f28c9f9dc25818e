"""The command line's grammar: every command, its arguments, and its flags (argparse).

Every flag of every command comes from the one registry of settings
(``swarmdeck.plan.add_arguments``), so flags, environment variables and docs/settings.md
cannot drift apart; the positional arguments (a run, a baseline's name) are here.
``swarmdeck.cli`` parses with it and dispatches.
"""

from __future__ import annotations

import argparse

from swarmdeck import __version__


def build_parser() -> argparse.ArgumentParser:
    from swarmdeck.plan import add_arguments

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
    add_arguments(run, "run")

    capacity = sub.add_parser(
        "capacity", help="find the highest arrival rate that keeps an SLO",
        description="Search the arrival rate (open model) for the highest one that keeps the "
                    "SLO: doubling while it holds, then halving the interval between the "
                    "last passing and the first failing rate, then holding the rate found "
                    "to confirm it. Every step is a stage of one stored run. Exit 0: found; "
                    "1: the SLO fails even at the lowest rate (or at the rate found, held "
                    "again); 3: the generator could not start the rate (docs/capacity.md). "
                    "Arguments after `--` go to Locust.")
    add_arguments(capacity, "capacity")

    worker = sub.add_parser(
        "worker", help="generate load for a master on another machine",
        description="Join a `swarmdeck run --expect-workers N` master as one of its workers "
                    "(Locust's master/worker protocol). Arguments after `--` go to Locust.")
    add_arguments(worker, "worker")

    runs = sub.add_parser("runs", help="list stored runs")
    add_arguments(runs, "runs")

    show = sub.add_parser("show", help="print a stored run's summary again")
    show.add_argument("run_id", type=int, metavar="RUN", help="run id (see `swarmdeck runs`)")
    add_arguments(show, "show")

    compare = sub.add_parser(
        "compare", help="compare two stored runs: what got slower or faster, and is it real",
        description="Compare two stored runs endpoint by endpoint: requests/s, p50/p95/p99 "
                    "and error rate, the change with a bootstrap confidence interval, and a "
                    "verdict per endpoint (see docs/compare.md).")
    compare.add_argument("base", metavar="BASE", help="run id, `last` or `baseline:NAME`")
    compare.add_argument("candidate", metavar="CANDIDATE",
                         help="run id, `last` or `baseline:NAME`")
    add_arguments(compare, "compare")

    baseline = sub.add_parser("baseline", help="name runs to compare against (set, list, rm)")
    baseline_sub = baseline.add_subparsers(dest="baseline_command", metavar="ACTION",
                                           required=True)
    b_set = baseline_sub.add_parser("set", help="point a baseline name at a run")
    b_set.add_argument("name", metavar="NAME")
    b_set.add_argument("run", metavar="RUN", help="run id or `last`")
    b_list = baseline_sub.add_parser("list", help="list the baselines")
    b_rm = baseline_sub.add_parser("rm", help="forget a baseline (its run stays)")
    b_rm.add_argument("name", metavar="NAME")
    for action, action_parser in (("set", b_set), ("list", b_list), ("rm", b_rm)):
        add_arguments(action_parser, f"baseline {action}")

    report = sub.add_parser(
        "report", help="write a stored run's self-contained HTML report",
        description="Write one HTML file (charts, tables, thresholds, findings; no network "
                    "needed to open it) of a stored run, optionally overlaid with another run "
                    "and their comparison. RUN is a run id, `last` or `baseline:NAME`.")
    report.add_argument("run", metavar="RUN", help="run id, last, or baseline:NAME")
    add_arguments(report, "report")

    imp = sub.add_parser(
        "import", help="load a run's journal into the results database (after an outage)",
        description="Write what a run kept in its journal, because the results database did "
                    "not answer at its end, to the database, and finish the run's record. "
                    "Idempotent: what the database already has is skipped, so importing "
                    "twice changes nothing. The journal is deleted once the database has "
                    "all of it (docs/reliability.md).")
    imp.add_argument("journal", metavar="JOURNAL",
                     help="the journal's path, as printed when the run ended")
    add_arguments(imp, "import")

    user = sub.add_parser(
        "user", help="manage the platform's users (add, rm, passwd, list)",
        description="Manage who may log in to `swarmdeck serve` (docs/platform.md). The "
                    "first admin is created here: `swarmdeck user add NAME --role admin`.")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    u_add = user_sub.add_parser("add", help="add a user (asks for the password)")
    u_add.add_argument("name", metavar="NAME")
    u_rm = user_sub.add_parser("rm", help="remove a user and their API tokens")
    u_rm.add_argument("name", metavar="NAME")
    u_passwd = user_sub.add_parser("passwd", help="set a user's password (ends their "
                                                  "sessions)")
    u_passwd.add_argument("name", metavar="NAME")
    u_list = user_sub.add_parser("list", help="list the users and their roles")
    for action, action_parser in (("add", u_add), ("rm", u_rm), ("passwd", u_passwd),
                                  ("list", u_list)):
        add_arguments(action_parser, f"user {action}")

    node = sub.add_parser(
        "node", help="register this machine with a platform as a generator in a region",
        description="Register this machine with a `swarmdeck serve` platform and wait: a "
                    "run that asks for nodes in this region gets a `swarmdeck worker` "
                    "started here (docs/platform.md).")
    add_arguments(node, "node")

    serve = sub.add_parser(
        "serve", help="serve the dashboard and platform over the stored runs",
        description="Serve the dashboard (runs, live runs, compare, trends, JSON API) and the "
                    "platform (users, saved tests, runs started from the browser) under "
                    "Gunicorn. Binding beyond 127.0.0.1 needs SWARMDECK_DASHBOARD_TOKEN, or "
                    "SWARMDECK_DASHBOARD_USER and SWARMDECK_DASHBOARD_PASSWORD "
                    "(docs/dashboard.md).")
    add_arguments(serve, "serve")

    agent = sub.add_parser(
        "agent", help="report this host's CPU, memory, disk, network (and monitors) to runs",
        description="Run on the target's host: sample the host and the monitors given "
                    "with --monitor once a second, for a run's `--monitor agent://HOST:PORT` "
                    "(docs/monitors.md). Beyond 127.0.0.1 it needs SWARMDECK_TOKEN.")
    add_arguments(agent, "agent")
    return parser


def split_locust_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(swarmdeck's own arguments, those after ``--`` that go to Locust)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []
