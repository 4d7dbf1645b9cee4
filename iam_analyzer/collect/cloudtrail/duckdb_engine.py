"""Usage through DuckDB: the project's aggregation SQL over CloudTrail log files on disk.

``usage --engine duckdb --cloudtrail PATH`` runs ``sql.build_query("duckdb", ...)`` over the
files ``FolderSource`` lists (the same date folders inside the window), DuckDB reads the
gzipped JSON on its own threads, and the result rows go through the file path's fold
(``sql.RowFolder``). It is how the SQL that Athena and CloudTrail Lake run is tested here, and
a second local engine.

Files not in the shape CloudTrail delivers (``{"Records": [...]}``: JSON arrays, JSON Lines,
lookup-events output) are read by the file path's reader into the same aggregate. A file
DuckDB cannot read (truncated gzip, not JSON) is reported and skipped like on the file path.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass

import duckdb

from iam_analyzer.collect.cloudtrail.aggregate import Aggregate, Folder, Pending
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
        return True  # let DuckDB fail on it and report it like any unreadable file
    return raw.lstrip()[:1] == b"{" and b'"Records"' in raw


def relation(files: list[str]) -> str:
    """The records of ``files`` as a relation with the Athena table's column names (and
    ``pj``: the request parameters that name resources, in ``sql.PARAM_FIELDS`` order)."""
    listed = ", ".join(quote(f) for f in files)
    paths = [f"$.{f}" for f in _FIELDS] + [f'$.requestParameters."{j}"' for _, j in PARAM_FIELDS]
    n = len(_FIELDS)
    cols = {name.lower(): f"v[{i + 1}] ->> '$'" for i, name in enumerate(_FIELDS) if "." not in name}
    return (
        "(SELECT " + ", ".join(f"{expr} AS {col}" for col, expr in cols.items()) + ", "
        "{'arn': v[5] ->> '$', 'sessioncontext': {'sessionissuer': {'arn': v[6] ->> '$'}}} AS useridentity, "
        "json_extract_string(r, '$.resources[*].ARN') AS resources, "
        f"v[{n + 1}:] AS pj "
        "FROM (SELECT r, json_extract(r, [" + ", ".join(quote(p) for p in paths) + "]) AS v "
        "FROM (SELECT unnest(json_extract(json, '$.Records[*]')) AS r "
        f"FROM read_json_objects([{listed}], format='unstructured', maximum_object_size={_MAX_OBJECT}))))"
    )


def estimate(units: list[Unit]) -> Estimate:
    sizes = [os.path.getsize(u.location) for u in units if u.kind == "file" and os.path.exists(u.location)]
    return Estimate(files=len(sizes), bytes=sum(sizes))


class _Filtered(Pending):
    """The file path's counting, keeping only the accounts and regions the query keeps."""

    def __init__(self, folder: Folder, filters: Filters):
        super().__init__(folder)
        self.accounts, self.regions = set(filters.accounts), set(filters.regions)

    def add(self, records: list, since: str | None, until: str | None) -> None:
        if self.accounts or self.regions:
            records = [r for r in records if (not self.accounts or r.recipientAccountId in self.accounts)
                       and (not self.regions or r.awsRegion in self.regions)]
        super().add(records, since, until)


def _connect(threads: int | None):
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    return con


def _unreadable(con, files: list[str], message: str) -> list[tuple[str, str]]:
    """Which files broke the query: the one the error names, else each file probed alone."""
    named = [f for f in files if f in message]
    if named:
        return [(named[0], _reason(message))]
    out = []
    for f in files:
        try:
            con.execute(f"SELECT count(*) FROM {relation([f])}").fetchall()
        except Exception as e:  # noqa: BLE001 - any DuckDB error marks the file unreadable
            out.append((f, _reason(str(e))))
    return out


def _reason(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    if "GZIP" in first or "gzip" in first:
        return "truncated gzip file"
    return f"not a CloudTrail log file: {first}"[:300]


def run(units: list[Unit], window: Window, filters: Filters | None = None, threads: int | None = None,
        max_scan_bytes: int | None = None, batch: int = 50_000) -> Aggregate:
    """Aggregate the files of ``units`` with DuckDB (other units through the file path).
    Refuses (``ScanLimitExceeded``) before reading when the files weigh more than the cap."""
    filters = filters or Filters(since=window.since, until=window.until)
    if max_scan_bytes is not None:
        size = estimate(units).bytes
        if size > max_scan_bytes:
            raise ScanLimitExceeded(size, max_scan_bytes, estimated=True)
    files = [u.location for u in units if u.kind == "file"]
    delivered = [f for f in files if _is_delivered_shape(f)]
    in_sql = set(delivered)
    others = [u for u in units if u.kind != "file" or u.location not in in_sql]
    agg = Aggregate()
    rows = RowFolder(agg)
    con = _connect(threads)
    pending_files = list(delivered)
    for _ in range(len(pending_files) + 1):
        if not pending_files:
            break
        try:
            cur = con.execute(build_query("duckdb", relation(pending_files), filters))
            while True:
                chunk = cur.fetchmany(batch)
                if not chunk:
                    break
                rows.add(chunk)
            break
        except Exception as e:  # noqa: BLE001 - a bad file must not stop the rest: find it, retry
            if rows.rows:  # rows were folded already: cannot retry without counting twice
                raise
            bad = _unreadable(con, pending_files, str(e))
            if not bad:
                raise
            agg.skipped.extend([p, r] for p, r in bad)
            dropped = {p for p, _ in bad}
            pending_files = [f for f in pending_files if f not in dropped]
    rows.flush()
    for f in pending_files:
        note_file_read(agg, f)
    if others:  # other shapes: the file path's reader, into the same aggregate and filters
        pending = _Filtered(Folder(agg), filters)
        for u in others:
            process_unit(u, window, agg, pending)
        pending.flush()
    con.close()
    return agg
