"""Typed records that cross swarmdeck's packages (engine, store, verdict, report, web),
and their one codec (``records.codec``): JSON exists only at the store and the outputs."""

from __future__ import annotations

from swarmdeck.records.comparison import (
    Change,
    Comparison,
    ComparisonRow,
    MonitorMeans,
    RowVerdict,
    RunRef,
    ServerChange,
    SideStats,
)
from swarmdeck.records.details import (
    LocustError,
    NameGroup,
    RunDetails,
    ScriptError,
    StoreOutage,
    WorkerRecord,
)
from swarmdeck.records.evidence import (
    CpuSample,
    CpuSeries,
    EndpointEvidence,
    EvidenceRecord,
    UserClassEvidence,
)
from swarmdeck.records.openmodel import (
    CapacityResult,
    CapacityStep,
    OpenModelRecord,
    Saturation,
)
from swarmdeck.records.status import (
    FINAL_STATUSES,
    Decision,
    Ending,
    ErrorCounts,
    RunStatus,
    decide,
    errors_reason,
)
from swarmdeck.records.verdict import Finding, OutageEvidence, ThresholdOutcome

__all__ = [
    "FINAL_STATUSES",
    "CapacityResult",
    "CapacityStep",
    "Change",
    "Comparison",
    "ComparisonRow",
    "CpuSample",
    "CpuSeries",
    "Decision",
    "Ending",
    "EndpointEvidence",
    "ErrorCounts",
    "EvidenceRecord",
    "Finding",
    "LocustError",
    "MonitorMeans",
    "NameGroup",
    "OpenModelRecord",
    "OutageEvidence",
    "RowVerdict",
    "RunDetails",
    "RunRef",
    "RunStatus",
    "Saturation",
    "ScriptError",
    "ServerChange",
    "SideStats",
    "StoreOutage",
    "ThresholdOutcome",
    "UserClassEvidence",
    "WorkerRecord",
    "decide",
    "errors_reason",
]
