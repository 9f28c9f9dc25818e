"""Who may read the dashboard, and the check that it is not served beyond this machine
without it. (Where it listens and which database it reads are settings of ``swarmdeck
serve`` in the registry, swarmdeck.plan.settings.)

Authentication comes from the environment only, never from a default:

- ``SWARMDECK_DASHBOARD_TOKEN``: a bearer token (``Authorization: Bearer ...``) for API
  clients; browsers enter it once in a login form and get a session cookie;
- ``SWARMDECK_DASHBOARD_USER`` + ``SWARMDECK_DASHBOARD_PASSWORD``: HTTP Basic.

Users of the store (``swarmdeck user add``) log in with their own name and password and
send their own API tokens (docs/platform.md); the settings above remain a bootstrap
identity with the admin role. Binding anything but a loopback address with neither users
nor one of these settings is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from swarmdeck.errors import BadInput
from swarmdeck.plan.values import HostPort

TOKEN_ENV = "SWARMDECK_DASHBOARD_TOKEN"  # nosec B105  # a variable's name
USER_ENV = "SWARMDECK_DASHBOARD_USER"
PASSWORD_ENV = "SWARMDECK_DASHBOARD_PASSWORD"  # nosec B105  # a variable's name
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


def check_exposure(bind: HostPort, auth: Auth, users: int = 0) -> None:
    """Refuse to listen beyond this machine without authentication (users of the store, or
    the bootstrap settings)."""
    if bind.loopback or auth.enabled or users > 0:
        return
    raise BadInput(f"refusing to serve the dashboard on {bind} without authentication",
                   "add an admin with `swarmdeck user add NAME --role admin`; or set "
                   f"{TOKEN_ENV}, or {USER_ENV} and {PASSWORD_ENV}; or bind 127.0.0.1")
