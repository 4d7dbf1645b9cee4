"""Usage through SQL engines: DuckDB over local logs, Athena and CloudTrail Lake (stubbed).

The file path, DuckDB, Athena and CloudTrail Lake must give the same usage document for the
same logs. moto's Athena can return seeded results, but the equivalence the issue asks for
is tested with ``botocore.stub.Stubber`` returning the query's result pages (and moto has no
CloudTrail Lake queries at all): the pages are what DuckDB's run of the same SQL returns,
written as Athena and Lake write them (every value a string, NULL absent).
"""

from __future__ import annotations

import json

import boto3
import duckdb
import jsonschema
import pytest
from botocore.stub import ANY, Stubber
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.aws import athena
from iam_analyzer.collect.cloudtrail import duckdb_engine
from iam_analyzer.collect.cloudtrail.pipeline import Window, to_document
from iam_analyzer.collect.cloudtrail.sources import FolderSource
from iam_analyzer.schema import load as load_schema
from iam_analyzer.collect.cloudtrail.sql import (COLUMNS, GB, AthenaLayout, Filters, ScanLimitExceeded,
                                                 build_query)
from tests.collect.corpus import (_dates, comparable, file_path_document, write_bad_file, write_corpus)

# AWS-facing: botocore's Stubber validates every request against the installed models
# (scripts/test_newest.sh runs these against the newest botocore).
pytestmark = pytest.mark.aws

LQ1 = "11111111-2222-3333-4444-555555555555"  # Lake query ids are UUIDs
LQ9 = "99999999-2222-3333-4444-555555555555"
WINDOW = Window("2026-11-01T00:00:00Z", "2026-11-04T12:00:00Z")


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("sql") / "trail")


def duckdb_document(root, window: Window) -> dict:
    src = FolderSource(root, *_dates(window))
    units = list(src.units())
    agg = duckdb_engine.run(units, window)
    return to_document(agg, window, [src.describe()], outside_window_files=src.outside_window)


def test_duckdb_gives_the_file_paths_document(trail):
    expected = comparable(file_path_document(trail, WINDOW))
    assert expected["events"]["out_of_window"] == 1 and expected["events"]["not_api_call"] == 4
    assert expected["files"]["read"] == 10  # 8 log files in the window, the late one, the lookup-events file
    assert comparable(duckdb_document(trail, WINDOW)) == expected
    # a shorter window: date folders skipped, events of the first day's later hours cut
    short = Window("2026-11-01T10:30:00Z", "2026-11-02T23:59:59Z")
    assert comparable(duckdb_document(trail, short)) == comparable(file_path_document(trail, short))


def test_duckdb_skips_an_unreadable_file_like_the_file_path(tmp_path):
    root = write_corpus(tmp_path / "trail")
    bad = write_bad_file(root)
    files_doc = file_path_document(root, WINDOW)
    duck_doc = duckdb_document(root, WINDOW)
    assert duck_doc["files"]["skipped"] == files_doc["files"]["skipped"] == [
        {"path": str(bad), "reason": "truncated gzip file"}]
    assert comparable(duck_doc) == comparable(files_doc)


def _sql_rows(root, window: Window) -> list[tuple]:
    """What the aggregation query returns for these logs (run on DuckDB)."""
    files = [u.location for u in FolderSource(root, *_dates(window)).units()
             if u.location.endswith(".json.gz")]
    con = duckdb.connect()
    return con.execute(build_query("duckdb", duckdb_engine.relation(files), Filters(window.since, window.until))).fetchall()


def _text(v):
    return None if v is None else ("true" if v else "false") if isinstance(v, bool) else str(v)


def _drop_file_counts(doc: dict) -> None:
    """Athena and Lake read a table, not files: they cannot count files, in total or per region."""
    doc.pop("files")
    for cell in doc.get("coverage", []):
        cell.pop("files", None)


def _expected_without_lookup_file(root, window):
    """The file path's document for the delivered log files only (a SQL table holds no
    lookup-events exports), without ``files``: Athena and Lake do not count files."""
    (lookup,) = [p for p in root.rglob("events.json")]
    lookup.rename(root / "events.json.off")
    try:
        doc = comparable(file_path_document(root, window))
    finally:
        (root / "events.json.off").rename(lookup)
    _drop_file_counts(doc)
    return doc


def _athena_client():
    return boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


TABLE_METADATA = {"TableMetadata": {
    "Name": "cloudtrail_logs_pp", "Columns": [{"Name": c, "Type": "string"} for c in
                                              ("eventtime", "eventsource", "eventcategory", "requestparameters")],
    "PartitionKeys": [{"Name": "timestamp", "Type": "string"}],
    "Parameters": {"projection.enabled": "true", "projection.timestamp.type": "date",
                   "projection.timestamp.format": "yyyy/MM/dd"}}}


class _MetadataOnly:
    def get_table_metadata(self, **_kw):
        return TABLE_METADATA


def _stub_athena(stub: Stubber, rows: list[tuple], page_size: int = 7, scanned: int = 5 * 1024 ** 2) -> None:
    stub.add_response("get_table_metadata", TABLE_METADATA,
                      {"CatalogName": "AwsDataCatalog", "DatabaseName": "trail", "TableName": "cloudtrail_logs_pp"})
    stub.add_response("get_work_group", {"WorkGroup": {"Name": "primary", "Configuration": {}}}, {"WorkGroup": "primary"})
    stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"},
                      {"QueryString": ANY, "QueryExecutionContext": {"Database": "trail"}})
    for state in ("QUEUED", "RUNNING", "SUCCEEDED"):
        stub.add_response("get_query_execution", {"QueryExecution": {
            "QueryExecutionId": "q-1", "Status": {"State": state},
            "Statistics": {"DataScannedInBytes": scanned}}}, {"QueryExecutionId": "q-1"})
    header = {"Data": [{"VarCharValue": c} for c in COLUMNS]}
    body = [{"Data": [{"VarCharValue": _text(v)} if v is not None else {} for v in r]} for r in rows]
    pages = [body[i:i + page_size] for i in range(0, len(body), page_size)] or [[]]
    for i, page in enumerate(pages):
        resp = {"ResultSet": {"Rows": ([header] if i == 0 else []) + page}}
        if i + 1 < len(pages):
            resp["NextToken"] = f"page{i + 1}"
        stub.add_response("get_query_results", resp,
                          {"QueryExecutionId": "q-1", "MaxResults": 1000, **({"NextToken": f"page{i}"} if i else {})})


ATHENA_RECORD = ("STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, "
                 "userIdentity STRUCT(arn VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR))), "
                 "errorCode VARCHAR, eventCategory VARCHAR, eventType VARCHAR, recipientAccountId VARCHAR, "
                 "requestParameters JSON, resources STRUCT(ARN VARCHAR)[])")


def _athena_sql_rows_on_duckdb(root, window: Window, sql: str) -> list[tuple]:
    """Athena's SQL text itself, run on DuckDB over a table shaped as the CloudTrail console
    makes it (lower-case columns, requestparameters a JSON string, resources rows with arn,
    partition column "timestamp"). Trino's functions are shimmed: json_extract_scalar and
    json_format as DuckDB macros, and two spellings rewritten (JSON path '$["k"]' as
    '$."k"', transform as list_transform). What is left to trust is Trino's own functions."""
    files = [u.location for u in FolderSource(root).units() if u.location.endswith(".json.gz")]
    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    con.execute("CREATE MACRO json_extract_scalar(j, p) AS CASE WHEN json_type(j, p) IN "
                "('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN') THEN json_extract_string(j, p) END")
    con.execute("CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)")
    con.execute("CREATE SCHEMA trail")
    listed = ", ".join("'" + f + "'" for f in files)
    con.execute(
        "CREATE TABLE trail.cloudtrail_logs_pp AS SELECT r.eventTime AS eventtime, r.eventSource AS eventsource, "
        "r.eventName AS eventname, r.awsRegion AS awsregion, r.userIdentity AS useridentity, r.errorCode AS errorcode, "
        "r.eventCategory AS eventcategory, r.eventType AS eventtype, r.recipientAccountId AS recipientaccountid, "
        "CAST(r.requestParameters AS VARCHAR) AS requestparameters, "
        "list_transform(r.resources, x -> {'arn': x.ARN, 'accountid': NULL, 'type': NULL}) AS resources, "
        "replace(substr(r.eventTime, 1, 10), '-', '/') AS \"timestamp\" "
        f"FROM (SELECT unnest(Records) AS r FROM read_json([{listed}], "
        f"columns={{'Records': '{ATHENA_RECORD}[]'}}, format='unstructured', maximum_object_size=1073741824))")
    shimmed = sql.replace("'$[\"", "'$.\"").replace("\"]'", "\"'").replace("transform(", "list_transform(")
    return con.execute(shimmed).fetchall()


def test_athena_result_pages_give_the_file_paths_document(trail):
    filters = Filters(WINDOW.since, WINDOW.until)
    layout = athena.table_layout(_MetadataOnly(), "trail.cloudtrail_logs_pp")
    rows = _athena_sql_rows_on_duckdb(trail, WINDOW, build_query("athena", "trail.cloudtrail_logs_pp", filters, layout))
    assert len(rows) > 14  # several pages
    client = _athena_client()
    said = []
    with Stubber(client) as stub:
        _stub_athena(stub, rows)
        agg, info = athena.usage_from_athena(client, "trail.cloudtrail_logs_pp", filters,
                                             say=said.append, sleep=lambda _s: None)
        stub.assert_no_pending_responses()
    doc = comparable(to_document(agg, WINDOW, [info.describe("trail.cloudtrail_logs_pp")]))
    _drop_file_counts(doc)
    assert doc == _expected_without_lookup_file(trail, WINDOW)
    assert info.rows == len(rows) and info.bytes_scanned == 5 * 1024 ** 2
    # the query reads only the partitions of the window, found from the table's projection
    assert "\"timestamp\" >= '2026/11/01'" in info.sql and "\"timestamp\" <= '2026/11/04'" in info.sql
    assert any("partitions used to limit the scan: timestamp" in s for s in said)
    assert said[-1] == f"Athena: query q-1 scanned 0.005 GB; {len(rows)} aggregate row(s) read back"


def test_lake_result_pages_give_the_file_paths_document(trail):
    rows = _sql_rows(trail, WINDOW)
    in_window = [r for r in rows if r[COLUMNS.index("in_window")]]  # Lake filters the window in the query
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("start_query", {"QueryId": LQ1}, {"QueryStatement": ANY})
        for status in ("RUNNING", "FINISHED"):
            stub.add_response("describe_query", {"QueryId": LQ1, "QueryStatus": status,
                                                 "QueryStatistics": {"BytesScanned": 1000}}, {"QueryId": LQ1})
        pages = [in_window[i:i + 9] for i in range(0, len(in_window), 9)]
        for i, page in enumerate(pages):
            resp = {"QueryStatus": "FINISHED", "QueryResultRows": [
                [{c: _text(v)} for c, v in zip(COLUMNS, r) if v is not None] for r in page]}
            if i + 1 < len(pages):
                resp["NextToken"] = f"page{i + 1}"
            stub.add_response("get_query_results", resp, {"QueryId": LQ1, **({"NextToken": f"page{i}"} if i else {})})
        agg, info = athena.usage_from_lake(client, "eds-0123", Filters(WINDOW.since, WINDOW.until),
                                           sleep=lambda _s: None)
        stub.assert_no_pending_responses()
    doc = comparable(to_document(agg, WINDOW, [info.describe("eds-0123")]))
    _drop_file_counts(doc)
    expected = _expected_without_lookup_file(trail, WINDOW)
    expected["events"]["total"] -= expected["events"]["out_of_window"]  # never read by Lake
    expected["events"]["out_of_window"] = 0
    assert doc == expected
    assert "eventTime >= TIMESTAMP '2026-11-01 00:00:00'" in info.sql and "FROM eds-0123" in info.sql


def test_ctrl_c_stops_the_athena_query():
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-9"}, None)
        stub.add_response("get_query_execution", {"QueryExecution": {
            "QueryExecutionId": "q-9", "Status": {"State": "RUNNING"}}}, {"QueryExecutionId": "q-9"})
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-9"})

        def interrupt(_s):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            list(athena.run_athena(client, "SELECT 1", "trail", None, None, None, athena.RunInfo("athena"),
                                   sleep=interrupt))
        stub.assert_no_pending_responses()


def test_ctrl_c_cancels_the_lake_query():
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("start_query", {"QueryId": LQ9}, None)
        stub.add_response("describe_query", {"QueryId": LQ9, "QueryStatus": "RUNNING"}, {"QueryId": LQ9})
        stub.add_response("cancel_query", {"QueryId": LQ9, "QueryStatus": "CANCELLED"}, {"QueryId": LQ9})

        def interrupt(_s):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            list(athena.run_lake(client, "SELECT 1", None, athena.RunInfo("cloudtrail-lake"), sleep=interrupt))
        stub.assert_no_pending_responses()


def test_max_scan_gb_stops_a_query_past_the_cap():
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-2"}, None)
        for scanned in (GB // 2, 3 * GB):
            stub.add_response("get_query_execution", {"QueryExecution": {
                "QueryExecutionId": "q-2", "Status": {"State": "RUNNING"},
                "Statistics": {"DataScannedInBytes": scanned}}}, {"QueryExecutionId": "q-2"})
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-2"})
        with pytest.raises(ScanLimitExceeded, match=r"scanned 3.00 GB, over --max-scan-gb 2: stopped \(q-2\)"):
            list(athena.run_athena(client, "SELECT 1", "trail", "wg", None, 2 * GB, athena.RunInfo("athena"),
                                   sleep=lambda _s: None))
        stub.assert_no_pending_responses()


def test_max_scan_gb_refuses_duckdb_before_reading(trail, tmp_path):
    out = tmp_path / "u.json"
    res = CliRunner().invoke(main, ["usage", "--engine", "duckdb", "--cloudtrail", str(trail), "--since", "2026-11-01",
                                    "--max-scan-gb", "0.000001", "-o", str(out)])
    assert res.exit_code == 2 and "would scan" in res.stderr and "not started" in res.stderr
    assert not out.exists()


def test_cli_duckdb_engine_writes_the_same_usage_as_the_files_engine(trail, tmp_path):
    docs = {}
    for engine in ("files", "duckdb"):
        out = tmp_path / f"{engine}.json"
        res = CliRunner().invoke(main, ["usage", "--engine", engine, "--cloudtrail", str(trail), "--since", "2026-11-01",
                                        "--until", "2026-11-04T12:00:00Z", "-o", str(out)])
        assert res.exit_code == 0, res.output
        docs[engine] = comparable(json.loads(out.read_text()))
    assert docs["files"] == docs["duckdb"]


def test_account_and_region_filters_are_in_the_query(trail):
    f = Filters(WINDOW.since, WINDOW.until, accounts=("210987654321",), regions=("eu-west-1",))
    layout = AthenaLayout(columns=frozenset({"eventcategory"}), date_partition="timestamp",
                          region_partition="region", account_partition="account")
    text = build_query("athena", "trail.ct", f, layout)
    assert "recipientaccountid IN ('210987654321')" in text and "\"region\" IN ('eu-west-1')" in text
    assert "\"account\" IN ('210987654321')" in text
    src = FolderSource(trail, *_dates(WINDOW))
    agg = duckdb_engine.run(list(src.units()), WINDOW, f)
    doc = to_document(agg, WINDOW, [])
    assert {p["arn"] for p in doc["principals"]} == {"arn:aws:iam::210987654321:role/etl-role"}


def test_names_that_could_break_out_of_the_query_are_refused():
    for f in (lambda: Filters(accounts=("1' OR '1'='1",)), lambda: Filters(regions=("us-east-1'; DROP",)),
              lambda: Filters(since="2026-01-01' --")):
        with pytest.raises(ValueError):
            f()
    with pytest.raises(ValueError):
        build_query("athena", 'trail."x"; DROP TABLE y', Filters())
    with pytest.raises(ValueError):
        build_query("lake", "eds'1", Filters())


def test_cli_usage_athena_on_moto_with_seeded_results(aws, trail, tmp_path, monkeypatch):
    # The command end to end against moto's Athena, whose results are seeded through moto's
    # API (moto runs no SQL). moto has no GetTableMetadata: the table's layout is given.
    import urllib.request

    filters = Filters(WINDOW.since, WINDOW.until)
    layout = athena.table_layout(_MetadataOnly(), "trail.cloudtrail_logs_pp")
    monkeypatch.setattr(athena, "table_layout", lambda _client, _table: layout)
    rows = _athena_sql_rows_on_duckdb(trail, WINDOW, build_query("athena", "trail.cloudtrail_logs_pp", filters, layout))
    header = {"Data": [{"VarCharValue": c} for c in COLUMNS]}
    seeded = {"region": "us-east-1", "results": [{
        "rows": [header] + [{"Data": [{"VarCharValue": _text(v)} if v is not None else {} for v in r]} for r in rows],
        "column_info": [{"Name": c, "Type": "varchar"} for c in COLUMNS]}]}
    req = urllib.request.Request(f"{aws.endpoint_url}/moto-api/static/athena/query-results", method="POST",
                                 data=json.dumps(seeded).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
    out = tmp_path / "u.json"
    res = CliRunner().invoke(main, ["usage", "--athena", "trail.cloudtrail_logs_pp", "--endpoint-url", aws.endpoint_url,
                                    "--region", "us-east-1", "--athena-output", "s3://results/iam-analyzer/",
                                    "--since", "2026-11-01", "--until", "2026-11-04T12:00:00Z", "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, load_schema("usage"))
    (source,) = doc["sources"]
    assert source["type"] == "athena" and source["result_rows"] == len(rows) and source["query_id"]
    got = comparable(doc)
    _drop_file_counts(got)
    assert got == _expected_without_lookup_file(trail, WINDOW)
    assert "partitions used to limit the scan: timestamp" in res.stderr


def test_cli_refuses_mixed_sources_and_filters_without_sql(trail, tmp_path):
    out = str(tmp_path / "u.json")
    res = CliRunner().invoke(main, ["usage", "--athena", "db.t", "--cloudtrail", str(trail), "-o", out])
    assert res.exit_code == 2 and "give no --cloudtrail" in res.output
    res = CliRunner().invoke(main, ["usage", "--cloudtrail", str(trail), "--account", "123456789012", "-o", out])
    assert res.exit_code == 2 and "--engine duckdb" in res.output
    res = CliRunner().invoke(main, ["usage", "--engine", "duckdb", "--cloudtrail", str(trail), "--account", "12", "-o", out])
    assert res.exit_code == 2 and "12 digits" in res.output


def test_only_a_bounded_aggregate_travels_for_unique_object_keys(tmp_path):
    # 2,000 reads of 2,000 different objects: the query returns the prefixes the fold would
    # keep, not a row per object, and the document is still the file path's
    import random
    from datetime import timedelta

    from iam_analyzer.collect.cloudtrail.synth import record, write_log_file
    from tests.collect.corpus import ACCOUNT, T0, UP, _obj

    rng = random.Random(5)
    recs = []
    for i in range(2000):
        key = f"data/{i % 7}/{i % 13}/{rng.getrandbits(40):x}.json"
        recs.append(record(UP, T0 + timedelta(seconds=i), "s3.amazonaws.com", "GetObject",
                           {"bucketName": "lake", "key": key}, _obj("lake", key), rng=rng))
    write_log_file(tmp_path, ACCOUNT, "us-east-1", T0, recs)
    rows = _sql_rows(tmp_path, WINDOW)
    assert len(rows) <= 64
    assert comparable(duckdb_document(tmp_path, WINDOW)) == comparable(file_path_document(tmp_path, WINDOW))
    (p,) = duckdb_document(tmp_path, WINDOW)["principals"]
    assert sum(a["count"] for a in p["actions"] if a["action"] == "s3:GetObject") == 2000
