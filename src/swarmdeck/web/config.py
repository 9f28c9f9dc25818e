"""The dashboard's settings: where it listens, which database it reads, who may look.

Authentication comes from the environment only, never from a default:

- ``SWARMDECK_DASHBOARD_TOKEN``: a bearer token (``Authorization: Bearer ...``) for API
  clients; browsers enter it once in a login form and get a session cookie;
- ``SWARMDECK_DASHBOARD_USER`` + ``SWARMDECK_DASHBOARD_PASSWORD``: HTTP Basic.

Binding anything but a loopback address without one of them is refused.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from swarmdeck.errors import BadInput

DEFAULT_BIND = "127.0.0.1:8089"
TOKEN_ENV = "SWARMDECK_DASHBOARD_TOKEN"
USER_ENV = "SWARMDECK_DASHBOARD_USER"
PASSWORD_ENV = "SWARMDECK_DASHBOARD_PASSWORD"
MIN_TOKEN = 16
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Auth:
    """Who may read the dashboard; no field set means anyone who can connect."""

    token: str | None = None
    user: str | None = None
    password: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.user)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Auth:
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV) or None
        user = env.get(USER_ENV) or None
        password = env.get(PASSWORD_ENV) or None
        if bool(user) != bool(password):
            missing = PASSWORD_ENV if user else USER_ENV
            raise BadInput(f"{USER_ENV} and {PASSWORD_ENV} go together, but {missing} is "
                           "not set", "set both, or neither")
        if token is not None and len(token) < MIN_TOKEN:
            raise BadInput(f"{TOKEN_ENV} is too short ({len(token)} characters, at least "
                           f"{MIN_TOKEN})", "use a random one, e.g. `openssl rand -hex 24`")
        if password is not None and len(password) < MIN_PASSWORD:
            raise BadInput(f"{PASSWORD_ENV} is too short ({len(password)} characters, at "
                           f"least {MIN_PASSWORD})", "choose a longer password")
        return cls(token=token, user=user, password=password)


@dataclass(frozen=True)
class Bind:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url(self, port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}/"


def parse_bind(text: str) -> Bind:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) -> Bind; BadInput naming the flag otherwise."""
    hint = "e.g. --bind 127.0.0.1:8089"
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise BadInput(f"--bind {text!r} is not HOST:PORT", hint)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise BadInput(f"--bind {text!r}: the port must be a number from 0 to 65535", hint)
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise BadInput(f"--bind {text!r}: {host!r} is not an IP address", hint) from None
    return Bind(host, int(port_text))


def check_exposure(bind: Bind, auth: Auth) -> None:
    """Refuse to listen beyond this machine without authentication."""
    if bind.loopback or auth.enabled:
        return
    raise BadInput(f"refusing to serve the dashboard on {bind} without authentication",
                   f"set {TOKEN_ENV}, or {USER_ENV} and {PASSWORD_ENV}; or bind 127.0.0.1")
