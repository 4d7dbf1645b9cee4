"""What DuckDB may use, and which files it reads exactly as the file path does.

Two engines, one answer: ``duckdb_engine`` aggregates in SQL only the files that the file
path's fast decoding would read whole and unchanged; every other file is read by the file
path's own reader. ``sql_files`` decides, with one query over the candidate files that checks
each record against the types of ``records.Record`` and its event time against the file
path's rule (``counting``). A file goes to the file path when:

* any record would not decode as ``records.Record`` (a wrong type, a null where a string is
  required, a record that is not an object, nested arrays in a parameter), or has an event
  time the file path drops (not a CloudTrail time, past the horizon);
* ``Records`` is not a list, or the file is anything but one JSON object;
* its name holds a character DuckDB expands as a glob (``*``, ``?``, ``[``, ``{``);
* it expands to more than a thread can parse within DuckDB's memory limit (DuckDB needs
  about twelve times a JSON object's size), or DuckDB fails on it in any way.

The check is conservative: a file sent to the file path for no good reason costs only time.
"""

from __future__ import annotations

import os
import re
import resource
import struct
from dataclasses import dataclass

from iam_analyzer.collect.cloudtrail.counting import EVENT_TIME_PATTERN, HORIZON
from iam_analyzer.collect.cloudtrail.sql import PARAM_FIELDS, quote

REQUIRED = ("eventTime", "eventSource", "eventName", "awsRegion")  # "" when missing, as records.Record says
GLOB = re.compile(r"[*?\[\]{}]")


def memory_budget() -> int:
    """Bytes this process may use: the least of physical memory, the cgroup's limit and the
    address-space and data limits (``ulimit -v`` / ``-d``)."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        soft = resource.getrlimit(getattr(resource, name))[0] if hasattr(resource, name) else -1
        if soft != resource.RLIM_INFINITY and soft > 0:
            limits.append(soft)
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            limits.append(int(text))
    return min(limits) if limits else 4 << 30


@dataclass(frozen=True)
class Limits:
    memory: int  # DuckDB's memory_limit, bytes
    threads: int
    largest: int  # a file expanding past this is read by the file path

    @property
    def max_object(self) -> int:
        return 2 * self.largest


def limits(threads: int | None = None, budget: int | None = None) -> Limits:
    """Half the budget for DuckDB; a thread per core (at most 8), fewer when memory is short;
    and the largest file each thread can parse within its share."""
    memory = max(256 << 20, (budget or memory_budget()) // 2)
    n = threads or max(1, min(os.cpu_count() or 1, 8, memory // (256 << 20)))
    return Limits(memory, n, max(4 << 20, min(256 << 20, memory // (16 * n))))


def expanded_size(path: str) -> int:
    """What a file expands to: a gzip file's recorded size (its last four bytes; a file of
    several members records only its last, which is why DuckDB errors fall back too), else
    its size on disk."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b" or size < 18:
                return size
            fh.seek(-4, os.SEEK_END)
            return max(size, struct.unpack("<I", fh.read(4))[0])
    except OSError:
        return 0


_OPT_STR = ("NULL", "VARCHAR")
# records.Value without arrays: atoms and objects (DOUBLE left out: msgspec refuses what
# overflows a float, and a float is never a name)
_ATOMS = ("NULL", "VARCHAR", "BIGINT", "UBIGINT", "BOOLEAN", "OBJECT")
_UI = "$.userIdentity"
_SI = f"{_UI}.sessionContext.sessionIssuer"
# (path, types it may have; missing is always allowed): read with one json_type call per record
_TYPED: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((f"$.{f}", ("VARCHAR",)) for f in REQUIRED[1:]),
    *((f"$.{f}", _OPT_STR) for f in ("errorCode", "eventCategory", "eventType", "recipientAccountId")),
    ("$.managementEvent", ("NULL", "BOOLEAN")),
    (_UI, ("OBJECT",)), (f"{_UI}.sessionContext", ("OBJECT",)), (_SI, ("OBJECT",)),
    *((p, _OPT_STR) for p in (f"{_UI}.type", f"{_UI}.arn", f"{_UI}.invokedBy", f"{_SI}.arn", f"{_SI}.type")),
    ("$.requestParameters", ("NULL", "OBJECT")),
    ("$.resources", ("NULL", "ARRAY")),
)
_PARAMS = tuple(f'$.requestParameters."{j}"' for _, j in PARAM_FIELDS)
_PATHS = ("$", "$.eventTime", *(p for p, _ in _TYPED), *_PARAMS)


def _in(expr: str, types: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(quote(t) for t in types)})"


def record_ok() -> str:
    """SQL over ``r`` (a record) and ``t`` (``json_type`` of ``r`` at ``_PATHS``), true when the
    record decodes as ``records.Record`` unchanged and its event time (``et``) is one the
    file path keeps. Each record's JSON is parsed a few times, not once per field."""
    at = {p: i + 1 for i, p in enumerate(_PATHS)}
    checks = ["t[1] = 'OBJECT'", f"t[{at['$.eventTime']}] = 'VARCHAR'",
              f"regexp_full_match(et, {quote(EVENT_TIME_PATTERN)})", f"et <= {quote(HORIZON)}"]
    checks += [f"coalesce({_in(f't[{at[p]}]', types)}, TRUE)" for p, types in _TYPED]
    for p in _PARAMS:
        i = at[p]
        # CASE, not OR: DuckDB evaluates a CASE branch only for the rows that take it
        checks.append(f"CASE WHEN t[{i}] = 'ARRAY' THEN len(list_filter(json_type(r, {quote(p + '[*]')}), "
                      f"lambda x: NOT {_in('x', _ATOMS)})) = 0 ELSE coalesce({_in(f't[{i}]', _ATOMS)}, TRUE) END")
    checks.append(f"CASE WHEN t[{at['$.resources']}] = 'ARRAY' THEN len(list_filter("
                  "json_extract(r, '$.resources[*]'), lambda e: json_type(e) <> 'OBJECT' "
                  "OR coalesce(json_type(e, '$.ARN') NOT IN ('NULL', 'VARCHAR'), FALSE))) = 0 ELSE TRUE END")
    return " AND ".join(f"({c})" for c in checks)


def check_query(files: list[str], max_object: int) -> str:
    """One row per file DuckDB can read: whether it is one JSON object whose ``Records`` is a
    list of records the SQL path reads exactly as the file path does."""
    listed = ", ".join(quote(f) for f in files)
    paths = ", ".join(quote(p) for p in _PATHS)
    return (
        "WITH f AS (SELECT filename, json FROM read_json_objects("
        f"[{listed}], format='unstructured', filename=true, maximum_object_size={max_object})),\n"
        "shaped AS (SELECT filename, count(*) = 1 AND bool_and(json_type(json) = 'OBJECT' "
        "AND coalesce(json_type(json, '$.Records') = 'ARRAY', FALSE)) AS ok FROM f GROUP BY filename),\n"
        "recs AS (SELECT filename, unnest(json_extract(json, '$.Records[*]')) AS r FROM f "
        "WHERE json_type(json) = 'OBJECT' AND json_type(json, '$.Records') = 'ARRAY'),\n"
        f"typed AS (SELECT filename, r, json_type(r, [{paths}]) AS t, json_extract_string(r, '$.eventTime') AS et "
        "FROM recs),\n"
        f"bad AS (SELECT DISTINCT filename FROM typed WHERE NOT coalesce({record_ok()}, FALSE))\n"
        "SELECT s.filename, s.ok AND b.filename IS NULL FROM shaped s LEFT JOIN bad b ON b.filename = s.filename"
    )


def sql_files(con, files: list[str], lim: Limits, chunk: int = 16) -> tuple[list[str], list[str]]:
    """(files DuckDB aggregates, files the file path reads), each in the order given."""
    candidates = [f for f in files if not GLOB.search(f) and expanded_size(f) <= lim.largest]
    ok: set[str] = set()
    for i in range(0, len(candidates), chunk):
        part = candidates[i:i + chunk]
        try:
            rows = con.execute(check_query(part, lim.max_object)).fetchall()
        except Exception:  # noqa: BLE001 - some file DuckDB cannot read: each alone, else the file path
            rows = []
            for f in part:
                try:
                    rows.extend(con.execute(check_query([f], lim.max_object)).fetchall())
                except Exception:  # noqa: BLE001
                    continue
        ok.update(f for f, good in rows if good)
    return [f for f in files if f in ok], [f for f in files if f not in ok]
