"""The usage aggregation as SQL, for engines that run it next to the logs (Athena, CloudTrail
Lake) or over the local files (DuckDB), and the fold of its result rows.

The query groups events by exactly the *raw key* the file path counts records by
(``aggregate.RAW_KEY``: caller, session, event source and name, category, error, event type,
region, account, every request parameter that names a resource, the resources' ARNs) and by
UTC day of event time. Each result row is turned back into that raw key and handed to the
same ``aggregate.Folder`` the file path uses, so the usage document is the same by
construction: only the counting moves into the engine, and only the aggregate travels.

Pure text generation, no engine and no AWS here: ``duckdb_engine`` and ``collect.aws.athena``
run it. Three dialects:

* ``athena``: the table the CloudTrail console (or the Athena docs' CREATE TABLE, with or
  without partition projection) makes: lower-case columns, ``requestparameters`` a JSON
  string, ``resources`` an array of rows with ``arn``. Trino functions.
* ``lake``: a CloudTrail Lake event data store: ``eventTime`` a timestamp,
  ``requestParameters`` a map of strings. Trino functions.
* ``duckdb``: CloudTrail's own gzipped files read with ``read_json`` and ``unnest(Records)``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import msgspec

from iam_analyzer.collect.cloudtrail.aggregate import Aggregate, Folder
from iam_analyzer.collect.cloudtrail.stats import OBJECT_LIMIT, _max, _min
from iam_analyzer.collect.cloudtrail.records import Params, Resource

DIALECTS = ("athena", "lake", "duckdb")

# (attribute of records.Params, its JSON name in requestParameters)
PARAM_FIELDS: tuple[tuple[str, str], ...] = tuple((f.name, f.encode_name) for f in msgspec.structs.fields(Params))
_LIST_PARAMS = {"names"}  # parameters that hold a list of names (SSM GetParameters)

# The result columns, in order. ``n`` events; first and last event time; ``in_window`` false for
# events of the partitions read that fall outside the time window (counted, not used).
KEY_COLUMNS = ("day", "issuer", "user_arn", "event_source", "event_name", "event_category", "management_event",
               "error_code", "event_type", "aws_region", "recipient_account",
               *(f"p_{name}" for name, _ in PARAM_FIELDS), "resources", "in_window", "key_level")
COLUMNS = KEY_COLUMNS + ("n", "first_time", "last_time")

GB = 1024 ** 3


class ScanLimitExceeded(Exception):
    """A query would scan, or has scanned, more than ``--max-scan-gb``."""

    def __init__(self, scanned: int, cap: int, query_id: str | None = None, estimated: bool = False):
        what = "would scan" if estimated else "scanned"
        super().__init__(f"the query {what} {scanned / GB:.2f} GB, over --max-scan-gb {cap / GB:g}"
                         + (f": stopped ({query_id})" if query_id else ": not started"))
        self.scanned, self.cap, self.query_id = scanned, cap, query_id


_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # ISO UTC time, inclusive ("2026-01-01T00:00:00Z")
    until: str | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def __post_init__(self):
        for t in (self.since, self.until):
            if t is not None and not _TIME.match(t):
                raise ValueError(f"not a UTC time like 2026-01-31T00:00:00Z: {t!r}")
        for a in self.accounts:
            if not _ACCOUNT.match(a):
                raise ValueError(f"not an AWS account id (12 digits): {a!r}")
        for r in self.regions:
            if not _REGION.match(r):
                raise ValueError(f"not an AWS region: {r!r}")


@dataclass(frozen=True)
class AthenaLayout:
    """What the Athena table has, read from its metadata (``athena.table_layout``).

    ``date_partition``/``date_format``: a partition column holding the delivery date
    (partition projection's ``timestamp`` with ``yyyy/MM/dd`` in the AWS docs); or
    ``ymd`` when the table is partitioned by ``year``, ``month``, ``day``. ``region_partition``
    and ``account_partition``: partition columns naming the region and account folders."""

    columns: frozenset[str] = frozenset({"eventcategory"})
    date_partition: str | None = None
    date_format: str = "yyyy/MM/dd"
    ymd: tuple[str, str, str] | None = None
    region_partition: str | None = None
    account_partition: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain SQL name: {name!r}")
    return f'"{name}"'


def table_name(text: str) -> str:
    """DATABASE.TABLE (or TABLE) as a quoted SQL name; anything else is refused."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 2:
        raise ValueError(f"not DATABASE.TABLE: {text!r}")
    return ".".join(_ident(p) for p in parts)


def _java_date(fmt: str, iso: str) -> str:
    """An ISO time written with a partition projection date format (yyyy, MM, dd only)."""
    out = fmt.replace("yyyy", iso[0:4]).replace("MM", iso[5:7]).replace("dd", iso[8:10])
    if re.search(r"[A-Za-z]", out):
        raise ValueError(f"partition date format not understood: {fmt!r}")
    return out


# -- per-dialect expressions ------------------------------------------------------------------


def _trino_param(name: str, json_name: str, dialect: str) -> str:
    if dialect == "lake":  # a map of strings; nested values arrive as JSON text
        return f"element_at(requestParameters, {quote(json_name)})"
    path = quote(f'$["{json_name}"]')
    if name in _LIST_PARAMS:
        return f"json_format(json_extract(requestparameters, {path}))"
    return f"json_extract_scalar(requestparameters, {path})"


def _duck_param(i: int, name: str) -> str:
    v = f"pj[{i + 1}]"
    if name in _LIST_PARAMS:
        return f"CASE WHEN json_type({v}) = 'ARRAY' THEN CAST({v} AS VARCHAR) END"
    # strings only, as the file path's readers use them (a DynamoDB "key" object is no name)
    return f"CASE WHEN json_type({v}) = 'VARCHAR' THEN {v} ->> '$' END"


def _window(col: str, f: Filters, literal) -> str:
    parts = []
    if f.since:
        parts.append(f"{col} >= {literal(f.since)}")
    if f.until:
        parts.append(f"{col} <= {literal(f.until)}")
    return " AND ".join(parts) or "TRUE"


def _lake_time(iso: str) -> str:
    return f"TIMESTAMP {quote(iso[:10] + ' ' + iso[11:19])}"


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN ({', '.join(quote(v) for v in values)})"


def build_query(dialect: str, source: str, filters: Filters, layout: AthenaLayout | None = None) -> str:
    """The aggregation query. ``source``: the Athena table (DATABASE.TABLE), the Lake event data
    store id, or for DuckDB the relation to read from (see ``duckdb_relation``)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    where: list[str] = []
    if dialect == "lake":
        eds = source.rsplit("/", 1)[-1]
        if not re.match(r"^[A-Za-z0-9-]+$", eds):
            raise ValueError(f"not an event data store id: {source!r}")
        rel = eds
        time_col = "eventTime"
        day = "date_format(eventTime, '%Y-%m-%d')"
        params = [_trino_param(n, j, dialect) for n, j in PARAM_FIELDS]
        resources = "transform(resources, r -> r.arn)"
        management = "CAST(managementEvent AS varchar)"
        category = "eventCategory"
        in_window = "TRUE"  # the window is in the WHERE clause: nothing outside it is read
        where.append(_window(time_col, filters, _lake_time))
        first, last = ("date_format(min(eventTime), '%Y-%m-%dT%H:%i:%sZ')",
                       "date_format(max(eventTime), '%Y-%m-%dT%H:%i:%sZ')")
    elif dialect == "athena":
        layout = layout or AthenaLayout()
        rel = table_name(source)
        time_col = "eventtime"
        day = "substr(eventtime, 1, 10)"
        params = [_trino_param(n, j, dialect) for n, j in PARAM_FIELDS]
        resources = "transform(resources, r -> r.arn)"
        management = "CAST(managementevent AS varchar)" if "managementevent" in layout.columns else "CAST(NULL AS varchar)"
        category = "eventcategory" if "eventcategory" in layout.columns else "CAST(NULL AS varchar)"
        in_window = _window(time_col, filters, quote)
        where.extend(_athena_partitions(layout, filters))
        first, last = "min(eventtime)", "max(eventtime)"
    else:
        rel = source
        time_col = "eventtime"
        day = "substr(eventtime, 1, 10)"
        params = [_duck_param(i, n) for i, (n, _) in enumerate(PARAM_FIELDS)]
        resources = "resources"  # duckdb_engine.relation: already the list of ARNs
        management = "CAST(managementevent AS VARCHAR)"
        category = "eventcategory"
        in_window = _window(time_col, filters, quote)
        first, last = "min(eventtime)", "max(eventtime)"
    if dialect == "lake":
        issuer, user_arn = "userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.arn"
    else:
        issuer, user_arn = "useridentity.sessioncontext.sessionissuer.arn", "useridentity.arn"
    if filters.accounts:
        where.append(_in("recipientaccountid" if dialect != "lake" else "recipientAccountId", filters.accounts))
    if filters.regions:
        where.append(_in("awsregion" if dialect != "lake" else "awsRegion", filters.regions))
    keys = [day, issuer, user_arn, "eventsource", "eventname", category, management, "errorcode", "eventtype",
            "awsregion", "recipientaccountid", *params, resources, in_window]
    select = ",\n    ".join(f"{expr} AS {col}" for expr, col in zip(keys, _STAGE_COLUMNS))
    group = ", ".join(str(i + 1) for i in range(len(keys)))
    stage = (f"  SELECT\n    {select},\n    count(*) AS n,\n    {first} AS first_time,\n    {last} AS last_time\n"
             f"  FROM {rel}\n")
    if where:
        stage += "  WHERE " + "\n    AND ".join(f"({w})" for w in where) + "\n"
    stage += f"  GROUP BY {group}"
    return _bounded(stage, dialect)


# Stage one counts by the raw key, with the resources' ARNs as an array (``res``); stage two
# bounds the result's size the way the fold bounds memory: S3 object keys are coarsened to
# prefixes (``aggregate.project``) where a caller used more than OBJECT_LIMIT of them, and
# parameters the fold only tests for presence or coarsens anyway (an object version, a log
# stream, a state-machine execution) lose their values. See ``_bounded``.
_STAGE_COLUMNS = tuple("res" if c == "resources" else c for c in KEY_COLUMNS if c != "key_level")


def _proj(key: str, level: int) -> str:
    """``aggregate.project`` in SQL, for levels 1 to 3: the first 4 - level path segments."""
    return f"regexp_extract({key}, '^(?:[^/]*/){{0,{4 - level}}}') || '*'"


def _bounded(stage: str, dialect: str) -> str:
    """Stage two. The coarsening level of a key is decided per (caller, session, event name,
    bucket, versioned or not): the distinct keys such a set holds are a subset of every object
    table of the fold they feed, so the level is never coarser than the fold ends at; the row
    carries it (``key_level``) and the fold lifts its table to it (``Folder.fold``), which is
    how partial aggregates merge. The usage document is therefore unchanged."""
    duck = dialect == "duckdb"
    s3obj = ("event_source = 's3.amazonaws.com' AND p_key IS NOT NULL AND p_bucketName IS NOT NULL "
             "AND p_copy_source IS NULL AND (event_type IS NULL OR event_type = 'AwsApiCall') "
             "AND (issuer IS NOT NULL OR user_arn IS NOT NULL) AND in_window")
    same = " AND ".join(f"s.k_{c} IS NOT DISTINCT FROM a.{c}" for c in ("issuer", "user_arn", "event_name"))
    level = (f"CASE WHEN s.n0 IS NULL OR s.n0 <= {OBJECT_LIMIT} THEN 0 WHEN s.n1 <= {OBJECT_LIMIT} THEN 1 "
             f"WHEN s.n2 <= {OBJECT_LIMIT} THEN 2 WHEN s.n3 <= {OBJECT_LIMIT} THEN 3 ELSE 4 END")
    coarse = (f"CASE key_level WHEN 0 THEN p_key WHEN 1 THEN {_proj('p_key', 1)} WHEN 2 THEN {_proj('p_key', 2)} "
              f"WHEN 3 THEN {_proj('p_key', 3)} ELSE '*' END")
    at = "strpos(r, ':s3:::')"
    swap = (f"if(r IS NOT NULL AND {at} > 0 AND substr(r, {at} + 6) = p_bucketName || '/' || p_key, "
            f"substr(r, 1, {at} + 5) || p_bucketName || '/' || ({coarse}), r)")
    res = (f"CASE WHEN key_level > 0 THEN list_transform(res, lambda r: {swap}) ELSE res END" if duck else
           f"CASE WHEN key_level > 0 THEN transform(res, r -> {swap}) ELSE res END")
    res = f"to_json({res})" if duck else f"json_format(CAST({res} AS JSON))"
    backref = "\\1" if duck else "$1"
    final = {
        "p_key": coarse,
        "p_versionId": "CASE WHEN p_versionId <> '' THEN 'v' ELSE p_versionId END",
        "p_logStreamName": "CASE WHEN p_logStreamName <> '' THEN 's' ELSE p_logStreamName END",
        "p_executionArn": (f"regexp_replace(p_executionArn, "
                           f"'^(arn:[^:]+:states:[^:]*:[^:]*:execution:[^:]+:).+$', '{backref}*')"),
        "resources": res,
    }
    cols = [final.get(c, c) for c in KEY_COLUMNS if c != "key_level"] + ["key_level"]
    select = ",\n  ".join(f"{e} AS {c}" if e != c else c for e, c in zip(cols, KEY_COLUMNS))
    group = ", ".join(str(i + 1) for i in range(len(cols)))
    return (
        f"WITH counted AS (\n{stage}\n),\n"
        f"s3keys AS (\n  SELECT issuer AS k_issuer, user_arn AS k_user_arn, event_name AS k_event_name, "
        f"p_bucketName AS k_bucket, coalesce(p_versionId, '') <> '' AS k_versioned,\n"
        f"    count(DISTINCT p_key) AS n0, count(DISTINCT {_proj('p_key', 1)}) AS n1,\n"
        f"    count(DISTINCT {_proj('p_key', 2)}) AS n2, count(DISTINCT {_proj('p_key', 3)}) AS n3\n"
        f"  FROM counted WHERE {s3obj}\n  GROUP BY 1, 2, 3, 4, 5\n),\n"
        f"leveled AS (\n  SELECT a.*, CASE WHEN {s3obj.replace('event_source', 'a.event_source')} THEN {level} "
        f"ELSE 0 END AS key_level\n"
        f"  FROM counted a LEFT JOIN s3keys s ON {same} AND s.k_bucket = a.p_bucketName "
        f"AND s.k_versioned = (coalesce(a.p_versionId, '') <> '')\n)\n"
        f"SELECT\n  {select},\n  sum(n) AS n,\n  min(first_time) AS first_time,\n  max(last_time) AS last_time\n"
        f"FROM leveled\nGROUP BY {group}"
    )


def _athena_partitions(layout: AthenaLayout, f: Filters) -> list[str]:
    """Partition filters, so Athena reads only the date, region and account folders asked for."""
    out = []
    if layout.date_partition:
        col = _ident(layout.date_partition)
        if f.since:
            out.append(f"{col} >= {quote(_java_date(layout.date_format, f.since))}")
        if f.until:
            out.append(f"{col} <= {quote(_java_date(layout.date_format, f.until))}")
    elif layout.ymd:
        y, m, d = (_ident(c) for c in layout.ymd)
        ymd = f"concat({y}, {m}, {d})"
        if f.since:
            out.append(f"{y} >= {quote(f.since[:4])} AND {ymd} >= {quote(f.since[:10].replace('-', ''))}")
        if f.until:
            out.append(f"{y} <= {quote(f.until[:4])} AND {ymd} <= {quote(f.until[:10].replace('-', ''))}")
    if layout.region_partition and f.regions:
        out.append(_in(_ident(layout.region_partition), f.regions))
    if layout.account_partition and f.accounts:
        out.append(_in(_ident(layout.account_partition), f.accounts))
    return out


# -- result rows -> the file path's fold ------------------------------------------------------

_IDX = {c: i for i, c in enumerate(COLUMNS)}
_P0 = _IDX[f"p_{PARAM_FIELDS[0][0]}"]
_LEVEL = _IDX["key_level"]
_NAMES_AT = [i for i, (n, _) in enumerate(PARAM_FIELDS) if n in _LIST_PARAMS]


_json = msgspec.json.decode


def _bool(v) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    s = str(v).lower()
    return True if s == "true" else False if s == "false" else None


def _names(v) -> tuple | None:
    if v is None:
        return None
    try:
        parsed = _json(v) if isinstance(v, str) else v
    except msgspec.DecodeError:
        return None
    return tuple(x for x in parsed if isinstance(x, str)) if isinstance(parsed, list) else None


def _resources(v) -> tuple | None:
    if v is None:
        return None
    try:
        arns = _json(v) if isinstance(v, str) else v
    except msgspec.DecodeError:
        return None
    if not isinstance(arns, list):
        return None
    return tuple(Resource(ARN=a if isinstance(a, str) else None) for a in arns)


def raw_key(row) -> tuple:
    """A result row's raw key, as ``aggregate.RAW_KEY`` reads it from a decoded record."""
    values = list(row[_P0:_P0 + len(PARAM_FIELDS)])
    for i in _NAMES_AT:
        values[i] = _names(values[i])
    params = None if all(v is None for v in values) else Params(*values)
    # a record without eventSource, eventName or awsRegion reads as "" on the file path; an
    # engine's NULL there must not reach the fold as None
    key = (row[1], row[2], row[3] or "", row[4] or "", row[5], _bool(row[6]), row[7], row[8], row[9] or "", row[10],
           params, _resources(row[_IDX["resources"]]))
    level = int(row[_LEVEL] or 0)
    return key + (level,) if level else key


class RowFolder:
    """Folds result rows (in ``COLUMNS`` order, any engine) into an Aggregate, in batches."""

    def __init__(self, agg: Aggregate | None = None, batch: int = 25_000):
        self.agg = agg or Aggregate()
        self.folder = Folder(self.agg)
        self.batch = batch
        self.days: dict[str, Counter] = {}
        self.size = 0
        self.rows = 0

    def add(self, rows) -> None:
        agg = self.agg
        n_at, in_at, first_at, last_at = _IDX["n"], _IDX["in_window"], _IDX["first_time"], _IDX["last_time"]
        for row in rows:
            self.rows += 1
            n = int(row[n_at])
            agg.events += n
            if _bool(row[in_at]) is False:
                agg.out_of_window += n
                continue
            agg.first_event = _min(agg.first_event, row[first_at])
            agg.last_event = _max(agg.last_event, row[last_at])
            counter = self.days.get(row[0])
            if counter is None:
                counter = self.days[row[0]] = Counter()
            counter[raw_key(row)] += n
            self.size += 1
            if self.size >= self.batch:
                self.flush()

    def flush(self) -> Aggregate:
        for day, counter in self.days.items():
            self.folder.fold(counter, f"{day}T00:00:00Z", f"{day}T23:59:59Z")
        self.days.clear()
        self.size = 0
        return self.agg
