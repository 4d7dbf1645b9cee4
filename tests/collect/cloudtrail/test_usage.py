"""CloudTrail usage: event -> action families, resources, sources, bad files, determinism."""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.iam.api_actions import actions_for
from iam_analyzer.collect.cloudtrail.aggregate import OBJECT_LIMIT, Aggregate, Folder, Pending
from iam_analyzer.collect.cloudtrail.extract import from_params
from iam_analyzer.collect.cloudtrail.pipeline import Window, run, to_document
from iam_analyzer.collect.cloudtrail.records import decode_file
from iam_analyzer.collect.cloudtrail.sources import FolderSource
from iam_analyzer.collect.cloudtrail.synth import Caller, record, write_log_file

# AWS-facing: botocore's Stubber validates every request against the installed models
# (scripts/test_newest.sh runs these against the newest botocore).
pytestmark = pytest.mark.aws

ACCOUNT = "123456789012"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
T0 = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
API = Caller(ACCOUNT, "api-role", "api-handler")
UP = Caller(ACCOUNT, "shared-role", "uploader", role_path="/service-role/")
CRON = Caller(ACCOUNT, "shared-role", "nightly-cron", role_path="/service-role/")


@pytest.mark.parametrize("source,name,expected", [
    ("lambda.amazonaws.com", "GetFunction20150331v2", ["lambda:GetFunction"]),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ["lambda:UpdateFunctionCode"]),
    ("lambda.amazonaws.com", "Invoke", ["lambda:InvokeFunction"]),
    ("lambda.amazonaws.com", "ListFunctions20150331", ["lambda:ListFunctions"]),
    ("s3.amazonaws.com", "ListObjectsV2", ["s3:ListBucket"]),
    ("s3.amazonaws.com", "HeadBucket", ["s3:ListBucket"]),
    ("s3.amazonaws.com", "HeadObject", ["s3:GetObject"]),
    ("s3.amazonaws.com", "UploadPart", ["s3:PutObject"]),
    ("s3.amazonaws.com", "CompleteMultipartUpload", ["s3:PutObject"]),
    ("s3.amazonaws.com", "CopyObject", ["s3:GetObject", "s3:PutObject"]),
    ("s3.amazonaws.com", "GetBucketCors", ["s3:GetBucketCORS"]),
    ("s3.amazonaws.com", "ListBuckets", ["s3:ListAllMyBuckets"]),
    ("sqs.amazonaws.com", "SendMessageBatch", ["sqs:SendMessage"]),
    ("sqs.amazonaws.com", "DeleteMessageBatch", ["sqs:DeleteMessage"]),
    ("sns.amazonaws.com", "PublishBatch", ["sns:Publish"]),
    ("dynamodb.amazonaws.com", "BatchWriteItem", ["dynamodb:BatchWriteItem"]),
    ("dynamodb.amazonaws.com", "TransactGetItems", ["dynamodb:GetItem"]),
    ("dynamodb.amazonaws.com", "ExecuteStatement", ["dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                                                    "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]),
    ("apigateway.amazonaws.com", "GetRestApis", ["apigateway:GET"]),
    ("apigateway.amazonaws.com", "CreateDeployment", ["apigateway:POST"]),
    ("monitoring.amazonaws.com", "PutMetricData", ["cloudwatch:PutMetricData"]),
    ("tagging.amazonaws.com", "GetResources", ["tag:GetResources"]),
    ("kms.amazonaws.com", "ReEncrypt", ["kms:ReEncryptFrom", "kms:ReEncryptTo"]),
    ("secretsmanager.amazonaws.com", "GetSecretValue", ["secretsmanager:GetSecretValue"]),
])
def test_event_names_map_to_iam_actions_in_catalog_casing(source, name, expected):
    m = actions_for(source, name)
    assert m.known and list(m.actions) == expected


R, A = "us-east-1", ACCOUNT


@pytest.mark.parametrize("source, params, expected", [
    ("s3", {"bucketName": "b", "key": "in/a.json"}, ["arn:aws:s3:::b", "arn:aws:s3:::b/in/a.json"]),
    ("s3", {"bucketName": "b"}, ["arn:aws:s3:::b"]),
    ("dynamodb", {"tableName": "orders"}, [f"arn:aws:dynamodb:{R}:{A}:table/orders"]),
    ("dynamodb", {"tableName": "orders", "indexName": "by-date"}, [f"arn:aws:dynamodb:{R}:{A}:table/orders/index/by-date"]),
    ("dynamodb", {"tableName": f"arn:aws:dynamodb:eu-west-1:{A}:table/t"}, [f"arn:aws:dynamodb:eu-west-1:{A}:table/t"]),
    ("sqs", {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{A}/jobs"}, [f"arn:aws:sqs:eu-west-1:{A}:jobs"]),
    ("sqs", {"queueUrl": f"https://queue.amazonaws.com/{A}/old"}, [f"arn:aws:sqs:{R}:{A}:old"]),
    ("sns", {"topicArn": f"arn:aws:sns:{R}:{A}:t"}, [f"arn:aws:sns:{R}:{A}:t"]),
    ("kms", {"keyId": "alias/app"}, [f"arn:aws:kms:{R}:{A}:alias/app"]),
    ("kms", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}, [f"arn:aws:kms:{R}:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"]),
    ("secretsmanager", {"secretId": "db"}, [f"arn:aws:secretsmanager:{R}:{A}:secret:db-??????"]),
    ("ssm", {"name": "/app/config"}, [f"arn:aws:ssm:{R}:{A}:parameter/app/config"]),
    ("ssm", {"names": ["a", "/b"]}, [f"arn:aws:ssm:{R}:{A}:parameter/a", f"arn:aws:ssm:{R}:{A}:parameter/b"]),
    ("ssm", {"path": "/app/"}, [f"arn:aws:ssm:{R}:{A}:parameter/app/*"]),
    ("lambda", {"functionName": "worker"}, [f"arn:aws:lambda:{R}:{A}:function:worker"]),
    # an alias or version is a different resource to IAM: dropping it would break the call
    ("lambda", {"functionName": "worker:prod"}, [f"arn:aws:lambda:{R}:{A}:function:worker:prod"]),
    ("lambda", {"functionName": "210987654321:function:worker"}, [f"arn:aws:lambda:{R}:210987654321:function:worker"]),
    ("lambda", {"functionName": f"{A}:function:worker:7"}, [f"arn:aws:lambda:{R}:{A}:function:worker:7"]),
    ("kinesis", {"streamName": "clicks"}, [f"arn:aws:kinesis:{R}:{A}:stream/clicks"]),
    ("states", {"executionArn": f"arn:aws:states:{R}:{A}:execution:flow:run-1"}, [f"arn:aws:states:{R}:{A}:execution:flow:*"]),
    ("events", {"name": "nightly"}, [f"arn:aws:events:{R}:{A}:rule/nightly"]),
    ("events", {"name": "nightly", "eventBusName": "orders"},
     [f"arn:aws:events:{R}:{A}:rule/orders/nightly", f"arn:aws:events:{R}:{A}:event-bus/orders"]),
    ("logs", {"logGroupName": "/aws/lambda/f", "logStreamName": "2026/11/01/[$LATEST]abc"},
     [f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:*"]),
])
def test_resources_named_by_request_parameters(source, params, expected):
    rec = decode_file(json.dumps({"Records": [{"eventSource": f"{source}.amazonaws.com", "requestParameters": params}]}).encode())[0]
    assert from_params(rec.eventSource, rec.requestParameters, R, A) == expected


def test_unknown_and_non_action_events():
    assert not actions_for("nosuch.amazonaws.com", "DoThing").known
    signin = actions_for("signin.amazonaws.com", "ConsoleLogin")
    assert signin.known and signin.actions == ()


def _corpus(root: Path) -> None:
    rng = random.Random(3)
    for day in range(4):
        t = T0 + timedelta(days=day)
        recs = []
        for i in range(30):
            when = t + timedelta(minutes=i)
            recs.append(record(API, when, "dynamodb.amazonaws.com", "GetItem",
                               {"tableName": "orders", "key": {"id": {"S": str(i)}}},
                               [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table",
                                 "ARN": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"}], rng=rng))
            recs.append(record(API, when, "dynamodb.amazonaws.com", "Query",
                               {"tableName": "orders", "indexName": "by-date", "limit": 5}, rng=rng))
            recs.append(record(UP, when, "s3.amazonaws.com", "GetObject",
                               {"bucketName": "uploads", "key": f"in/{day}/{i}.csv"},
                               [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::uploads/in/{day}/{i}.csv"},
                                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::uploads"}], rng=rng))
            recs.append(record(CRON, when, "sqs.amazonaws.com", "SendMessageBatch",
                               {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"}, rng=rng))
        recs.append(record(CRON, t, "secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "db-password"},
                           error="AccessDenied", rng=rng))
        recs.append(record(CRON, t, "kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                           [{"accountId": ACCOUNT, "type": "AWS::KMS::Key",
                             "ARN": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}], rng=rng))
        recs.append(record(CRON, t, "xyz.amazonaws.com", "Frobnicate", {}, rng=rng))
        recs.append(record(API, t, "ssm.amazonaws.com", "GetParameters", {"names": ["/app/a", "/app/b"]}, rng=rng))
        recs.append(record(API, t, "logs.amazonaws.com", "CreateLogStream",
                           {"logGroupName": "/aws/lambda/api-handler", "logStreamName": f"s{day}"}, rng=rng))
        write_log_file(root, ACCOUNT, "us-east-1", t, recs[: len(recs) // 2], seq=1)
        write_log_file(root, ACCOUNT, "us-east-1", t + timedelta(minutes=20), recs[len(recs) // 2:], seq=2)


@pytest.fixture
def corpus(tmp_path) -> Path:
    _corpus(tmp_path / "trail")
    return tmp_path / "trail"


def usage_doc(path: Path, workers: int = 1, since=None, until=None) -> dict:
    src = FolderSource(path)
    agg = run(src.units(), Window(since, until), workers=workers)
    return to_document(agg, Window(since, until), [src.describe()])


def by_session(doc: dict) -> dict:
    return {(p["arn"], p["session"]): {(a["action"], a["resource"]): a for a in p["actions"]} for p in doc["principals"]}


def test_usage_per_role_and_function(corpus):
    doc = usage_doc(corpus)
    table = by_session(doc)
    api = table[(API.role_arn, "api-handler")]
    orders = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    assert api[("dynamodb:GetItem", orders)]["count"] == 120
    assert api[("dynamodb:GetItem", orders)]["data_event"] is True
    assert api[("dynamodb:Query", orders + "/index/by-date")]["count"] == 120
    assert ("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/a") in api
    # one stream per container: usage names the group's streams, so it does not grow per call
    assert ("logs:CreateLogStream", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/api-handler:log-stream:*") in api
    from iam_analyzer.collect.cloudtrail.extract import coarsen

    assert coarsen(f"arn:aws:states:us-east-1:{ACCOUNT}:execution:flow:run-123") == f"arn:aws:states:us-east-1:{ACCOUNT}:execution:flow:*"
    assert coarsen(TABLE_ARN) == TABLE_ARN
    # a shared role is split per function by its session name
    cron = table[(CRON.role_arn, "nightly-cron")]
    assert cron[("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs")]["count"] == 120
    denied = cron[("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-password-??????")]
    assert (denied["count"], denied["denied"]) == (0, 4)
    assert ("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab") in cron
    up = table[(UP.role_arn, "uploader")]
    assert sum(a["count"] for (act, _), a in up.items() if act == "s3:GetObject") == 120
    assert all(r.startswith("arn:aws:s3:::uploads/in/") for (act, r) in up if act == "s3:GetObject")
    # events that map to nothing are counted, never dropped
    assert doc["unmapped"] == [{"event_source": "xyz.amazonaws.com", "event_name": "Frobnicate", "count": 4}]
    assert doc["events"]["total"] == sum(1 for _ in range(4) for _ in range(125))
    assert doc["data_events"]["by_service"]["s3"] == {"arn:aws:s3:::uploads": 120}
    assert doc["data_events"]["by_service"]["dynamodb"] == {orders: 240}  # GetItem and Query
    assert "sqs" not in doc["data_events"]["by_service"]
    for actions in table.values():
        for a in actions.values():
            assert a["first_seen"] <= a["last_seen"]


def test_many_object_keys_coarsen_to_prefixes_without_losing_counts(tmp_path):
    rng = random.Random(5)
    recs = [record(UP, T0 + timedelta(seconds=i), "s3.amazonaws.com", "PutObject",
                   {"bucketName": "b", "key": f"out/{i % 7}/{i}.json"},
                   [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::b/out/{i % 7}/{i}.json"}], rng=rng)
            for i in range(OBJECT_LIMIT * 3)]
    write_log_file(tmp_path, ACCOUNT, "us-east-1", T0, recs)
    doc = usage_doc(tmp_path)
    (p,) = doc["principals"]
    puts = {a["resource"]: a["count"] for a in p["actions"] if a["action"] == "s3:PutObject"}
    assert sum(puts.values()) == OBJECT_LIMIT * 3
    assert sorted(puts) == [f"arn:aws:s3:::b/out/{k}/*" for k in range(7)]


def test_first_and_last_seen_are_the_utc_days_of_the_calls(tmp_path):
    rng = random.Random(9)
    queue = {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"}
    for day, n in ((0, 3), (2, 2)):  # two log files, two days apart; the call repeats
        when = T0 + timedelta(days=day)
        write_log_file(tmp_path, ACCOUNT, "us-east-1", when, [
            record(API, when + timedelta(minutes=i), "sqs.amazonaws.com", "SendMessage", queue, None, rng=rng)
            for i in range(n)])
    doc = usage_doc(tmp_path, workers=2)
    (entry,) = [a for p in doc["principals"] for a in p["actions"] if a["action"] == "sqs:SendMessage"]
    assert entry["resource"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
    assert entry["count"] == 5
    assert (doc["window"]["first_event"], doc["window"]["last_event"]) == ("2026-11-01T10:00:00Z", "2026-11-03T10:01:00Z")
    # day bounds, clamped to the events read: last_seen is never in the future of the window
    assert (entry["first_seen"], entry["last_seen"]) == ("2026-11-01T10:00:00Z", "2026-11-03T10:01:00Z")


@pytest.mark.parametrize("with_resources", [True, False])
def test_copy_object_reads_the_source_and_writes_the_destination(tmp_path, with_resources):
    # resources[] names the destination only; the source is in x-amz-copy-source. Missing
    # the source would generate a policy that breaks the copy.
    rng = random.Random(4)
    params = {"bucketName": "archive", "key": "2026/11/a.json", "x-amz-copy-source": "inbox/new/a.json?versionId=3"}
    res = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::archive/2026/11/a.json"},
           {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::archive"}] if with_resources else None
    write_log_file(tmp_path, ACCOUNT, "us-east-1", T0, [
        record(UP, T0, "s3.amazonaws.com", "CopyObject", params, res, rng=rng)])
    (p,) = usage_doc(tmp_path)["principals"]
    used = {(a["action"], a["resource"]) for a in p["actions"]}
    assert used == {("s3:GetObject", "arn:aws:s3:::inbox/new/a.json"),
                    ("s3:GetObjectVersion", "arn:aws:s3:::inbox/new/a.json"),  # it copies version 3
                    ("s3:PutObject", "arn:aws:s3:::archive/2026/11/a.json")}


def test_calls_on_an_object_version_need_the_version_actions(tmp_path):
    rng = random.Random(6)
    obj = {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::docs/a.pdf"}
    write_log_file(tmp_path, ACCOUNT, "us-east-1", T0, [
        record(UP, T0, "s3.amazonaws.com", "GetObject", {"bucketName": "docs", "key": "a.pdf", "versionId": "v1"}, [obj], rng=rng),
        record(UP, T0, "s3.amazonaws.com", "DeleteObject", {"bucketName": "docs", "key": "a.pdf", "versionId": "v0"}, [obj], rng=rng),
        record(UP, T0, "s3.amazonaws.com", "PutObject", {"bucketName": "docs", "key": "a.pdf"}, [obj], rng=rng)])
    (p,) = usage_doc(tmp_path)["principals"]
    used = {a["action"] for a in p["actions"] if a["resource"] == "arn:aws:s3:::docs/a.pdf"}
    assert used == {"s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject"}


def test_same_output_for_one_and_several_workers_and_any_file_order(corpus):
    one = usage_doc(corpus, workers=1)
    three = usage_doc(corpus, workers=3)
    for d in (one, three):
        d.pop("created_at")
    assert one == three
    # merging partial aggregates in either order gives the same result
    files = [u for u in FolderSource(corpus).units()]
    a = run(files[::2], Window()).merge(run(files[1::2], Window()))
    b = run(files[1::2], Window()).merge(run(files[::2], Window()))
    da, db = to_document(a, Window(), []), to_document(b, Window(), [])
    da.pop("created_at"), db.pop("created_at")
    assert da == db


def test_window_skips_old_date_folders_and_filters_records(corpus):
    since = (T0 + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    src = FolderSource(corpus, since=(T0 + timedelta(days=2)).date())
    units = list(src.units())
    assert src.outside_window == 4 and len(units) == 4
    doc = usage_doc(corpus, since=since)
    api = by_session(doc)[(API.role_arn, "api-handler")]
    assert api[("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders")]["count"] == 60
    assert doc["events"]["out_of_window"] == 250


def test_corrupt_files_are_reported_and_the_rest_processed(corpus, tmp_path):
    day = next(corpus.rglob("*.json.gz")).parent
    good = next(day.glob("*.json.gz")).read_bytes()
    (day / "truncated.json.gz").write_bytes(good[: len(good) // 2])
    (day / "garbage.json").write_text("{not json")
    (day / "wrong.json").write_text('{"Records": "nope"}')
    (day / "fake.json.gz").write_bytes(b"plain text")
    (day / "other.json").write_text('{"Version": "2012-10-17"}')  # JSON, but no Records
    digests = corpus / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "us-east-1" / "2026" / "10" / "02"
    digests.mkdir(parents=True)  # digests are not logs: not read, not reported
    (digests / f"{ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20261002T000000Z.json.gz").write_bytes(
        gzip.compress(b'{"awsAccountId": "123456789012", "logFiles": []}'))
    out = tmp_path / "usage.json"
    res = CliRunner().invoke(main, ["usage", "--cloudtrail", str(corpus), "--since", "2026-10-01", "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    skipped = {Path(s["path"]).name: s["reason"] for s in doc["files"]["skipped"]}
    assert set(skipped) == {"truncated.json.gz", "garbage.json", "wrong.json", "fake.json.gz", "other.json"}
    assert skipped["truncated.json.gz"] == "truncated gzip file"
    assert "Records" in skipped["other.json"]
    assert doc["files"]["read"] == 8
    for name in skipped:
        assert name in res.stderr  # one line each, naming the file
    # nothing readable at all: exit 2
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text("nope")
    res = CliRunner().invoke(main, ["usage", "--cloudtrail", str(bad), "--since", "2026-10-01", "-o", str(tmp_path / "u2.json")])
    assert res.exit_code == 2 and "no CloudTrail file could be read" in res.stderr
    res = CliRunner().invoke(main, ["usage", "--cloudtrail", str(tmp_path / "missing"), "-o", str(tmp_path / "u3.json")])
    assert res.exit_code == 2 and "missing" in res.stderr


def test_records_kept_in_other_shapes_are_read(tmp_path):
    # datasets and exports keep CloudTrail records as a JSON array, as JSON Lines, or as the
    # output of `aws cloudtrail lookup-events`; all three give the same usage as a log file
    rng = random.Random(8)
    recs = [record(API, T0 + timedelta(minutes=i), "dynamodb.amazonaws.com", "GetItem", {"tableName": "orders"},
                   None, rng=rng) for i in range(3)]
    recs.append(record(API, T0, "sqs.amazonaws.com", "SendMessage",
                       {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"}, None, rng=rng))
    shapes = {
        "array.json": json.dumps(recs),
        "lines.jsonl": "\n".join(json.dumps(r) for r in recs) + "\n",
        "lookup.json": json.dumps({"Events": [{"EventId": r["eventID"], "CloudTrailEvent": json.dumps(r)} for r in recs]}),
        "log.json": json.dumps({"Records": recs}),
    }
    docs = {}
    for name, text in shapes.items():
        (tmp_path / name).write_text(text)
        doc = usage_doc(tmp_path / name)
        assert doc["files"] == {"read": 1, "skipped": [], "outside_window": 0, "skipped_records": []}, name
        docs[name] = by_session(doc)
    assert docs["array.json"] == docs["lines.jsonl"] == docs["lookup.json"] == docs["log.json"]
    table = docs["log.json"][(API.role_arn, API.function)]
    assert table[("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders")]["count"] == 3
    assert [u.location for u in FolderSource(tmp_path).units()] == [str(tmp_path / n) for n in sorted(shapes)]


def test_records_older_than_the_category_fields_are_classified_by_action(tmp_path):
    rng = random.Random(10)
    old = []
    for name, params, res in (("GetObject", {"bucketName": "b", "key": "k.json"}, [{"ARN": "arn:aws:s3:::b/k.json"}]),
                              ("GetBucketPolicy", {"bucketName": "b"}, [{"ARN": "arn:aws:s3:::b"}])):
        r = record(API, T0, "s3.amazonaws.com", name, params, res, rng=rng)
        del r["eventCategory"], r["managementEvent"]  # as trails wrote them before 2019
        old.append(r)
    write_log_file(tmp_path, ACCOUNT, "us-east-1", T0, old)
    doc = usage_doc(tmp_path)
    table = by_session(doc)[(API.role_arn, API.function)]
    assert table[("s3:GetObject", "arn:aws:s3:::b/k.json")]["data_event"] is True
    assert table[("s3:GetBucketPolicy", "arn:aws:s3:::b")]["data_event"] is False
    assert doc["data_events"]["by_service"] == {"s3": {"arn:aws:s3:::b": 1}}


def test_odd_parameters_do_not_break_a_file():
    data = json.dumps({"Records": [
        {"eventTime": "2026-11-01T00:00:00Z", "eventSource": "ssm.amazonaws.com", "eventName": "GetParameter",
         "awsRegion": "us-east-1", "recipientAccountId": ACCOUNT,
         "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/r/f"},
         "requestParameters": {"name": "/x", "path": [[1, 2]]}},
        {"eventTime": "2026-11-01T00:00:01Z", "eventSource": "dynamodb.amazonaws.com", "eventName": "GetItem",
         "awsRegion": "us-east-1", "recipientAccountId": ACCOUNT,
         "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/r/f"},
         "requestParameters": {"tableName": "t", "key": {"id": {"S": "1"}}}},
    ]}).encode()
    recs = decode_file(data)
    assert len(recs) == 2 and recs[1].requestParameters.tableName == "t"


def test_cli_attributes_sessions_to_functions_with_a_snapshot(corpus, tmp_path):
    from iam_analyzer.model import Account, Function, Snapshot

    snap = Snapshot(accounts=[Account(account_id=ACCOUNT, functions=[
        Function(arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:uploader", name="uploader", account_id=ACCOUNT,
                 region="us-east-1", role_arn=UP.role_arn)])])
    snap.save(tmp_path / "snap.json")
    out = tmp_path / "u.json"
    res = CliRunner().invoke(main, ["usage", "--cloudtrail", str(corpus), "--since", "2026-10-01",
                                    "--snapshot", str(tmp_path / "snap.json"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    fns = {p["session"]: p["function"] for p in doc["principals"]}
    assert fns["uploader"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:uploader"
    assert fns["nightly-cron"] is None  # not in the snapshot
    import jsonschema

    from iam_analyzer.schema import load

    jsonschema.validate(doc, load("usage"))


def test_s3_source_lists_only_the_window_and_reads_objects(aws, corpus, tmp_path):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    for f in corpus.rglob("*.json.gz"):
        s3.put_object(Bucket="trail-bucket", Key="org/" + str(f.relative_to(corpus)), Body=f.read_bytes())
    s3.put_object(Bucket="trail-bucket", Key=f"org/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/01/d.json.gz",
                  Body=gzip.compress(b'{"digest": true}'))
    listed: list = []
    from iam_analyzer.collect.aws.cloudtrail import S3Source
    from iam_analyzer.collect.aws.session import Clients

    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    clients.add_hook(lambda svc, op, params: listed.append(params.get("Prefix")) if op == "ListObjectsV2" else None)
    src = S3Source(clients, "s3://trail-bucket/org/", "us-east-1", since=(T0 + timedelta(days=2)).date())
    units = list(src.units())
    assert len(units) == 4 and all(u.kind == "s3" for u in units)
    assert not any(p and "/2026/11/01/" in p for p in listed)  # days before the window are never listed
    assert not any(p and "CloudTrail-Digest" in p for p in listed)
    out = tmp_path / "u.json"
    res = CliRunner().invoke(main, ["usage", "--cloudtrail", "s3://trail-bucket/org/", "--since", "2026-11-03",
                                    "--until", "2026-11-30", "--endpoint-url", aws.endpoint_url, "--workers", "2",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["files"]["read"] == 4 and doc["sources"] == [{"type": "s3", "location": "s3://trail-bucket/org/"}]
    assert by_session(doc)[(API.role_arn, "api-handler")][
        ("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders")]["count"] == 60


def test_lookup_events_is_paginated_and_rate_limited():
    """moto does not implement LookupEvents: botocore's Stubber plays the API here."""
    import boto3

    from iam_analyzer.collect.aws.cloudtrail import LookupEventsSource, RateLimiter
    from iam_analyzer.collect.aws.session import Clients

    clock = [0.0]
    sleeps: list[float] = []

    def sleep(s):
        sleeps.append(s)
        clock[0] += s

    clients = Clients(boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"))
    ct = clients.client("cloudtrail", "us-east-1")
    rng = random.Random(1)
    ev = lambda i: {"EventId": str(i), "CloudTrailEvent": json.dumps(  # noqa: E731
        record(CRON, T0 + timedelta(minutes=i), "sqs.amazonaws.com", "SendMessage",
               {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"}, rng=rng))}
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=1)
    with Stubber(ct) as stub:
        base = {"StartTime": since, "EndTime": until, "MaxResults": 50}
        stub.add_response("lookup_events", {"Events": [ev(0), ev(1)], "NextToken": "t1"}, base)
        stub.add_response("lookup_events", {"Events": [ev(2), {"EventId": "bad", "CloudTrailEvent": "{oops"}]},
                          dict(base, NextToken="t1"))
        src = LookupEventsSource(clients, ["us-east-1"], since, until,
                                 limiter=RateLimiter(2.0, clock=lambda: clock[0], sleep=sleep))
        units = list(src.units())
        stub.assert_no_pending_responses()
    assert src.calls == 2 and sleeps == [0.5]  # the second call waited for the 2-per-second budget
    assert src.unreadable == 1
    agg = run(units, Window())
    assert agg.attributed == 3


def test_pending_flushes_to_bound_memory():
    agg = Aggregate()
    pending = Pending(Folder(agg), max_keys=10)
    rng = random.Random(2)
    for i in range(3):
        recs = decode_file(json.dumps({"Records": [
            record(API, T0 + timedelta(hours=i, seconds=j), "s3.amazonaws.com", "GetObject",
                   {"bucketName": "b", "key": f"k{j}"}, [{"ARN": f"arn:aws:s3:::b/k{j}"}], rng=rng)
            for j in range(8)]}).encode())
        pending.add(recs, None, None)
        assert pending.size <= 10
    pending.flush()
    assert agg.attributed == 24
