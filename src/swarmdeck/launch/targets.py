"""Permitted targets: which hosts a run started from the platform may load.

A loopback host (127.0.0.0/8, ::1, localhost) is always permitted (the demo and the
tests). Any other host must be on the admins' list and verified the way loader.io does it:
it serves the token swarmdeck gave for it at ``/.well-known/swarmdeck-verification.txt``.
The check happens before the run's process starts, so an unverified target receives no
request at all (the verification itself is one GET, asked for by an admin).
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from swarmdeck.errors import BadInput
from swarmdeck.plan.values import Invalid, parse_host

WELL_KNOWN = "/.well-known/swarmdeck-verification.txt"
VERIFY_TIMEOUT_S = 5.0
MAX_TOKEN_BYTES = 4096


def origin_of(host: str) -> str:
    """``scheme://host[:port]`` as runs name it (a default port dropped, lower case)."""
    try:
        text = parse_host(host)
    except Invalid as exc:
        raise BadInput(f"target {exc.problem}", "e.g. https://shop.example.com") from None
    parts = urlsplit(text)
    hostname = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}[parts.scheme]
    port = parts.port if parts.port not in (None, default) else None
    shown = f"[{hostname}]" if ":" in hostname else hostname
    return f"{parts.scheme}://{shown}" + (f":{port}" if port else "")


def is_loopback(origin: str) -> bool:
    hostname = urlsplit(origin).hostname or ""
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch_token(origin: str, timeout_s: float = VERIFY_TIMEOUT_S) -> str:
    """What the host serves at the well-known path (no redirects followed); BadInput with
    the reason when it cannot be read."""
    url = origin + WELL_KNOWN
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(url, timeout=timeout_s) as response:
            body: bytes = response.read(MAX_TOKEN_BYTES)
    except urllib.error.HTTPError as exc:
        raise BadInput(f"{url} answered {exc.code}",
                       "serve the token there (status 200, no redirect)") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BadInput(f"cannot read {url}: {reason}",
                       "check that the host is reachable from the swarmdeck server") from None
    return body.decode("utf-8", "replace").strip()
