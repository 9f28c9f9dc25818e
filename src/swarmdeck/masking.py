"""The one URL-password masker: how a URL that may hold a password is shown or stored."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"^([\w+.-]+://[^:/@?#]*):[^?#]*@")  # to the last @ before ?#
# libpq also takes the password as a query parameter: ...?password=SECRET&sslmode=...
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL as it may be shown or stored: any password replaced by ``***``.

    The password is what follows ``scheme://user:`` up to the last ``@`` before any query,
    so an unencoded ``@`` or ``/`` in it is masked too, and the value of a ``password``
    query parameter; a URL without one is unchanged.
    """
    masked = _URL_PASSWORD.sub(r"\1:***@", url, count=1)
    if "://" in masked and "?" in masked:
        masked = _QUERY_PASSWORD.sub(r"\1***", masked)
    return masked
