"""The swarmdeck handshake on top of Locust's master/worker messages.

Locust's protocol has no authentication and only warns on version differences. Each
worker therefore introduces itself with a ``swarmdeck_hello`` custom message (token,
swarmdeck and Locust versions, region); the master answers ``swarmdeck_welcome`` (with
its versions, the interval length and how request names are recorded: the cap and
whether ids are grouped) or ``swarmdeck_refused`` (with the reason), and
only welcomed workers' measurements are collected. At the end of a run the master asks
every worker for what it still holds (``swarmdeck_flush``) and waits for each answer
(``swarmdeck_final``), so that the stored totals are exact.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

HELLO = "swarmdeck_hello"
WELCOME = "swarmdeck_welcome"
REFUSED = "swarmdeck_refused"
FLUSH = "swarmdeck_flush"
FINAL = "swarmdeck_final"
REPORT_KEY = "swarmdeck_intervals"  # in Locust's worker reports (report_to_master)


@dataclass(frozen=True)
class Versions:
    swarmdeck: str
    locust: str

    def describe(self) -> str:
        return f"swarmdeck {self.swarmdeck} / Locust {self.locust}"


def version_mismatch(master: Versions, worker: Versions) -> str | None:
    """Why a worker and a master cannot run together, or None."""
    if master != worker:
        return (f"version mismatch: the master runs {master.describe()}, "
                f"this worker {worker.describe()}")
    return None


def check_hello(data: Any, token: str | None, master: Versions) -> str | None:
    """The master's verdict on a hello: None to welcome the worker, else the reason."""
    if not isinstance(data, dict):
        return "malformed hello"
    if token is not None and not hmac.compare_digest(str(data.get("token") or ""), token):
        return "wrong or missing token" if data.get("token") else "missing token"
    worker = Versions(str(data.get("swarmdeck")), str(data.get("locust")))
    return version_mismatch(master, worker)
