"""The one URL-password masker: how a URL that may hold a password is shown or stored."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"^([\w+.-]+://[^:/@?#]*):[^?#]*@")  # to the last @ before ?#
# a secret given as a query parameter (libpq's ?password=, an agent's ?token=)
_QUERY_SECRET = re.compile(r"([?&](?:password|passwd|token|secret)=)[^&#]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL as it may be shown or stored: any password replaced by ``***``.

    The password is what follows ``scheme://user:`` up to the last ``@`` before any query,
    so an unencoded ``@`` or ``/`` in it is masked too; a ``password``, ``token`` or
    ``secret`` query parameter is masked as well; a URL without one is unchanged.
    """
    masked = _URL_PASSWORD.sub(r"\1:***@", url, count=1)
    if "://" in masked and "?" in masked:
        masked = _QUERY_SECRET.sub(r"\1***", masked)
    return masked
