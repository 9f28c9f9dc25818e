"""The generators' evidence through its codec: typed records to the stored JSON and back, and
evidence stored before the typed records (``evidence_v1.json``: the evidence of a master and
two workers, written by the code that stored it as a plain dict) reading back unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.records.codec import (
    details_from_json,
    details_to_json,
    evidence_from_json,
    evidence_to_json,
)
from swarmdeck.records.evidence import (
    CpuSample,
    CpuSeries,
    EndpointEvidence,
    EvidenceRecord,
    UserClassEvidence,
)

STORED = Path(__file__).with_name("evidence_v1.json")


def stored() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(STORED.read_text())
    return data


def test_typed_evidence_survives_its_stored_form() -> None:
    record = EvidenceRecord(
        endpoints=(EndpointEvidence("POST", "/login", {200: 3, 400: 7, None: 1}, csrf_400=7,
                                    csrf_sample="The CSRF token is missing."),
                   EndpointEvidence("GET", "/", {200: 30}, login_redirects=2)),
        names_folded=4, servers=("gunicorn",), debugger_pages=1, debugger_endpoint="GET /",
        user_classes={"Shopper": UserClassEvidence(3, 0, "varies", (1.2, 2.5)),
                      "Odd": UserClassEvidence(wait="unknown", error="AttributeError: x")},
        cpu={"master": CpuSeries("master", (CpuSample(5.0, 3.1, 3.4),)),
             "worker w-2": CpuSeries("worker", (CpuSample(5.0, 88.0),))},
        cpu_every_s=5.0)
    text = json.dumps(evidence_to_json(record))
    assert evidence_from_json(json.loads(text)) == record
    assert json.loads(text)["endpoints"][0]["status"] == {"200": 3, "400": 7, "none": 1}


def test_stored_evidence_reads_and_re_encodes_identically() -> None:
    data = stored()
    record = evidence_from_json(data)
    assert json.dumps(evidence_to_json(record)) == json.dumps(data)  # keys and their order
    login = record.endpoints[0]
    assert (login.method, login.name, login.status) == ("POST", "/login", {400: 7, 200: 3})
    assert record.endpoints[2].status == {200: 30, 503: 2, None: 2}
    assert record.cpu["worker w-1"].samples[1] == CpuSample(10.0, 97.5, 99.1)
    assert record.cpu["worker w-2"].samples[1].busy == 92.3  # stored without a busy %
    assert record.user_classes["Hammer"].fixed_count == 2
    assert record.user_classes["Odd"].wait == "unknown"


def test_stored_details_carry_the_evidence_typed() -> None:
    details = details_from_json({"warnings": [], "evidence": stored()})
    assert details.evidence == evidence_from_json(stored())
    assert details_to_json(details)["evidence"] == stored()
    assert details_from_json({"warnings": []}).evidence is None  # runs before evidence


def test_missing_keys_read_as_nothing_seen() -> None:
    assert evidence_from_json({}) == EvidenceRecord()
    assert evidence_from_json({"endpoints": [{"method": "GET", "name": "/"}]}).endpoints == (
        EndpointEvidence("GET", "/"),)


def test_findings_of_stored_evidence() -> None:
    found = find(FindingInputs(evidence_from_json(stored())))
    assert [(f.code, f.severity, f.endpoint) for f in found] == [
        ("auth-failing", "error", "GET /reports"),
        ("csrf-missing", "error", "POST /login"),
        ("dev-server", "error", None),
        ("generator-saturated", "warning", None),
        ("generator-saturated", "warning", None),
        ("no-wait-time", "warning", None),
    ]
    assert [f.evidence["process"] for f in found if f.code == "generator-saturated"] == [
        "worker w-1", "worker w-2"]
