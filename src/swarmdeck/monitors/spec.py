"""A monitor SPEC (``--monitor``, ``[[monitors]]``, ``SWARMDECK_MONITORS``): which source to
sample, parsed and checked before anything starts. Pure: no connection is made here.

    process:PID | process:PIDFILE          psutil over the process tree (a Gunicorn master)
    statsd://HOST:PORT[?workers=N]         a StatsD UDP listener swarmdeck runs
    postgresql://USER[:PW]@HOST[:PORT]/DB  pg_stat_activity, pg_stat_database, statements
    redis://[:PW@]HOST[:PORT][/DB]         INFO
    prometheus+http://HOST:PORT/PATH[?metric=NAME&metric=...&max=N]
    agent://[:TOKEN@]HOST:PORT             a `swarmdeck agent` on the target's host

Any of them may be named, ``NAME=SPEC``: its series are then called ``NAME.<series>``
(two monitors of one kind need it, or their series would share names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from swarmdeck.masking import mask_url

KINDS = ("process", "statsd", "postgresql", "redis", "prometheus", "agent")
HINT = ("write process:PID, process:/path/to/gunicorn.pid, statsd://127.0.0.1:8125, "
        "postgresql://USER@HOST/DB, redis://HOST:6379/0, "
        "prometheus+http://HOST:PORT/metrics or agent://HOST:PORT (see docs/monitors.md)")
MAX_PROMETHEUS_SERIES = 50  # ``max`` of a prometheus spec without ``metric=`` (default)
_NAME = re.compile(r"([a-z][a-z0-9_]{0,31})=(.+)", re.IGNORECASE | re.DOTALL)
_SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql",
            "postgresql+psycopg": "postgresql", "redis": "redis", "rediss": "redis",
            "prometheus+http": "prometheus", "prometheus+https": "prometheus",
            "statsd": "statsd", "agent": "agent"}


class SpecError(ValueError):
    """A SPEC that does not parse: ``str()`` says what is wrong; ``hint`` how to fix it."""

    def __init__(self, problem: str, hint: str = HINT) -> None:
        super().__init__(problem)
        self.hint = hint


@dataclass(frozen=True)
class MonitorSpec:
    """One parsed SPEC. ``text`` is as given (it may hold a password: show ``shown``)."""

    text: str
    kind: str  # one of KINDS
    name: str | None = None  # NAME= prefix of its series
    pid: int | None = None  # process:PID
    pidfile: str | None = None  # process:PIDFILE
    url: str | None = None  # the URL to connect to (postgresql, redis, http for prometheus)
    host: str | None = None  # statsd (where to listen), agent
    port: int | None = None
    metrics: tuple[str, ...] = ()  # prometheus: the names asked for
    max_series: int = MAX_PROMETHEUS_SERIES
    workers: int | None = None  # statsd: Gunicorn's worker count, when known
    token: str | None = field(default=None, repr=False)  # agent: from the URL, if given

    @property
    def shown(self) -> str:
        """The spec as shown and stored: any password masked."""
        named = _NAME.fullmatch(self.text.strip())
        if named and self.name:
            return f"{named.group(1)}={mask_url(named.group(2).strip())}"
        return mask_url(self.text.strip())

    @property
    def prefix(self) -> str:
        """What its series' names start with (``""`` for an unnamed process or agent)."""
        return f"{self.name}." if self.name else ""

    def to_dict(self) -> dict[str, object]:
        """As stored with the run's plan (password masked)."""
        return {"spec": self.shown, "kind": self.kind, "name": self.name}


def parse_spec(text: str) -> MonitorSpec:
    """The spec ``text`` names; SpecError when it is malformed."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("is empty")
    whole = text.strip()
    name: str | None = None
    body = whole
    named = _NAME.fullmatch(whole)
    if named and ":" not in named.group(1):
        name, body = named.group(1).lower(), named.group(2).strip()
    if body.startswith("process:"):
        return _process(whole, name, body.removeprefix("process:").strip())
    scheme = body.split("://", 1)[0].lower() if "://" in body else ""
    kind = _SCHEMES.get(scheme)
    if kind is None:
        what = f"scheme {scheme!r}" if scheme else f"{mask_url(body)!r}"
        raise SpecError(f"{what} is not a monitor source")
    try:
        parts = urlsplit(body)
        port = parts.port
    except ValueError as exc:
        raise SpecError(f"{mask_url(body)!r} is not a valid URL ({exc})") from None
    if kind == "statsd":
        return _statsd(whole, name, parts.hostname, port, parts.query)
    if kind == "agent":
        if not parts.hostname or port is None:
            raise SpecError(f"{mask_url(body)!r} needs a host and a port",
                            "e.g. agent://10.0.0.5:9118 (the agent's --bind)")
        return MonitorSpec(whole, "agent", name, host=parts.hostname, port=port,
                           token=parts.password or None)
    if kind == "prometheus":
        return _prometheus(whole, name, body, parts.query)
    if kind == "redis":
        db = parts.path.strip("/")
        if db and not db.isdigit():
            raise SpecError(f"{mask_url(body)!r}: the database must be a number, got {db!r}",
                            "e.g. redis://127.0.0.1:6379/0")
        return MonitorSpec(whole, "redis", name, url=body, host=parts.hostname, port=port)
    if scheme != "postgresql":  # postgres:// and postgresql+psycopg:// as libpq reads them
        body = "postgresql://" + body.split("://", 1)[1]
    return MonitorSpec(whole, "postgresql", name, url=body, host=parts.hostname, port=port)


def _process(whole: str, name: str | None, target: str) -> MonitorSpec:
    if not target:
        raise SpecError("process: needs a PID or a pid file",
                        "e.g. process:1234 or process:/run/gunicorn.pid")
    if target.isdigit():
        pid = int(target)
        if pid < 1:
            raise SpecError(f"process:{target}: a PID is 1 or more")
        return MonitorSpec(whole, "process", name, pid=pid)
    if target.lstrip("-").isdigit():
        raise SpecError(f"process:{target}: a PID is 1 or more")
    return MonitorSpec(whole, "process", name, pidfile=target)


def _statsd(whole: str, name: str | None, host: str | None, port: int | None,
            query: str) -> MonitorSpec:
    if not host or not port:
        raise SpecError(f"{whole!r} needs the address to listen on, with a port",
                        "e.g. statsd://127.0.0.1:8125, and run Gunicorn with "
                        "--statsd-host 127.0.0.1:8125")
    params = parse_qs(query)
    unknown = sorted(set(params) - {"workers"})
    if unknown:
        raise SpecError(f"{whole!r}: unknown parameter {unknown[0]!r}",
                        "statsd takes ?workers=N only (Gunicorn's worker count)")
    workers = None
    if "workers" in params:
        text = params["workers"][-1]
        if not text.isdigit() or int(text) < 1:
            raise SpecError(f"{whole!r}: workers must be a whole number of 1 or more, "
                            f"got {text!r}")
        workers = int(text)
    return MonitorSpec(whole, "statsd", name, host=host, port=port, workers=workers)


def _prometheus(whole: str, name: str | None, body: str, query: str) -> MonitorSpec:
    params = parse_qs(query)
    unknown = sorted(set(params) - {"metric", "max"})
    if unknown:
        raise SpecError(f"{mask_url(body)!r}: unknown parameter {unknown[0]!r}",
                        "prometheus takes ?metric=NAME (repeatable) and ?max=N")
    metrics = tuple(m for value in params.get("metric", []) for m in value.split(",") if m)
    cap = MAX_PROMETHEUS_SERIES
    if "max" in params:
        text = params["max"][-1]
        if not text.isdigit() or int(text) < 1:
            raise SpecError(f"{mask_url(body)!r}: max must be a whole number of 1 or more")
        cap = int(text)
    http = body.split("+", 1)[1]  # prometheus+http://... -> http://...
    parts = urlsplit(http)
    if not parts.hostname:
        raise SpecError(f"{mask_url(body)!r} needs a host", "e.g. "
                        "prometheus+http://127.0.0.1:9100/metrics")
    url = http.split("?", 1)[0]
    return MonitorSpec(whole, "prometheus", name, url=url, host=parts.hostname,
                       port=parts.port, metrics=metrics, max_series=cap)


def split_specs(text: str) -> list[str]:
    """The specs of one environment variable: separated by ``;`` or whitespace."""
    return [part for chunk in text.split(";") for part in chunk.split() if part]
