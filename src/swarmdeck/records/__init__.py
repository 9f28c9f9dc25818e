"""Typed records that cross swarmdeck's packages (engine, store, verdict, report, web),
and their one codec (``records.codec``): JSON exists only at the store and the outputs."""

from __future__ import annotations

from swarmdeck.records.comparison import Comparison
from swarmdeck.records.details import LocustError, RunDetails, WorkerRecord
from swarmdeck.records.evidence import (
    CpuSample,
    CpuSeries,
    EndpointEvidence,
    EvidenceRecord,
    UserClassEvidence,
)
from swarmdeck.records.status import FINAL_STATUSES, Decision, Ending, RunStatus, decide
from swarmdeck.records.verdict import Finding, ThresholdOutcome

__all__ = [
    "FINAL_STATUSES",
    "Comparison",
    "CpuSample",
    "CpuSeries",
    "Decision",
    "Ending",
    "EndpointEvidence",
    "EvidenceRecord",
    "Finding",
    "LocustError",
    "RunDetails",
    "RunStatus",
    "ThresholdOutcome",
    "UserClassEvidence",
    "WorkerRecord",
    "decide",
]
