"""The swarmdeck command line: parse arguments, resolve the command's settings, call the
core, map errors to exit codes.

Every command's settings come from the one registry (swarmdeck.plan): ``resolve_command``
reads only the settings of the command at hand. Nothing here measures, stores or renders by
itself. Locust (and with it gevent's monkey-patching) is imported only by the commands that
generate load.
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
from typing import TYPE_CHECKING, cast

from rich.console import Console

from swarmdeck.cli_parser import build_parser, split_locust_args
from swarmdeck.errors import ExitCode, SwarmdeckError

if TYPE_CHECKING:
    from swarmdeck.engine.run import RunOutcome
    from swarmdeck.plan import (
        AgentSettings,
        Command,
        NodeSettings,
        Plan,
        ServeSettings,
        StoreSettings,
        WorkerSettings,
    )
    from swarmdeck.plan.capacity import CapacitySettings
    from swarmdeck.report.model import RunReport
    from swarmdeck.store import Store


def cmd_run(plan: Plan, locust_args: list[str], console: Console) -> int:
    from swarmdeck.store import Store  # noqa: I001 - SQLAlchemy before gevent's patching

    from swarmdeck.engine.distributed import MasterRun  # imports Locust: gevent from here on
    from swarmdeck.engine.run import LocalRun
    from swarmdeck.report import format as fmt
    from swarmdeck.report.live import LiveView, QuietView
    from swarmdeck.report.model import load_report
    from swarmdeck.report.terminal import print_summary
    from swarmdeck.verdict import judge

    for warning in plan.warnings:  # Locust options that swarmdeck does not use
        print(f"swarmdeck: warning: {warning}", file=sys.stderr)
    with Store.open(plan.db_url) as store:  # not answering now: exit 3 before any load
        view = QuietView(console) if plan.quiet else LiveView(console)
        kind = MasterRun if plan.distributed else LocalRun
        outcome = kind(plan, store, view, locust_args).execute()
        if not outcome.stored:  # the store did not answer at the end: nothing to judge
            return _not_stored(outcome, console)
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
                          f"`swarmdeck show {report.run_id}` prints it again.",
                          markup=False, emoji=False)
        else:
            console.print(f"run {report.run_id} {report.status}: "
                          f"{report.totals.requests:,} requests, "
                          f"{report.totals.failures:,} failures, "
                          f"p95 {fmt.ms(report.totals.p95_ms)} ms"
                          + (" (from the due time)" if report.open else "")
                          + (f", {report.iterations.dropped:,} iterations dropped"
                             if report.iterations is not None else ""), highlight=False)
            if report.script_error_count:  # the summary's table says it without -q
                console.print(f"{report.script_error_count:,} script errors"
                              + (f"; tracebacks in {report.script_errors_log}"
                                 if report.script_errors_log else ""),
                              highlight=False, markup=False)
    return int(verdict.exit_code)


def _not_stored(outcome: RunOutcome, console: Console) -> int:
    """The run's end when the store does not have all of it: what was measured (from
    memory), and where the rest is. The exit code is records.decide's, as for any run."""
    from swarmdeck.records import decide

    decision = decide(outcome.ending)
    console.print(f"run {outcome.run_id} {decision.status}: {outcome.requests:,} requests, "
                  f"{outcome.failures:,} failures measured; {outcome.message}",
                  highlight=False, markup=False, emoji=False, soft_wrap=True)
    if outcome.journal is not None:
        print(f"swarmdeck: results kept in {outcome.journal}; run `swarmdeck import "
              f"{outcome.journal}` when the database is back", file=sys.stderr)
    return int(decision.exit_code)


def _write_outputs(plan: Plan, store: Store, report: RunReport) -> None:
    """The files a run writes besides the JSON: --junit, --markdown, --html."""
    from swarmdeck.report.junit import junit_xml
    from swarmdeck.report.markdown import markdown_summary

    for path, render in ((plan.junit_path, junit_xml), (plan.markdown_path, markdown_summary)):
        if path is None:
            continue
        text = render(report)
        if path == Path("-"):
            sys.stdout.write(text)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if plan.html_path is not None:
        from swarmdeck.report.html import write_html

        compared = report.comparison  # overlay the compared run's series
        base_id = compared.base.run_id if compared and compared.base else None
        written = write_html(store, report.run_id, plan.html_path, compare_to=base_id)
        print(f"HTML report written to {written}", file=sys.stderr)  # stdout: --json -



def cmd_capacity(settings: CapacitySettings, locust_args: list[str], console: Console) -> int:
    from swarmdeck.store import Store  # noqa: I001 - SQLAlchemy before gevent's patching

    from swarmdeck.engine.openmodel.capacity_master import capacity_run  # imports Locust
    from swarmdeck.records import Ending
    from swarmdeck.report.capacity_view import capacity_json, result_lines, steps_table
    from swarmdeck.report.live import LiveView, QuietView
    from swarmdeck.verdict import judge

    plan = settings.plan
    with Store.open(plan.db_url) as store:
        view = QuietView(console) if plan.quiet else LiveView(console)
        outcome = capacity_run(settings, store, view, locust_args).execute()
        verdict = judge(store, outcome.run_id, plan)  # the findings; the status
        details = store.get_run(outcome.run_id).details
        searched = details.open_model
        steps = searched.steps if searched is not None else ()
        result = searched.capacity if searched is not None else None
        summary = capacity_json(outcome.run_id, settings.slo, steps, result)
        if plan.html_path is not None:
            from swarmdeck.report.html import write_html

            written = write_html(store, outcome.run_id, plan.html_path)
            print(f"HTML report written to {written}", file=sys.stderr)
        if plan.json_path == Path("-"):
            print(json.dumps(summary, indent=2))
        else:
            if plan.json_path:
                plan.json_path.parent.mkdir(parents=True, exist_ok=True)
                plan.json_path.write_text(json.dumps(summary, indent=2) + "\n")
            console.print(steps_table(steps))
            if result is not None:
                for line in result_lines(result):
                    console.print(line)
            console.print(f"Stored as run {outcome.run_id} in {store.url}; `swarmdeck show "
                          f"{outcome.run_id}` prints it, a stage per rate.", markup=False,
                          emoji=False, highlight=False)
    if outcome.ending != Ending.COMPLETED or result is None:
        return int(verdict.exit_code) or int(ExitCode.COULD_NOT_RUN)
    return result.exit_code


def cmd_worker(settings: WorkerSettings) -> int:
    from swarmdeck.engine.worker import WorkerProcess

    WorkerProcess(settings).run()
    return int(ExitCode.OK)


def cmd_runs(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck.report.terminal import run_list
    from swarmdeck.store import Store

    with Store.open(settings.db_url) as store:
        rows = store.list_runs(limit=args.limit)
        if args.json:
            print(json.dumps([_row_json(row) for row in rows], indent=2))
        elif rows:
            console.print(run_list(rows))
        else:
            console.print(f"No runs in {store.url} yet; start one with `swarmdeck run`.",
                          markup=False, emoji=False)
    return 0


def _row_json(row: object) -> dict[str, object]:
    data = dataclasses.asdict(row)  # type: ignore[call-overload]
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def cmd_show(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck.report.model import load_report
    from swarmdeck.report.terminal import print_summary
    from swarmdeck.store import Store

    with Store.open(settings.db_url) as store:
        report = load_report(store, args.run_id)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_summary(console, report)
        if args.by_region:
            from swarmdeck.report.terminal import by_region

            if report.endpoint_regions:
                console.print(by_region(report, console.width))
            else:
                console.print("One region only: nothing to break down.")
    return 0


def cmd_compare(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck.analysis.budgets import parse_budget
    from swarmdeck.records.codec import comparison_to_json
    from swarmdeck.report.comparison_view import comparison_markdown, renderables
    from swarmdeck.store import Store
    from swarmdeck.verdict.comparison import compare_runs

    budgets = [parse_budget(text) for item in args.max_regression or ()
               for text in item.split(",") if text.strip()]
    with Store.open(settings.db_url) as store:
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
        print(json.dumps(comparison_to_json(result), indent=2))
    else:
        for part in renderables(result):
            console.print(part)
    return int(ExitCode.OK if result.passed else ExitCode.THRESHOLD_FAILED)


def cmd_baseline(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck.store import Store

    with Store.open(settings.db_url) as store:
        if args.baseline_command == "set":
            run_id = store.resolve_ref(args.run)
            store.set_baseline(args.name, run_id)
            console.print(f"baseline {args.name} -> run {run_id}; compare with "
                          f"`swarmdeck compare baseline:{args.name} last`", highlight=False,
                          markup=False, emoji=False)
        elif args.baseline_command == "rm":
            store.delete_baseline(args.name)
            console.print(f"baseline {args.name} removed (its run is kept)", highlight=False,
                          markup=False, emoji=False)
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
                from rich.text import Text

                table = Table("Baseline", "Run", "Set at (UTC)", box=box.SIMPLE_HEAD,
                              show_edge=False, pad_edge=False)
                for b in found:
                    table.add_row(Text(b.name), str(b.run_id), f"{b.set_at:%Y-%m-%d %H:%M:%S}")
                console.print(table)
    return int(ExitCode.OK)


def cmd_node(settings: NodeSettings) -> int:
    from swarmdeck.launch.node import NodeClient

    client = NodeClient(settings.server, settings.token, settings.region, settings.name)
    return client.run(announce=lambda text: print(text, flush=True))


def cmd_serve(settings: ServeSettings) -> int:
    from swarmdeck.store import Store
    from swarmdeck.store.platform import Accounts
    from swarmdeck.web.config import Auth, check_exposure
    from swarmdeck.web.serve import DashboardServer, check_port

    auth = Auth.from_env(os.environ)
    with Store.open(settings.db_url) as store:
        shown = store.url
        users = Accounts(store).count_users()
    check_exposure(settings.bind, auth, users)
    check_port(settings.bind)
    config = {"LOCUSTFILE_DIR": str(settings.locustfile_dir) if settings.locustfile_dir
              else None, "MAX_RUNS": settings.max_runs,
              "MAX_RUNS_PER_USER": settings.max_runs_per_user,
              "MAX_USERS": settings.max_users, "MAX_RUN_TIME_S": settings.max_run_time_s}
    server = DashboardServer(settings.db_url, settings.bind, auth, config=config,
                             announce=lambda at: print(
        f"swarmdeck dashboard on {at} (runs in {shown}; Ctrl-C stops it)", flush=True))
    return server.serve()


def cmd_report(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck.report.html import write_html
    from swarmdeck.store import Store

    with Store.open(settings.db_url) as store:
        run_id = store.resolve_ref(args.run)
        base_id = store.resolve_ref(args.compare_to) if args.compare_to else None
        default = (f"report-{run_id}.html" if base_id is None
                   else f"compare-{base_id}-{run_id}.html")
        path = write_html(store, run_id, Path(args.output or default), compare_to=base_id)
    console.print(f"HTML report of run {run_id}"
                  + (f" compared with run {base_id}" if base_id is not None else "")
                  + f" written to {path}", highlight=False, soft_wrap=True, markup=False,
                  emoji=False)
    return int(ExitCode.OK)


def cmd_agent(settings: AgentSettings) -> int:
    import signal
    import threading

    from swarmdeck.errors import PlanError
    from swarmdeck.monitors.agent_server import Agent, make_server

    host, port = settings.bind.host, settings.bind.port
    if not settings.token and host not in ("127.0.0.1", "::1", "localhost"):
        raise PlanError(f"swarmdeck agent would listen on {settings.bind} without a token",
                        "set SWARMDECK_TOKEN (runs then give it too), or bind 127.0.0.1")
    agent = Agent(settings.monitors, settings.token)
    try:
        server = make_server(agent, host, port)
    except OSError as exc:
        raise PlanError(f"swarmdeck agent cannot listen on {settings.bind}: "
                        f"{exc.strerror or exc}", "choose another --bind") from None
    for warning in agent.start():
        print(f"swarmdeck: warning: {warning}", file=sys.stderr)
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    print(f"swarmdeck agent on {bound_host}:{bound_port} (read it with --monitor agent://HOST:"
          f"{bound_port}{'; token required' if settings.token else ''}; Ctrl-C stops it)",
          flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        agent.stop()
    return int(ExitCode.OK)


def cmd_import(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck import journal
    from swarmdeck.store import Store

    path = Path(args.journal)
    with journal.opened(path) as contents:
        for problem in contents.problems:
            print(f"swarmdeck: warning: {path}: {problem.describe()}", file=sys.stderr)
        with Store.open(settings.db_url) as store:  # still away: exit 3, journal kept
            imported = journal.replay(store, contents)
            shown = store.url
        if imported.whole:
            path.unlink(missing_ok=True)
    console.print(
        f"run {imported.run_id} in {shown}: {imported.batches:,} batches written "
        f"({imported.requests:,} requests), {imported.skipped:,} already there"
        + ("; the run's end recorded" if imported.finished else "")
        + f"; status {imported.status}. "
        + (f"{path} deleted." if imported.whole else
           f"{path} kept: {imported.damaged} of its records could not be read."),
        highlight=False, markup=False, emoji=False, soft_wrap=True)
    return int(ExitCode.OK)


def _read_password(args: argparse.Namespace) -> str:
    """From stdin's first line (--password-stdin), or asked twice on the terminal."""
    from swarmdeck.errors import BadInput

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadInput("no terminal to ask the password on",
                       "pipe it in with --password-stdin")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise BadInput("the two passwords differ", "type the same password twice")
    return first


def cmd_user(args: argparse.Namespace, settings: StoreSettings, console: Console) -> int:
    from swarmdeck.errors import ItemNotFound
    from swarmdeck.store import Store
    from swarmdeck.store.platform import Accounts

    actor = f"cli:{os.environ.get('USER') or 'unknown'}"
    with Store.open(settings.db_url) as store:
        accounts = Accounts(store)
        action = args.user_command
        if action == "list":
            for account in accounts.users():
                print(f"{account.name}\t{account.role}")
            return int(ExitCode.OK)
        if action == "add":
            account = accounts.add_user(args.name, _read_password(args), args.role,
                                        actor=actor)
            print(f"user {account.name} added ({account.role}); they log in on "
                  "`swarmdeck serve`'s page")
            return int(ExitCode.OK)
        found = accounts.find_user(args.name)
        if found is None:
            raise ItemNotFound(f"no user {args.name!r} in {store.url}",
                               "see `swarmdeck user list`")
        if action == "rm":
            accounts.remove_user(found.id, actor=actor)
            print(f"user {found.name} removed, with their API tokens")
        else:
            accounts.change_user(found.id, password=_read_password(args), actor=actor)
            print(f"password of {found.name} changed; their sessions have ended")
    return int(ExitCode.OK)


STORE_COMMANDS = {"runs": cmd_runs, "show": cmd_show, "compare": cmd_compare,
                  "report": cmd_report, "baseline": cmd_baseline, "import": cmd_import,
                  "user": cmd_user}


def main(argv: Sequence[str] | None = None) -> int:
    own, locust_args = split_locust_args(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(own)
    debug = bool(getattr(args, "debug", False))  # the flag, until the settings are read
    console = Console()
    try:
        if args.command is None:
            parser.print_help()
            return int(ExitCode.OK)
        from swarmdeck.plan import (
            AgentSettings,
            NodeSettings,
            Plan,
            ServeSettings,
            WorkerSettings,
            resolve_command,
        )
        from swarmdeck.plan.capacity import CapacitySettings

        settings = resolve_command(cast("Command", args.command), vars(args), os.environ,
                                   Path.cwd(), locust_args)
        debug = settings.debug
        logging.basicConfig(level=logging.INFO if debug else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        if isinstance(settings, Plan):
            return cmd_run(settings, locust_args, console)
        if isinstance(settings, CapacitySettings):
            return cmd_capacity(settings, locust_args, console)
        if isinstance(settings, WorkerSettings):
            return cmd_worker(settings)
        if isinstance(settings, ServeSettings):
            return cmd_serve(settings)
        if isinstance(settings, AgentSettings):
            return cmd_agent(settings)
        if isinstance(settings, NodeSettings):
            return cmd_node(settings)
        return STORE_COMMANDS[args.command](args, settings, console)
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
