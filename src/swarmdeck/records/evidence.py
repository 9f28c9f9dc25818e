"""What the load generators saw of the target and of themselves (engine/evidence.py),
kept with the run for the findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Typed in full by the evidence work; until then the evidence's JSON form.
EvidenceRecord = Mapping[str, Any]
