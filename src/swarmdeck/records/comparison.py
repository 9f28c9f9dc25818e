"""The comparison of a run with another (``swarmdeck compare``, ``run --compare-to``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Typed in full by the comparison work; until then the comparison's JSON form.
Comparison = Mapping[str, Any]
