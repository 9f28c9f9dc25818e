"""The journal's lines: every record comes back as written; a torn or damaged line is found
by its checksum and skipped, never read as something that was not written."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.journal.format import (
    Finish,
    Header,
    Record,
    decode,
    encode,
    parse,
)
from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.records import Ending, RunDetails, RunStatus, StoreOutage
from swarmdeck.store import Batch

T0 = 1_765_300_000
HEADER = Header(journal_id="5d0c" * 8, run_id=7, database="postgresql+psycopg://u:***@db/r",
                started_at=datetime(2026, 12, 9, 12, 0, 0, 123456, tzinfo=UTC), pid=4242,
                hostname="gen-1")

names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
latencies = st.lists(st.integers(1, 60_000_000), max_size=20)


@st.composite
def intervals(draw: st.DrawFn) -> EndpointInterval:
    ok, failed = draw(latencies), draw(latencies)
    histogram = LatencyHistogram()
    for value in ok:
        histogram.record(value)
    failed_histogram = None
    if failed:
        failed_histogram = LatencyHistogram()
        for value in failed:
            failed_histogram.record(value)
    service = draw(st.none() | latencies)  # an open-model run's time from the send
    service_histogram = None
    if service is not None:
        service_histogram = LatencyHistogram()
        for value in service:
            service_histogram.record(value)
    return EndpointInterval(
        service_histogram=service_histogram,
        start=T0 + draw(st.integers(0, 3600)), method=draw(st.sampled_from(["GET", "POST"])),
        name=draw(names), region=draw(st.sampled_from(["local", "eu-west"])),
        requests=len(ok) + len(failed), failures=len(failed),
        bytes=draw(st.integers(0, 10**9)), histogram=histogram,
        errors=Counter({draw(names): len(failed)} if failed else {}),
        failed_histogram=failed_histogram)


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    seq = draw(st.integers(1, 10**6))
    return Batch(key=f"{HEADER.journal_id}:{seq}", intervals=tuple(draw(st.lists(
        intervals(), max_size=4))), users=tuple(draw(st.lists(st.tuples(
            st.floats(T0, T0 + 3600), st.integers(0, 10_000)), max_size=3))))


FINISH = Finish(key=f"{HEADER.journal_id}:finish", status=RunStatus.DEGRADED,
                ended_at=datetime(2026, 12, 9, 12, 1, 0, tzinfo=UTC),
                message="the results database did not answer from 12:00:08Z ...",
                details=RunDetails(ending=Ending.STORE_AWAY, locust_requests=9,
                                   store_outages=(StoreOutage(T0 + 8.0, None, 4, "refused"),)))


def journal(records: list[Record]) -> bytes:
    return b"".join(encode(r) for r in records)


def wire(record: Record) -> object:
    """A record as comparable data (histograms by their encoding)."""
    if isinstance(record, Batch):
        return (record.key, [i.to_wire() for i in record.intervals], record.users)
    return record


@settings(max_examples=60, deadline=None)
@given(st.lists(batches(), max_size=6))
def test_every_record_reads_back_as_written(written: list[Batch]) -> None:
    records: list[Record] = [HEADER, *written, FINISH]
    parsed = parse(journal(records))
    assert parsed.problems == []
    assert [wire(r) for _, _, r in parsed.records] == [wire(r) for r in records]
    data = journal(records)
    for offset, length, record in parsed.records:  # offsets find each record again
        assert wire(decode(data[offset:offset + length - 1])) == wire(record)


@settings(max_examples=60, deadline=None)
@given(st.lists(batches(), min_size=1, max_size=5), st.data())
def test_a_journal_cut_anywhere_reads_its_whole_records_and_calls_the_rest_torn(
        written: list[Batch], data: st.DataObject) -> None:
    records: list[Record] = [HEADER, *written]
    full = journal(records)
    cut = data.draw(st.integers(0, len(full)))
    parsed = parse(full[:cut])
    whole = [wire(r) for _, _, r in parsed.records]
    assert whole == [wire(r) for r in records[:len(whole)]]  # a prefix, in order
    ends = [sum(len(encode(r)) for r in records[:n]) for n in range(len(records) + 1)]
    if cut in ends:  # cut between two lines: nothing torn
        assert parsed.problems == []
    else:
        (problem,) = parsed.problems
        assert problem.torn and problem.offset == ends[len(whole)]
        assert "torn" in problem.describe()


@settings(max_examples=100, deadline=None)
@given(st.lists(batches(), min_size=2, max_size=4), st.data())
def test_a_damaged_byte_never_yields_a_record_that_was_not_written(
        written: list[Batch], data: st.DataObject) -> None:
    records: list[Record] = [HEADER, *written, FINISH]
    full = bytearray(journal(records))
    at = data.draw(st.integers(0, len(full) - 1))
    full[at] = data.draw(st.integers(0, 255).filter(lambda b: b != full[at]))
    parsed = parse(bytes(full))
    originals = [wire(r) for r in records]
    read = [wire(r) for _, _, r in parsed.records]
    assert all(r in originals for r in read)
    assert len(read) >= len(records) - 2  # a newline damaged joins two lines
    # the damage is reported, unless it changed nothing that counts (a checksum's hex digit
    # in the other case: "3f1c" and "3F1C" are the same number)
    assert parsed.problems or read == originals


def test_a_torn_last_record_is_found_by_its_checksum() -> None:
    """The writer died after the newline of a record whose bytes did not all reach the
    disk (a page written, the next one not): the line is whole, its checksum is not."""
    batch = Batch(key=f"{HEADER.journal_id}:1", users=((T0 + 1.0, 10),))
    line = encode(batch)
    torn = line[:-10] + b"\0" * 9 + b"\n"
    parsed = parse(encode(HEADER) + torn)
    assert [r for _, _, r in parsed.records] == [HEADER]
    (problem,) = parsed.problems
    assert problem.torn and problem.reason == "checksum mismatch"
    assert problem.offset == len(encode(HEADER))
