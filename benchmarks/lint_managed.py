"""Lint every AWS managed policy document that moto ships; print documents per second.

    python benchmarks/lint_managed.py [--repeat N]

Figures printed: catalog load time, documents, statements, parse+lint throughput, peak
memory (tracemalloc) and the findings by id, so a change in speed or in verdicts shows.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
import tracemalloc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="passes over the corpus (best is reported)")
    args = ap.parse_args()

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    docs = [m["Document"] for m in json.loads(aws_managed_policies_data).values()]

    t0 = time.perf_counter()
    from iam_analyzer.iam.catalog import default_catalog
    from iam_analyzer.analyze.lint import lint_document

    cat = default_catalog()
    load = time.perf_counter() - t0

    best = None
    counts: collections.Counter = collections.Counter()
    for _ in range(args.repeat):
        counts.clear()
        t = time.perf_counter()
        for doc in docs:
            findings, _ = lint_document(doc, cat)
            counts.update(f.id for f in findings)
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
    tracemalloc.start()  # a separate pass: tracing slows Python down several times
    for doc in docs:
        lint_document(doc, cat)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    statements = sum(len(d["Statement"]) if isinstance(d["Statement"], list) else 1 for d in docs)
    print(f"catalog: {cat.info.source} {cat.info.version} ({cat.info.date}), loaded in {load:.2f} s")
    print(f"documents: {len(docs)}  statements: {statements}")
    print(f"best of {args.repeat}: {best:.2f} s  ->  {len(docs) / best:,.0f} documents/s")
    print(f"peak traced memory while linting: {peak / 2**20:.1f} MiB")
    print("findings:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
