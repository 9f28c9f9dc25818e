"""Monitors: what the target side was doing while it was loaded, sampled once a second on
the run's clock (docs/monitors.md).

- ``spec``: a SPEC (``--monitor``) parsed and checked before anything starts;
- ``sampler``: the interface every source implements, and counters turned into rates;
- one module per source: ``process``, ``statsd`` (+ ``statsd_proto``, the wire format as
  data), ``postgres``, ``redis_info``, ``prometheus``, ``agent`` (+ ``agent_server``,
  ``host``: ``swarmdeck agent``);
- ``runner``: each source in its own OS thread, ticking on epoch seconds;
- ``child``: the process the run starts for them (engine/monitoring.py), outside the load
  generator's gevent loop.

Nothing here imports Locust or gevent.
"""

from __future__ import annotations

from swarmdeck.monitors.sampler import Rates, Sampler, SourceError
from swarmdeck.monitors.spec import KINDS, MonitorSpec, SpecError, parse_spec, split_specs

__all__ = ["KINDS", "MonitorSpec", "Rates", "Sampler", "SourceError", "SpecError",
           "parse_spec", "split_specs"]
