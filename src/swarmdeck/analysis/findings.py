"""Findings: is this test even valid? Pure heuristics over plain data (the evidence the
load generators captured, ``records.evidence``; per-endpoint summaries, the timeline, the
stored warnings). Each returns ``records.verdict.Finding``s; ``records.codec`` renders them.

Every threshold is a module constant, and docs/findings.md explains each one. Findings come
out errors first, then warnings, then info.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from swarmdeck.analysis.knee import Step, find_knee
from swarmdeck.analysis.outages import SecondSeries
from swarmdeck.analysis.script_errors import script_error
from swarmdeck.analysis.server_split import ServerStep
from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.labels import endpoint_label as label  # the one rule for endpoint labels
from swarmdeck.metrics.interval import OTHER_NAME as FOLDED
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.records.details import NameGroup, ScriptError
from swarmdeck.records.evidence import EndpointEvidence, EvidenceRecord
from swarmdeck.records.monitors import MonitorSeries, TopQuery
from swarmdeck.records.openmodel import OpenModelRecord
from swarmdeck.records.verdict import Finding

SEVERITIES = ("error", "warning", "info")

# csrf-missing: 400s whose body names the CSRF token, on one endpoint
CSRF_MIN_COUNT = 3  # at least this many...
CSRF_MIN_SHARE = 0.5  # ...or (with fewer) at least this share of the endpoint's responses
# auth-failing: 401 + 403 + redirects to a login page, on one endpoint
AUTH_MIN_SHARE = 0.2
AUTH_MIN_COUNT = 5
# name-explosion: distinct names that are the same once ids are replaced (or that the
# generators grouped into one template: records.NameGroup)
NAME_GROUP_MIN = 10
_TEMPLATE_QUERY = re.compile(r"([^?&=]+)=\{\}")
# no-wait-time: every sampled wait_time below this many seconds
NO_WAIT_S = 0.01
# generator-saturated: samples (one per 5 s) at least this % busy (on a CPU or waiting
# for one; 100 = one core)...
GEN_CPU_PCT = 90.0
GEN_WARN_SHARE = 0.2  # ...in this share of a process's samples: warning
GEN_ERROR_SHARE = 0.5  # ...in this share, and at least GEN_ERROR_MIN samples: error
GEN_ERROR_MIN = 2

WERKZEUG = re.compile(r"^\s*werkzeug\b", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"(?<![0-9A-Za-z])(?=[0-9A-Za-z]*\d)[0-9a-fA-F]{8,}(?![0-9A-Za-z])")
_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?=[A-Za-z_-]*\d)(?=[0-9A-Za-z_-]*[A-Za-z])"
                    r"[0-9A-Za-z_-]{16,}(?![0-9A-Za-z])")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class FindingInputs:
    # what the load generators captured (engine/evidence.py); empty when the run has none
    evidence: EvidenceRecord = field(default_factory=EvidenceRecord)
    endpoints: Sequence[EndpointSummary] = ()
    steps: Sequence[Step] = ()
    duration_s: float = 0.0
    warnings: Sequence[str] = ()
    script_errors: Sequence[ScriptError] = ()  # grouped exceptions in the script's tasks
    # per second, all endpoints: for outage and failing-endpoint (analysis/outages.py)
    series: SecondSeries = field(default_factory=SecondSeries)
    name_groups: Sequence[NameGroup] = ()  # names the generators grouped into templates
    # the target side's series (swarmdeck.monitors), points in seconds since the start
    # (``series.started_at``): analysis/monitor_findings.py
    monitors: Sequence[MonitorSeries] = ()
    # an open-model run: its iterations per second, the p50 from the send per second (epoch
    # start), its pool, its totals
    open_model: bool = False
    iterations: Sequence[IterationInterval] = ()
    service_p50: Mapping[int, float] = field(default_factory=dict)
    pool: OpenModelRecord | None = None
    totals: EndpointSummary | None = None
    # all endpoints' Server-Timing per step (when the target sent it): the queueing finding
    server_steps: Sequence[ServerStep] = ()
    # what pg_stat_statements counted during the run (a postgresql monitor): slow-query
    # names its statement there
    top_queries: Sequence[TopQuery] = ()


def find(inputs: FindingInputs) -> list[Finding]:
    # imported here: these import this module's FindingInputs
    from swarmdeck.analysis.monitor_findings import monitor_findings
    from swarmdeck.analysis.open_findings import cannot_keep_up
    from swarmdeck.analysis.server_findings import find_server
    from swarmdeck.analysis.target_findings import failing_endpoint, outage

    found: list[Finding] = []
    for heuristic in (dev_server, csrf_missing, auth_failing, name_explosion, no_wait_time,
                      generator_saturated, saturation, script_error,
                      failing_endpoint, outage, cannot_keep_up, find_server):
        found += heuristic(inputs)
    found += monitor_findings(inputs.monitors, inputs.steps, inputs.series.started_at)
    return sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.code,
                                        f.endpoint or ""))


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _label(entry: EndpointEvidence) -> str:
    return label(entry.method, entry.name)


@dataclass(frozen=True)
class DevServer:
    """A development server, known by the Server header it sends."""

    key: str
    header: re.Pattern[str]
    name: str
    why: str
    fix: str


# Only servers meant for development (production servers that announce themselves, such as
# TornadoServer, gunicorn, uvicorn, waitress, are not here); docs/findings.md lists them.
DEV_SERVERS = (
    DevServer("werkzeug", WERKZEUG, "Flask's development server (Werkzeug)",
              "single process and unoptimised",
              "run the app under a production WSGI server, as in production: "
              "gunicorn -w 4 -b 0.0.0.0:8000 'app:create_app()' (behind your usual proxy), "
              "with debug off; never load-test `flask run` or app.run(debug=True)"),
    # http.server's SimpleHTTPRequestHandler / BaseHTTPRequestHandler: "SimpleHTTP/0.6
    # Python/3.11.2"
    DevServer("http.server", re.compile(r"^\s*(?:SimpleHTTP|BaseHTTP)/\S+\s+Python/"),
              "Python's http.server (python -m http.server)",
              "a development server that its own documentation says is not for production",
              "serve static files with a production web server (nginx, a CDN) and the app "
              "under a production server (gunicorn for WSGI, uvicorn workers for ASGI); "
              "never load-test python -m http.server"),
    # wsgiref.simple_server, which Django's runserver (and Bottle's default) builds on:
    # "WSGIServer/0.2 CPython/3.11.7"
    DevServer("wsgiref", re.compile(r"^\s*WSGIServer/\S+\s+\w*Py\w*/"),
              "Django's development server (manage.py runserver) or wsgiref.simple_server",
              "a development server, unoptimised (Django's docs: do not use it in "
              "production)",
              "run the app under a production WSGI server, as in production: "
              "gunicorn -w 4 -b 0.0.0.0:8000 project.wsgi (with DEBUG = False, static files "
              "served by the web server); never load-test manage.py runserver"),
    # Ruby's WEBrick (the old `rails server` default): "WEBrick/1.8.1 (Ruby/3.2.2/...)"
    DevServer("webrick", re.compile(r"^\s*WEBrick/", re.IGNORECASE),
              "WEBrick, Ruby's development server", "single process and unoptimised",
              "run the app under Puma as in production (bundle exec puma -w 4 with "
              "RAILS_ENV=production); never load-test WEBrick"),
)


def _dev_server(servers: Sequence[str]) -> tuple[str, DevServer] | None:
    """The first Server header that names a development server, and which one."""
    for header in servers:
        for server in DEV_SERVERS:
            if server.header.match(header):
                return header, server
    return None


def dev_server(inputs: FindingInputs) -> list[Finding]:
    """A ``Server`` header of a development server (DEV_SERVERS: Werkzeug, Python's
    http.server, wsgiref's WSGIServer behind Django's runserver, WEBrick), or Werkzeug's
    debugger page in a 5xx body."""
    ev = inputs.evidence
    servers = list(ev.servers)
    matched = _dev_server(servers)
    pages = ev.debugger_pages
    if matched is None and not pages:
        return []
    header, server = matched if matched is not None else (None, DEV_SERVERS[0])
    what = []
    if header is not None:
        what.append(f"answered with Server: {header}")
    if pages:
        what.append(f"returned Werkzeug's interactive debugger page {pages} time"
                    f"{'s' * (pages != 1)} (on {ev.debugger_endpoint or '?'})")
    debugger = " (and with the debugger, able to run code for anyone)" if pages else ""
    return [Finding(
        "dev-server", "error", None,
        f"the target {' and '.join(what)}: this is {server.name}, {server.why}{debugger} — "
        "these results do not represent production",
        {"servers": servers, "dev_server": server.key, "debugger_pages": pages,
         "debugger_endpoint": ev.debugger_endpoint},
        server.fix)]


def csrf_missing(inputs: FindingInputs) -> list[Finding]:
    """Per endpoint: 400 responses whose body names the CSRF token."""
    found = []
    for entry in inputs.evidence.endpoints:
        count = entry.csrf_400
        total = entry.responses
        share = count / total if total else 0.0
        if count == 0 or (count < CSRF_MIN_COUNT and share < CSRF_MIN_SHARE):
            continue
        sample = entry.csrf_sample or ""
        found.append(Finding(
            "csrf-missing", "error", _label(entry),
            f"{count} of {total} responses ({_pct(share)}) were 400 naming the CSRF token"
            + (f" (\"{sample}\")" if sample else "")
            + ": the script does not send csrf_token, so these posts never did their work",
            {"csrf_400": count, "responses": total, "share": round(share, 4),
             "sample": sample or None},
            "GET the form page first, extract the token "
            "(<input name=\"csrf_token\" value=\"...\">) and send it with the form as "
            "csrf_token; for JSON/AJAX posts send it as the X-CSRFToken header. Flask-WTF "
            "refuses any form post without it"))
    return found


def auth_failing(inputs: FindingInputs) -> list[Finding]:
    """Per endpoint: 401 + 403 + redirects to a login page, as a share of its responses."""
    found = []
    for entry in inputs.evidence.endpoints:
        total = entry.responses
        unauthorized, forbidden = entry.count(401), entry.count(403)
        redirects = entry.login_redirects
        count = unauthorized + forbidden + redirects
        share = count / total if total else 0.0
        if count < AUTH_MIN_COUNT or share < AUTH_MIN_SHARE:
            continue
        parts = [f"{n} {what}" for n, what in ((unauthorized, "× 401"), (forbidden, "× 403"),
                                               (redirects, "redirects to a login page"))
                 if n]
        found.append(Finding(
            "auth-failing", "error", _label(entry),
            f"{count} of {total} responses ({_pct(share)}) were refused for authentication "
            f"({', '.join(parts)}): the script's login is not working, so this endpoint "
            "was measured as an error page"
            + (" (Locust counts a redirect to the login page as a success)"
               if redirects else ""),
            {"responses": total, "status_401": unauthorized, "status_403": forbidden,
             "login_redirects": redirects, "share": round(share, 4)},
            "check the login in on_start: open it with catch_response=True, fail when it does "
            "not succeed (e.g. response.url still ends in /login), and send what it returns "
            "(the session cookie, a CSRF token with the login form, or the JWT as "
            "Authorization: Bearer) with every request"))
    return found


def normalise_name(name: str) -> str:
    """A request name with its ids replaced: uuids, long hex, tokens, then digit runs."""
    name = _UUID.sub("{uuid}", name)
    name = _HEX.sub("{hex}", name)
    name = _TOKEN.sub("{token}", name)
    return _DIGITS.sub("{n}", name)


def name_explosion(inputs: FindingInputs) -> list[Finding]:
    """Templates the generators grouped NAME_GROUP_MIN+ names into; groups of
    NAME_GROUP_MIN+ names equal once ids are replaced (names left ungrouped); names folded
    into (other) by the recorder's cap."""
    per_endpoint: dict[tuple[str, str], int] = {}
    for e in inputs.endpoints:
        per_endpoint[(e.method, e.name)] = e.requests
    for entry in inputs.evidence.endpoints:
        per_endpoint.setdefault((entry.method, entry.name), entry.responses)
    found = []
    for g in inputs.name_groups:
        if g.names < NAME_GROUP_MIN:
            continue
        count = f"{g.names:,}" if g.exact else f"about {g.names:,}"
        # Locust's own convention for a grouped name: /items/[id], /search?q=[q]
        locust_name = _TEMPLATE_QUERY.sub(r"\1=[\1]", g.template).replace("{id}", "[id]")
        found.append(Finding(
            "name-explosion", "warning", label(g.method, g.template),
            f"{count} distinct request names differ only in ids or query values (e.g. "
            f"{', '.join(g.samples[:3])}): swarmdeck grouped them as {g.template}, one "
            "endpoint with all their requests; the template is a guess, and Locust (or "
            "--no-group-names) sees one endpoint per name",
            {"pattern": g.template, "names": g.names, "exact": g.exact,
             "examples": list(g.samples), "requests": per_endpoint.get((g.method, g.template), 0),
             "grouped": True},
            "group them with name= in the script: "
            f"self.client.get(f\"{(g.samples or (g.template,))[0]}\", name=\"{locust_name}\")"))
    groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (method, name), n in per_endpoint.items():
        if name == FOLDED:
            continue
        groups.setdefault((method, normalise_name(name)), []).append((name, n))
    for (method, pattern), names in sorted(groups.items()):
        if len(names) < NAME_GROUP_MIN:
            continue
        names.sort()
        found.append(Finding(
            "name-explosion", "warning", label(method, pattern),
            f"{len(names)} distinct request names differ only in ids (e.g. "
            f"{', '.join(n for n, _ in names[:3])}): each is its own row with too few "
            "requests for its percentiles to mean anything",
            {"pattern": pattern, "names": len(names), "examples": [n for n, _ in names[:5]],
             "requests": sum(n for _, n in names)},
            f"group them with name=: self.client.get(f\"{names[0][0]}\", "
            f"name=\"{pattern.replace('{n}', '[id]')}\")"))
    folded_rows = [e for e in inputs.endpoints if e.name == FOLDED]
    folded_names = inputs.evidence.names_folded
    if folded_rows or folded_names:
        found.append(Finding(
            "name-explosion", "warning", None,
            f"too many distinct request names: {sum(e.requests for e in folded_rows)} "
            f"requests were folded into {FOLDED!r} and cannot be told apart",
            {"folded_requests": sum(e.requests for e in folded_rows),
             "names_folded": folded_names,
             "warnings": [w for w in inputs.warnings if FOLDED in w]},
            "pass name= for URLs that carry ids or query strings, e.g. "
            "self.client.get(f\"/items/{item_id}\", name=\"/items/[id]\")"))
    return found


def no_wait_time(inputs: FindingInputs) -> list[Finding]:
    """User classes whose sampled wait_time is always below NO_WAIT_S seconds (not in an
    open-model run: there the schedule starts the tasks, not the wait)."""
    if inputs.open_model:
        return []
    classes = inputs.evidence.user_classes
    total_weight = sum(max(c.weight, 0) for c in classes.values() if not c.fixed_count)
    found = []
    for name, c in sorted(classes.items()):
        samples = list(c.wait_s)
        if not samples or max(samples) >= NO_WAIT_S:
            continue
        fixed, weight = c.fixed_count, c.weight
        share = 1.0 if fixed == 0 and total_weight == weight else (
            weight / total_weight if total_weight and not fixed else None)
        who = (f"{fixed} fixed user{'s' * (fixed != 1)}" if fixed else
               f"weight {weight}" + (f", {_pct(share)} of the users" if share is not None
                                     else ""))
        found.append(Finding(
            "no-wait-time", "warning", None,
            f"user class {name} ({who}) has no wait time: each user fires its next task as "
            "soon as the last one ends, a request rate no real user has — the load depends "
            "on the target's speed, not on the number of users",
            {"user_class": name, "weight": weight, "fixed_count": fixed,
             "weight_share": None if share is None else round(share, 4),
             "wait_s_samples": samples},
            f"give {name} a wait_time like real users' pauses (wait_time = between(1, 5)), "
            "or a fixed pace (wait_time = constant_throughput(2)); if hammering is the point "
            "(a stress test), ignore this"))
    return found


def generator_saturated(inputs: FindingInputs) -> list[Finding]:
    """Per load-generating process: the share of its samples at or above GEN_CPU_PCT busy
    (on a CPU, or ready to run and waiting for one: a generator starved by other processes
    queues its requests just the same)."""
    found = []
    every = inputs.evidence.cpu_every_s
    for process, series in sorted(inputs.evidence.cpu.items()):
        busy = [s.busy for s in series.samples]
        cpu = [s.cpu_pct for s in series.samples]
        hot = [v for v in busy if v >= GEN_CPU_PCT]
        if not busy or not hot:
            continue
        share = len(hot) / len(busy)
        if share < GEN_WARN_SHARE:
            continue
        severity = "error" if share >= GEN_ERROR_SHARE and len(hot) >= GEN_ERROR_MIN \
            else "warning"
        starved = max(busy) - max(cpu) >= 20
        found.append(Finding(
            "generator-saturated", severity, None,
            f"load generator {process} was {GEN_CPU_PCT:.0f}% busy or more in "
            f"{len(hot)} of {len(busy)} samples ({_pct(share)} of the time; peak "
            f"{max(busy):.0f}% busy, {max(cpu):.0f}% on a CPU"
            + (": the rest waiting for a CPU that other processes held" if starved else "")
            + "): latencies include the generator's own queueing and the load it made is "
            "less than asked for",
            {"process": process, "role": series.role, "hot_samples": len(hot),
             "samples": len(busy), "share": round(share, 4), "max_pct": max(busy),
             "max_cpu_pct": max(cpu), "mean_pct": round(sum(busy) / len(busy), 1),
             "every_s": every},
            "add load generators: --workers N (about one per core) or remote "
            "`swarmdeck worker`s, on machines not shared with the target; use FastHttpUser "
            "for cheaper requests; keep heavy Python work out of tasks"))
    return found


def saturation(inputs: FindingInputs) -> list[Finding]:
    """The knee (analysis/knee.py): info, or warning when throughput then fell below
    80% of the knee's. Not in an open-model run: its users follow the latency (the pool
    grows when they are busy), and generator-cannot-keep-up says what the knee would."""
    if inputs.open_model:
        return []
    knee = find_knee(inputs.steps)
    if knee is None:
        return []
    b, a = knee.before, knee.after
    users_growth = a.users / b.users - 1.0
    rps_growth = a.rps / b.rps - 1.0
    return [Finding(
        "saturation", "warning" if knee.retrograde else "info", None,
        f"the knee: requests/s stopped growing at about {b.users:.0f} users and "
        f"{b.rps:.1f} req/s — at {a.users:.0f} users ({users_growth:+.0%}) it was "
        f"{a.rps:.1f} req/s ({rps_growth:+.0%}) while p95 rose from {b.p95_ms:.0f} ms to "
        f"{a.p95_ms:.0f} ms" + (": throughput collapsed past it" if knee.retrograde else ""),
        {"knee_users": round(b.users, 1), "knee_rps": round(b.rps, 2),
         "p95_before_ms": round(b.p95_ms, 2), "after_users": round(a.users, 1),
         "after_rps": round(a.rps, 2), "p95_after_ms": round(a.p95_ms, 2),
         "scaling_efficiency": round(knee.efficiency, 3),
         "levels": [lv.to_json() for lv in knee.levels]},
        f"this is the capacity of the target as tested (about {b.rps:.0f} req/s): find what "
        "saturates there (server CPU, database, too few Gunicorn workers: -w 2×cores+1, "
        "N+1 queries, uncached pages), and keep SLO tests below ~"
        f"{b.users:.0f} users until it is fixed")]
