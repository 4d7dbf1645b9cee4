"""The SQL engine path (DuckDB over the log files) beside the file path, in the same run.

    python benchmarks/usage_sql.py [--events 1000000] [--workers 2] [--corpus DIR]

Uses the corpus of ``benchmarks/usage.py`` (generated once, cached). Runs, each in a fresh
process so peak memory is its own:

1. the file path: ``pipeline.run`` on ``--workers`` processes;
2. the SQL path: ``duckdb_engine.run`` (the project's aggregation SQL on DuckDB, ``--workers``
   threads, result rows folded by the file path's fold).

Prints events per second and peak memory (RSS of the process that did the work, and of its
worker processes for the file path) for both, and whether the two usage documents are
identical. DuckDB's figure is what ``usage --engine duckdb`` gives; Athena and CloudTrail
Lake run the same SQL on AWS's engines, where only the aggregate travels back.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from usage import generate, in_fresh_process  # noqa: E402  (benchmarks/usage.py: the same corpus)


def _doc_text(doc: dict) -> str:
    return json.dumps({k: v for k, v in doc.items() if k not in ("created_at", "sources")}, sort_keys=True)


def _run(engine: str, corpus: str, workers: int, q) -> None:
    from iam_analyzer.collect.cloudtrail.pipeline import Window, run, to_document
    from iam_analyzer.collect.cloudtrail.sources import FolderSource

    src = FolderSource(corpus)
    units = list(src.units())
    t = time.perf_counter()
    if engine == "duckdb":
        from iam_analyzer.collect.cloudtrail import duckdb_engine

        agg = duckdb_engine.run(units, Window(), threads=workers)
    else:
        agg = run(units, Window(), workers=workers)
    wall = time.perf_counter() - t
    doc = to_document(agg, Window(), [src.describe()])
    q.put((wall, agg.events, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, _doc_text(doc)))


def measured(engine: str, corpus: Path, workers: int):
    return in_fresh_process(_run, engine, str(corpus), workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--corpus", default="/tmp/iam-analyzer-bench/cloudtrail")
    args = ap.parse_args()
    corpus = Path(args.corpus) / str(args.events)
    generate(corpus, args.events)
    size = sum(f.stat().st_size for f in corpus.rglob("*.json.gz"))
    print(f"corpus: {args.events:,} events, {size / 2**20:.0f} MiB gzipped, {args.workers} workers/threads")
    results = {}
    for engine in ("files", "duckdb"):
        wall, events, self_mib, child_mib, doc = measured(engine, corpus, args.workers)
        results[engine] = doc
        mem = f"{self_mib:.0f} MiB" + (f" parent, {child_mib:.0f} MiB per worker" if engine == "files" else " (one process)")
        label = "file path (usage)" if engine == "files" else "SQL on DuckDB (usage --engine duckdb)"
        print(f"{label:40s} {events / wall:>10,.0f} events/s  ({wall:.1f} s)  peak {mem}")
    print(f"identical usage documents: {results['files'] == results['duckdb']}")


if __name__ == "__main__":
    sys.exit(main())
