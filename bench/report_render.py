"""Benchmark: the HTML report of a 1-hour, 30-endpoint run (issue 6: under 2 s, under 5 MB).

    .venv/bin/python bench/report_render.py [--seconds 3600] [--endpoints 30] [--rounds 5]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --no-postgres]

Builds the synthetic run of bench/synthetic.py through the store API (one
``add_intervals`` per second of 30 one-second intervals, then ``finish_run`` and its
rollups) in a temp SQLite file, and in a temp PostgreSQL database when the server is
reachable. Then times, in rounds, ``run_document`` (the store reads and the document) and
``render_html`` (JSON and template) separately, and the whole ``write_html``; alternating
which of document-only and whole-file goes first. Prints medians, the file size and the
document's parts by size. ``--compare`` also builds a second such run and times the
compare report of the two.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from swarmdeck.report.document import run_document
from swarmdeck.report.html import render_html, write_html
from swarmdeck.store import Store
from synthetic import DEFAULT_POSTGRES, T0, databases, write_run

TARGET_S = 2.0
TARGET_BYTES = 5_000_000


def bench(label: str, url: str, seconds: int, endpoints: int, rounds: int,
          out: Path, compare: bool = False) -> None:
    print(f"\n== {label}: {seconds} s x {endpoints} endpoints", flush=True)
    with Store.open(url) as store:
        run = write_run(store, start=T0, seconds=seconds, endpoints=endpoints,
                        tag="report_render")
        run_id = run.run_id
        print(f"  built in {run.write_s:.0f} s (+ {run.finish_s:.1f} s rollups)", flush=True)
        times: dict[str, list[float]] = {"document": [], "render": [], "write": []}
        path = out / f"report-{label}.html"
        for round_ in range(rounds):
            def doc_only() -> None:
                began = time.perf_counter()
                document = run_document(store, run_id)
                times["document"].append(time.perf_counter() - began)
                began = time.perf_counter()
                render_html(document)
                times["render"].append(time.perf_counter() - began)

            def whole() -> None:
                began = time.perf_counter()
                write_html(store, run_id, path)
                times["write"].append(time.perf_counter() - began)

            for job in ((doc_only, whole) if round_ % 2 == 0 else (whole, doc_only)):
                job()
            print(f"  round {round_ + 1}: document {times['document'][-1]:.3f} s, render "
                  f"{times['render'][-1]:.3f} s, write_html {times['write'][-1]:.3f} s",
                  flush=True)
        document = run_document(store, run_id)
        if compare:
            other = write_run(store, start=T0, seconds=seconds, endpoints=endpoints,
                              tag="report_render").run_id
            compare_times = []
            for _ in range(rounds):
                began = time.perf_counter()
                write_html(store, other, out / f"compare-{label}.html", compare_to=run_id)
                compare_times.append(time.perf_counter() - began)
            print(f"  {label}: compare report (two such runs) median "
                  f"{statistics.median(compare_times):.3f} s, "
                  f"{(out / f'compare-{label}.html').stat().st_size / 1e6:.2f} MB")
    size = path.stat().st_size
    parts = {k: len(json.dumps(v, separators=(",", ":"))) for k, v in document.items()}
    median = statistics.median(times["write"])
    print(f"  {label}: write_html median {median:.3f} s "
          f"({'OK' if median < TARGET_S else 'OVER'} < {TARGET_S:.0f} s); document median "
          f"{statistics.median(times['document']):.3f} s, render median "
          f"{statistics.median(times['render']):.3f} s")
    print(f"  {label}: file {size / 1e6:.2f} MB "
          f"({'OK' if size < TARGET_BYTES else 'OVER'} < 5 MB); timeline step "
          f"{document['timeline']['step_s']} s ({len(document['timeline']['t'])} points), "
          f"per-endpoint step {document['endpoint_timelines']['step_s']} s "
          f"({len(document['endpoint_timelines']['t'])} points x "
          f"{len(document['endpoint_timelines']['series'])} endpoints)")
    print("  document parts (bytes of JSON): " + ", ".join(
        f"{k} {v:,}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1])[:6]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--endpoints", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--compare", action="store_true",
                        help="also build a second run and time the compare report")
    parser.add_argument("--keep", type=Path, default=None,
                        help="folder to keep the written reports in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = args.keep or Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for label, url in databases(Path(folder), args.postgres,
                                    postgres=not args.no_postgres):
            bench(label, url, args.seconds, args.endpoints, args.rounds, out, args.compare)


if __name__ == "__main__":
    main()
