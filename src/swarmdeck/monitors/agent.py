"""``agent://HOST:PORT``: the readings of a ``swarmdeck agent`` running on the target's
host (monitors/agent_server.py): the host's CPU, memory, disk and network, and whatever
monitors the agent was started with, as seen from there.

The token is the URL's password (``agent://:TOKEN@HOST:PORT``) or ``SWARMDECK_TOKEN``, sent
as ``Authorization: Bearer``. Each second the agent's last complete second is taken and
filed under this run's own second (the two clocks need not agree).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from swarmdeck.monitors.sampler import Reading, SourceError, one_line
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitor_codec import readings_from_json
from swarmdeck.records.monitors import TopQuery

TIMEOUT_S = 2.0
TOKEN_HEADER = "Authorization"  # nosec B105  # a header name, not a secret


def agent_get(host: str, port: int, path: str, token: str | None,
              timeout: float = TIMEOUT_S) -> Any:
    """GET an agent's JSON; SourceError (one line) for anything but 200."""
    where = f"{host}:{port}"
    request = urllib.request.Request(f"http://{where}{path}")
    if token:
        request.add_header(TOKEN_HEADER, f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310  # http:// built from agent://HOST:PORT
            return json.loads(response.read(1 << 20))
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise SourceError(f"the agent at {where} refused the token "
                              "(set SWARMDECK_TOKEN to the agent's)") from None
        raise SourceError(f"the agent at {where} answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        text = one_line(reason) if isinstance(reason, BaseException) else str(reason)
        raise SourceError(f"no agent at {where}: {text}") from None


class AgentSampler:
    kind = "agent"

    def __init__(self, spec: MonitorSpec) -> None:
        self.spec = spec
        self.token = spec.token or os.environ.get("SWARMDECK_TOKEN") or None
        self.info: dict[str, Any] = {}

    def _get(self, path: str) -> Any:
        return agent_get(self.spec.host or "", int(self.spec.port or 0), path, self.token)

    def open(self) -> None:
        info = self._get("/v1/info")
        self.info = info if isinstance(info, dict) else {}

    def sample(self, at: int) -> list[Reading]:
        data = self._get("/v1/sample")
        _, readings, _ = readings_from_json(data if isinstance(data, dict) else {})
        return list(readings)

    def finish(self) -> tuple[TopQuery, ...]:
        return ()

    def close(self) -> None:
        pass
