"""``redis://HOST:PORT/DB``: Redis's ``INFO``, once a second (redis-py, short timeouts).

Series: ``redis.ops`` (commands per second), ``redis.clients`` (connected),
``redis.blocked`` (blocked clients), ``redis.memory`` (used memory, bytes),
``redis.hit_ratio`` (% of key lookups that hit, in the second) and ``redis.evictions``
(keys evicted per second).
"""

from __future__ import annotations

import contextlib
from typing import Any

from swarmdeck.monitors.sampler import Rates, Reading, SourceError, add_rate, one_line
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitors import BYTES, COUNT, PER_SECOND, PERCENT, TopQuery

TIMEOUT_S = 2.0


class RedisSampler:
    kind = "redis"

    def __init__(self, spec: MonitorSpec) -> None:
        self.spec = spec
        self._client: Any = None
        self.rates = Rates()
        self._hits: tuple[float, float] | None = None

    def open(self) -> None:
        try:
            import redis
        except ModuleNotFoundError:  # pragma: no cover - a dependency of swarmdeck
            raise SourceError("the redis package is not installed (pip install redis)") \
                from None
        if self._client is None:
            self._client = redis.Redis.from_url(self.spec.url or "", socket_timeout=TIMEOUT_S,
                                                socket_connect_timeout=TIMEOUT_S)
        self._info()

    def _info(self) -> dict[str, Any]:
        import redis

        try:
            return dict(self._client.info())
        except redis.RedisError as exc:
            self.close()
            raise SourceError("Redis: " + one_line(exc).split(": ", 1)[-1]) from None

    def sample(self, at: int) -> list[Reading]:
        if self._client is None:
            self.open()
        info = self._info()
        out = [Reading("redis.clients", float(info.get("connected_clients", 0)), COUNT),
               Reading("redis.blocked", float(info.get("blocked_clients", 0)), COUNT),
               Reading("redis.memory", float(info.get("used_memory", 0)), BYTES)]
        add_rate(out, self.rates, "redis.ops", float(info.get("total_commands_processed", 0)),
                 PER_SECOND)
        add_rate(out, self.rates, "redis.evictions", float(info.get("evicted_keys", 0)),
                 PER_SECOND)
        hits, misses = float(info.get("keyspace_hits", 0)), float(info.get("keyspace_misses", 0))
        if self._hits is not None:
            d_hits, d_misses = hits - self._hits[0], misses - self._hits[1]
            if d_hits >= 0 and d_misses >= 0 and d_hits + d_misses > 0:
                out.append(Reading("redis.hit_ratio", 100 * d_hits / (d_hits + d_misses),
                                   PERCENT))
        self._hits = (hits, misses)
        return out

    def finish(self) -> tuple[TopQuery, ...]:
        return ()

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # closing what may be broken
                self._client.close()
            self._client = None
        self.rates.forget()
        self._hits = None
