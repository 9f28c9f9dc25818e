"""Before a run record exists: is the target there at all? Fail fast, with a clear line."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from swarmdeck.errors import TargetUnreachable

CONNECT_TIMEOUT_S = 5.0


def check_target(host: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    parts = urlsplit(host)
    hostname = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetUnreachable(f"host {hostname!r} in {host} does not resolve ({exc.strerror})",
                                "check the --host URL") from None
    errors = []
    for family, kind, proto, _, address in addresses:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
                return
        except OSError as exc:
            errors.append(exc.strerror or exc.__class__.__name__)
    raise TargetUnreachable(
        f"nothing accepts connections at {hostname}:{port} ({host}): {errors[0]}",
        "start the target first, or fix the --host URL",
    )
