"""Run the usage aggregation where the trail already is: Athena or CloudTrail Lake.

The SQL comes from ``collect.cloudtrail.sql``; this module only starts it, watches it, pages
through its result and hands the rows to ``sql.RowFolder`` (the file path's fold). Only the
aggregate leaves AWS.

Cost and safety:

* Neither Athena nor CloudTrail Lake estimates a query's scan before running it (Athena has
  no dry run; ``EXPLAIN`` gives sizes only where the table has statistics, which CloudTrail
  tables do not). What is shown beforehand: the partitions the query is limited to, and the
  workgroup's own per-query cutoff (``BytesScannedCutoffPerQuery``) when it has one.
* ``max_scan_bytes``: while the query runs, its scanned bytes (Athena
  ``Statistics.DataScannedInBytes``, Lake ``QueryStatistics.BytesScanned``) are read at every
  poll; past the cap the query is stopped and ``ScanLimitExceeded`` raised. The cap therefore
  bounds the cost to about one poll interval past it; a workgroup cutoff is exact.
* Ctrl-C (``KeyboardInterrupt``) at any point stops the query (StopQueryExecution /
  CancelQuery) before it propagates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from iam_analyzer.collect.cloudtrail.aggregate import Aggregate
from iam_analyzer.collect.cloudtrail.sql import (COLUMNS, GB, AthenaLayout, Filters, RowFolder, ScanLimitExceeded,
                                                 build_query)


class QueryFailed(Exception):
    pass


@dataclass
class RunInfo:
    engine: str
    query_id: str | None = None
    bytes_scanned: int | None = None
    rows: int = 0
    sql: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self, location: str) -> dict:
        return {"type": self.engine, "location": location, "query_id": self.query_id,
                "bytes_scanned": self.bytes_scanned, "result_rows": self.rows}


Say = Callable[[str], None]


# -- Athena -----------------------------------------------------------------------------------


def table_layout(client, table: str, catalog: str = "AwsDataCatalog") -> AthenaLayout:
    """The table's columns and partition scheme, from Athena's catalog (GetTableMetadata)."""
    database, _, name = table.rpartition(".")
    meta = client.get_table_metadata(CatalogName=catalog, DatabaseName=database or "default",
                                     TableName=name)["TableMetadata"]
    columns = frozenset(c["Name"].lower() for c in meta.get("Columns", []))
    parts = [c["Name"].lower() for c in meta.get("PartitionKeys", [])]
    params = {k.lower(): v for k, v in (meta.get("Parameters") or {}).items()}
    date_col, date_fmt = None, "yyyy/MM/dd"
    for p in parts:
        if params.get(f"projection.{p}.type") == "date":
            date_col, date_fmt = p, params.get(f"projection.{p}.format", date_fmt)
            break
    if date_col is None:
        date_col = next((p for p in parts if p in ("timestamp", "date", "dt", "day_partition")), None)
    ymd = ("year", "month", "day") if date_col is None and {"year", "month", "day"} <= set(parts) else None
    return AthenaLayout(columns=columns, date_partition=date_col, date_format=date_fmt, ymd=ymd,
                        region_partition=next((p for p in parts if p in ("region", "aws_region")), None),
                        account_partition=next((p for p in parts if p in ("account", "accountid", "account_id")), None))


def workgroup_cutoff(client, workgroup: str) -> int | None:
    """The workgroup's BytesScannedCutoffPerQuery, if it has one and we may read it."""
    try:
        cfg = client.get_work_group(WorkGroup=workgroup)["WorkGroup"].get("Configuration", {})
    except Exception:  # noqa: BLE001 - athena:GetWorkGroup is optional for this tool
        return None
    return cfg.get("BytesScannedCutoffPerQuery")


def run_athena(client, sql: str, database: str, workgroup: str | None, output: str | None,
               max_scan_bytes: int | None, info: RunInfo, poll: float = 1.0, sleep=time.sleep) -> Iterator[list]:
    """Start the query, wait for it (stopping it past the cap or on Ctrl-C), yield result rows
    (values as strings or None, in ``COLUMNS`` order)."""
    kwargs: dict = {"QueryString": sql, "QueryExecutionContext": {"Database": database}}
    if workgroup:
        kwargs["WorkGroup"] = workgroup
    if output:
        kwargs["ResultConfiguration"] = {"OutputLocation": output}
    qid = client.start_query_execution(**kwargs)["QueryExecutionId"]
    info.query_id = qid
    done = False
    try:
        while True:
            ex = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            scanned = ex.get("Statistics", {}).get("DataScannedInBytes")
            info.bytes_scanned = scanned
            state = ex["Status"]["State"]
            if state == "SUCCEEDED":
                done = True
                break
            if state in ("FAILED", "CANCELLED"):
                done = True
                reason = ex["Status"].get("StateChangeReason", state)
                raise QueryFailed(f"Athena query {qid} {state.lower()}: {reason}")
            if max_scan_bytes is not None and scanned is not None and scanned > max_scan_bytes:
                raise ScanLimitExceeded(scanned, max_scan_bytes, qid)
            sleep(poll)
        token = None
        header = True
        while True:
            page = client.get_query_results(QueryExecutionId=qid, MaxResults=1000,
                                            **({"NextToken": token} if token else {}))
            rows = page["ResultSet"]["Rows"]
            if header:  # Athena's first row of the first page names the columns
                names = [d.get("VarCharValue") for d in rows[0]["Data"]] if rows else []
                order = [names.index(c) for c in COLUMNS] if names else None
                rows = rows[1:]
                header = False
            for r in rows:
                values = [d.get("VarCharValue") for d in r["Data"]]
                info.rows += 1
                yield [values[i] for i in order] if order else values
            token = page.get("NextToken")
            if not token:
                break
    except (KeyboardInterrupt, ScanLimitExceeded):
        if not done:
            client.stop_query_execution(QueryExecutionId=qid)
        raise


# -- CloudTrail Lake --------------------------------------------------------------------------


def run_lake(client, sql: str, max_scan_bytes: int | None, info: RunInfo, poll: float = 1.0,
             sleep=time.sleep) -> Iterator[list]:
    qid = client.start_query(QueryStatement=sql)["QueryId"]
    info.query_id = qid
    done = False
    try:
        while True:
            q = client.describe_query(QueryId=qid)
            status = q.get("QueryStatus")
            scanned = q.get("QueryStatistics", {}).get("BytesScanned")
            info.bytes_scanned = scanned
            if status == "FINISHED":
                done = True
                break
            if status in ("FAILED", "CANCELLED", "TIMED_OUT"):
                done = True
                raise QueryFailed(f"CloudTrail Lake query {qid} {status.lower()}: {q.get('ErrorMessage', status)}")
            if max_scan_bytes is not None and scanned is not None and scanned > max_scan_bytes:
                raise ScanLimitExceeded(scanned, max_scan_bytes, qid)
            sleep(poll)
        token = None
        while True:
            page = client.get_query_results(QueryId=qid, **({"NextToken": token} if token else {}))
            for r in page.get("QueryResultRows", []):
                cells: dict = {}
                for cell in r:  # each row: a list of one-entry {column: value} maps
                    cells.update(cell)
                info.rows += 1
                yield [cells.get(c) for c in COLUMNS]
            token = page.get("NextToken")
            if not token:
                break
    except (KeyboardInterrupt, ScanLimitExceeded):
        if not done:
            client.cancel_query(QueryId=qid)
        raise


# -- the usage aggregate ---------------------------------------------------------------------


def usage_from_athena(client, table: str, filters: Filters, workgroup: str | None = None, output: str | None = None,
                      max_scan_bytes: int | None = None, say: Say | None = None, poll: float = 1.0,
                      sleep=time.sleep) -> tuple[Aggregate, RunInfo]:
    """Aggregate usage from an Athena table over CloudTrail logs."""
    say = say or (lambda _m: None)
    layout = table_layout(client, table)
    sql = build_query("athena", table, filters, layout)
    info = RunInfo("athena", sql=sql)
    limited = [c for c in (layout.date_partition, *(layout.ymd or ()), layout.region_partition,
                           layout.account_partition) if c]
    say(f"Athena: {table}, partitions used to limit the scan: {', '.join(limited) or 'none (the whole table is read)'}")
    cutoff = workgroup_cutoff(client, workgroup or "primary")
    if cutoff:
        say(f"Athena: workgroup {workgroup or 'primary'} stops any query past {cutoff / GB:.2f} GB")
    say("Athena: no scan estimate before running (Athena has none for CloudTrail tables); "
        + (f"the query is stopped past {max_scan_bytes / GB:g} GB" if max_scan_bytes is not None
           else "--max-scan-gb caps it"))
    folder = RowFolder()
    folder.add(run_athena(client, sql, table.rpartition(".")[0] or "default", workgroup, output, max_scan_bytes, info,
                          poll=poll, sleep=sleep))
    say(_done("Athena", info))
    return folder.flush(), info


def _done(engine: str, info: RunInfo) -> str:
    scanned = "unknown bytes" if info.bytes_scanned is None else f"{info.bytes_scanned / GB:.3f} GB"
    return f"{engine}: query {info.query_id} scanned {scanned}; {info.rows} aggregate row(s) read back"


def usage_from_lake(client, event_data_store: str, filters: Filters, max_scan_bytes: int | None = None,
                    say: Say | None = None, poll: float = 1.0, sleep=time.sleep) -> tuple[Aggregate, RunInfo]:
    """Aggregate usage from a CloudTrail Lake event data store."""
    say = say or (lambda _m: None)
    sql = build_query("lake", event_data_store, filters)
    info = RunInfo("cloudtrail-lake", sql=sql)
    say("CloudTrail Lake: no scan estimate before running; "
        + (f"the query is stopped past {max_scan_bytes / GB:g} GB" if max_scan_bytes is not None
           else "--max-scan-gb caps it"))
    folder = RowFolder()
    folder.add(run_lake(client, sql, max_scan_bytes, info, poll=poll, sleep=sleep))
    say(_done("CloudTrail Lake", info))
    return folder.flush(), info


def usage_from_sql(clients, region: str, filters: Filters, athena: str | None = None, lake: str | None = None,
                   workgroup: str | None = None, output: str | None = None, max_scan_bytes: int | None = None,
                   say: Say | None = None) -> tuple[Aggregate, dict]:
    """The CLI's one entry: usage from an Athena table or a Lake event data store, and the
    source's description for the usage document."""
    if athena:
        agg, info = usage_from_athena(clients.client("athena", region), athena, filters, workgroup, output,
                                      max_scan_bytes, say)
        return agg, info.describe(athena)
    agg, info = usage_from_lake(clients.client("cloudtrail", region), lake, filters, max_scan_bytes, say)
    return agg, info.describe(lake)
