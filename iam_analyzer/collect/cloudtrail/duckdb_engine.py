"""Usage through DuckDB: the project's aggregation SQL over CloudTrail log files on disk.

``usage --engine duckdb --cloudtrail PATH`` runs ``sql.build_query("duckdb", ...)`` over the
files ``FolderSource`` lists (the same date folders inside the window), DuckDB reads the
gzipped JSON on its own threads, and the result rows go through the file path's fold
(``sql.RowFolder``). It is how the SQL that Athena and CloudTrail Lake run is tested here, and
a second local engine.

Two engines, one answer: DuckDB aggregates only files the file path's fast decoding would
read whole, unchanged (``duckdb_checks.sql_files``: every record of the right types, event
times the file path keeps, a name that is no glob, a size DuckDB can parse within its memory
limit). Every other file, and any file DuckDB fails on, is read by the file path's own reader
into the same aggregate, which keeps, coerces, counts or skips exactly as ``--engine files``
does. So are files not in the shape CloudTrail delivers (JSON arrays, JSON Lines,
lookup-events output). Files are always given to DuckDB as a list of names, never a pattern.

DuckDB runs with a memory limit and a thread count derived from the memory this process may
use (physical memory, the cgroup's limit, ``RLIMIT_AS``/``RLIMIT_DATA``), and spills to a
private temporary folder, never the working directory.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass

import duckdb

from iam_analyzer.collect.cloudtrail.aggregate import Aggregate, Folder, Pending
from iam_analyzer.collect.cloudtrail.duckdb_checks import REQUIRED, Limits, limits, sql_files
from iam_analyzer.collect.cloudtrail.pipeline import Window, note_file_read, process_unit
from iam_analyzer.collect.cloudtrail.sources import Unit
from iam_analyzer.collect.cloudtrail.sql import PARAM_FIELDS, Filters, RowFolder, ScanLimitExceeded, build_query, quote

# The record fields the query reads, extracted in one pass over each record's JSON. DuckDB's
# read_json with a declared STRUCT type was measured several times slower on CloudTrail's
# one-object-per-file layout than reading each file as one JSON value and extracting paths.
_FIELDS = ("eventTime", "eventSource", "eventName", "awsRegion", "userIdentity.arn",
           "userIdentity.sessionContext.sessionIssuer.arn", "errorCode", "eventCategory", "managementEvent",
           "eventType", "recipientAccountId")
_MAX_OBJECT = 1 << 30  # a CloudTrail file is one JSON object; DuckDB's default limit (16 MB) is too small


@dataclass
class Estimate:
    files: int
    bytes: int  # compressed bytes on disk: what DuckDB will read


def _is_delivered_shape(path: str) -> bool:
    """Does the file look like CloudTrail's own ``{"Records": [...]}``? Reads a few bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            raw = gzip.GzipFile(fileobj=fh).read(64) if head == b"\x1f\x8b" else fh.read(64)
    except (OSError, EOFError, zlib.error):
        return True  # the check query fails on it, and the file path reports it
    return raw.lstrip()[:1] == b"{" and b'"Records"' in raw


def relation(files: list[str], max_object: int = _MAX_OBJECT) -> str:
    """The records of ``files`` as a relation with the Athena table's column names (and
    ``pj``: the request parameters that name resources, in ``sql.PARAM_FIELDS`` order)."""
    listed = ", ".join(quote(f) for f in files)
    paths = [f"$.{f}" for f in _FIELDS] + [f'$.requestParameters."{j}"' for _, j in PARAM_FIELDS]
    n = len(_FIELDS)
    cols = {name.lower(): (f"coalesce(v[{i + 1}] ->> '$', '')" if name in REQUIRED else f"v[{i + 1}] ->> '$'")
            for i, name in enumerate(_FIELDS) if "." not in name}
    return (
        "(SELECT " + ", ".join(f"{expr} AS {col}" for col, expr in cols.items()) + ", "
        "{'arn': v[5] ->> '$', 'sessioncontext': {'sessionissuer': {'arn': v[6] ->> '$'}}} AS useridentity, "
        "json_extract_string(r, '$.resources[*].ARN') AS resources, "
        f"v[{n + 1}:] AS pj "
        "FROM (SELECT r, json_extract(r, [" + ", ".join(quote(p) for p in paths) + "]) AS v "
        "FROM (SELECT unnest(json_extract(json, '$.Records[*]')) AS r "
        f"FROM read_json_objects([{listed}], format='unstructured', maximum_object_size={max_object}))))"
    )


def estimate(units: list[Unit]) -> Estimate:
    sizes = [os.path.getsize(u.location) for u in units if u.kind == "file" and os.path.exists(u.location)]
    return Estimate(files=len(sizes), bytes=sum(sizes))


class _Filtered(Pending):
    """The file path's counting, keeping only the accounts and regions the query keeps."""

    def __init__(self, folder: Folder, filters: Filters):
        super().__init__(folder)
        self.accounts, self.regions = set(filters.accounts), set(filters.regions)

    def add(self, records: list, since: str | None, until: str | None) -> int:
        if self.accounts or self.regions:
            records = [r for r in records if (not self.accounts or r.recipientAccountId in self.accounts)
                       and (not self.regions or r.awsRegion in self.regions)]
        return super().add(records, since, until)  # records dropped for their event time


def _connect(lim: Limits, temp_dir: str):
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(lim.threads)}")
    con.execute(f"SET memory_limit = '{int(lim.memory) >> 20}MB'")
    con.execute(f"SET temp_directory = {quote(temp_dir)}")  # spills here, never in the working directory
    con.execute("SET preserve_insertion_order = false")
    return con


def run(units: list[Unit], window: Window, filters: Filters | None = None, threads: int | None = None,
        max_scan_bytes: int | None = None, batch: int = 50_000) -> Aggregate:
    """Aggregate the files of ``units`` with DuckDB; other units, and files DuckDB would not read
    exactly as the file path does, through the file path into the same aggregate.
    Refuses (``ScanLimitExceeded``) before reading when the files weigh more than the cap."""
    filters = filters or Filters(since=window.since, until=window.until)
    if max_scan_bytes is not None:
        size = estimate(units).bytes
        if size > max_scan_bytes:
            raise ScanLimitExceeded(size, max_scan_bytes, estimated=True)
    delivered = [u.location for u in units if u.kind == "file" and _is_delivered_shape(u.location)]
    lim = limits(threads)
    agg = Aggregate()
    temp_dir = tempfile.mkdtemp(prefix="iam-analyzer-duckdb-")
    try:
        con = _connect(lim, temp_dir)
        try:
            in_sql, _ = sql_files(con, delivered, lim)
            done = set(_aggregate(con, in_sql, filters, agg, lim, batch)) if in_sql else set()
        finally:
            con.close()
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    others = [u for u in units if u.kind != "file" or u.location not in done]
    if others:
        pending = _Filtered(Folder(agg), filters)
        for u in others:
            process_unit(u, window, agg, pending)
        pending.flush()
    return agg


def _aggregate(con, files: list[str], filters: Filters, agg: Aggregate, lim: Limits, batch: int) -> list[str]:
    """The aggregation query over ``files``; the files it counted (none when DuckDB fails on
    them after the check: the file path reads them all then)."""
    rows = RowFolder(agg)
    try:
        cur = con.execute(build_query("duckdb", relation(files, lim.max_object), filters))
        chunk = cur.fetchmany(batch)
        while chunk:
            rows.add(chunk)
            chunk = cur.fetchmany(batch)
    except duckdb.Error:
        if rows.rows:  # rows were folded already: handing the files over would count them twice
            raise
        return []
    rows.flush()
    for f in files:
        note_file_read(agg, f)
    return files
