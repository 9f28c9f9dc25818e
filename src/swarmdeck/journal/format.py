"""A journal's records and their form on disk: one record a line, each with its checksum.

    3f1c9a07 {"t":"journal","version":1,"id":"5d0c...","run_id":7,...}
    a8e2c911 {"t":"batch","key":"5d0c...:1","intervals":[...],"users":[[1765300000.0,10]]}
    ...
    0b77e4d2 {"t":"finish","key":"5d0c...:finish","status":"degraded",...}

A line is the CRC-32 of its JSON (8 hex digits), a space, the JSON, and a newline. The
first record is the header: which run of which database the journal belongs to. Then one
``batch`` per flush of the run's writer (its intervals, with their HDR histograms in
base64, and its user counts), in the order they were measured, each with its idempotency
key; at last, when the run got that far, its ``finish`` (status, end, message, details).

A crash in the middle of a write leaves a last line without its newline, or whose checksum
does not match: it is torn, and reading skips it with a warning (``Problem``). A damaged
line elsewhere is skipped the same way; the lines after it still read. Nothing here touches
a file (journal.file does); everything is bytes in, records out.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.records import RunDetails, RunStatus
from swarmdeck.records.codec import details_from_json, details_to_json
from swarmdeck.store.records import Batch

FORMAT_VERSION = 1
FINISH_SEQ = "finish"


@dataclass(frozen=True)
class Header:
    """Which run of which database a journal holds the writes of."""

    journal_id: str  # a random hex id; every key in the journal starts with it
    run_id: int
    database: str  # the store's URL, password masked (a hint for `swarmdeck import`)
    started_at: datetime  # the run's start, pid and host: to recognise the run in a store
    pid: int
    hostname: str


@dataclass(frozen=True)
class Finish:
    """How the run ended, as ``Store.finish_run`` records it."""

    key: str
    status: RunStatus
    ended_at: datetime
    message: str | None
    details: RunDetails


Record = Header | Batch | Finish


class BadRecord(ValueError):
    """A line that is not a whole, intact record."""


@dataclass(frozen=True)
class Problem:
    """A line skipped while reading a journal."""

    offset: int  # where the line starts in the file
    reason: str
    torn: bool  # the last line, cut short: the writer stopped in the middle of writing it

    def describe(self) -> str:
        if self.torn:
            return (f"the last record (at byte {self.offset:,}) is torn: the run's process "
                    f"stopped while writing it ({self.reason}); skipped")
        return f"the record at byte {self.offset:,} is damaged ({self.reason}); skipped"


# -- records <-> JSON -------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


_BYTES = "$b64"  # a bytes value anywhere else in an interval's wire form: {"$b64": "..."}


def _encode(value: Any) -> Any:
    """Bytes (the HDR histograms of newer fields: service time, Server-Timing) as base64,
    however deep in the wire form; everything else as it is."""
    if isinstance(value, bytes | bytearray):
        return {_BYTES: _b64(bytes(value))}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES in value:
            return _unb64(value[_BYTES])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def interval_to_json(interval: EndpointInterval) -> dict[str, Any]:
    wire = interval.to_wire()
    failed = wire.pop("failed_histogram")
    histogram = wire.pop("histogram")
    return {**_encode(wire), "histogram": _b64(histogram),
            "failed_histogram": _b64(failed) if failed is not None else None}


def interval_from_json(data: Mapping[str, Any]) -> EndpointInterval:
    failed = data.get("failed_histogram")
    rest = {k: v for k, v in data.items() if k not in ("histogram", "failed_histogram")}
    return EndpointInterval.from_wire({
        **_decode(rest), "histogram": _unb64(data["histogram"]),
        "failed_histogram": _unb64(failed) if failed is not None else None})


def to_json(record: Record) -> dict[str, Any]:
    if isinstance(record, Header):
        return {"t": "journal", "version": FORMAT_VERSION, "id": record.journal_id,
                "run_id": record.run_id, "database": record.database,
                "started_at": record.started_at.isoformat(), "pid": record.pid,
                "hostname": record.hostname}
    if isinstance(record, Batch):
        return {"t": "batch", "key": record.key,
                "intervals": [interval_to_json(i) for i in record.intervals],
                "users": [[at, users] for at, users in record.users]}
    return {"t": "finish", "key": record.key, "status": record.status.value,
            "ended_at": record.ended_at.isoformat(), "message": record.message,
            "details": details_to_json(record.details)}


def from_json(data: Mapping[str, Any]) -> Record:
    """The record of a checked line; BadRecord when it is not one this swarmdeck knows."""
    kind = data.get("t")
    try:
        if kind == "journal":
            if int(data.get("version", 0)) > FORMAT_VERSION:
                raise BadRecord(f"journal format {data.get('version')} is newer than this "
                                f"swarmdeck's ({FORMAT_VERSION})")
            return Header(journal_id=str(data["id"]), run_id=int(data["run_id"]),
                          database=str(data.get("database", "")),
                          started_at=datetime.fromisoformat(str(data["started_at"])),
                          pid=int(data["pid"]), hostname=str(data["hostname"]))
        if kind == "batch":
            return Batch(key=str(data["key"]),
                         intervals=tuple(interval_from_json(i) for i in data["intervals"]),
                         users=tuple((float(at), int(n)) for at, n in data["users"]))
        if kind == "finish":
            return Finish(key=str(data["key"]), status=RunStatus(str(data["status"])),
                          ended_at=datetime.fromisoformat(str(data["ended_at"])),
                          message=None if data.get("message") is None else str(data["message"]),
                          details=details_from_json(data.get("details")))
    except BadRecord:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
        raise BadRecord(f"a malformed {kind} record: {exc.__class__.__name__}: {exc}") from None
    raise BadRecord(f"an unknown kind of record: {kind!r}")


# -- lines --------------------------------------------------------------------------------

def encode(record: Record) -> bytes:
    """One line: its checksum, a space, its JSON, a newline."""
    payload = json.dumps(to_json(record), separators=(",", ":"), ensure_ascii=True).encode()
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def decode(line: bytes) -> Record:
    """The record of one line (without its newline); BadRecord when it is damaged."""
    head, space, payload = line.partition(b" ")
    if not space or len(head) != 8:
        raise BadRecord("no checksum")
    try:
        expected = int(head, 16)
    except ValueError:
        raise BadRecord("no checksum") from None
    if zlib.crc32(payload) != expected:
        raise BadRecord("checksum mismatch")
    try:
        data = json.loads(payload)
    except ValueError as exc:  # cannot be, with a matching checksum, unless written so
        raise BadRecord(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRecord("not a record")
    return from_json(data)


@dataclass(frozen=True)
class Parsed:
    records: list[tuple[int, int, Record]]  # (offset, length, record), in file order
    problems: list[Problem]


def parse(data: bytes) -> Parsed:
    """Every intact record of a journal's bytes, and the lines skipped. A last line without
    its newline, or with a bad checksum, is torn; a bad line before it, damaged."""
    records: list[tuple[int, int, Record]] = []
    problems: list[Problem] = []
    offset = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        last = end == -1 or end == len(data) - 1
        line = data[offset:] if end == -1 else data[offset:end]
        length = (len(data) if end == -1 else end + 1) - offset
        try:
            if end == -1:
                raise BadRecord("no end of line")
            records.append((offset, length, decode(line)))
        except BadRecord as exc:
            problems.append(Problem(offset, str(exc), torn=last))
        offset += length
    return Parsed(records, problems)
