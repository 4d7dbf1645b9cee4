"""A small trail that exercises every branch of the fold, for comparing engines."""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from iam_analyzer.collect.cloudtrail.pipeline import Window, run, to_document
from iam_analyzer.collect.cloudtrail.sources import FolderSource
from iam_analyzer.collect.cloudtrail.synth import Caller, record, write_log_file

ACCOUNT = "123456789012"
T0 = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
API = Caller(ACCOUNT, "api-role", "api-handler")
UP = Caller(ACCOUNT, "shared-role", "uploader", role_path="/service-role/")
CRON = Caller(ACCOUNT, "shared-role", "nightly-cron", role_path="/service-role/", region="eu-west-1")
OTHER = Caller("210987654321", "etl-role", "etl", region="eu-west-1")


def _obj(bucket: str, key: str) -> list[dict]:
    return [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]


def write_corpus(root: Path) -> Path:
    """Four days of logs: data events on many S3 objects (past the coarsening limit), copies,
    object versions, denied calls, unmapped events, service events, records older than the
    category fields, parameters that are objects, and a lookup-events file."""
    rng = random.Random(17)
    for day in range(4):
        t = T0 + timedelta(days=day)
        recs = []
        for i in range(40):
            when = t + timedelta(minutes=i)
            recs.append(record(API, when, "dynamodb.amazonaws.com", "GetItem",
                               {"tableName": "orders", "key": {"id": {"S": str(i)}}},
                               [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table",
                                 "ARN": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"}], rng=rng))
            recs.append(record(API, when, "dynamodb.amazonaws.com", "Query",
                               {"tableName": "orders", "indexName": "by-date", "limit": 5}, rng=rng))
            key = f"in/{day}/{i % 3}/{i}.csv"
            recs.append(record(UP, when, "s3.amazonaws.com", "GetObject", {"bucketName": "uploads", "key": key},
                               _obj("uploads", key), rng=rng))
            if i % 4 == 0:  # HeadObject is authorised as s3:GetObject: one object table with GetObject's
                other = f"other/{day}/{i}.x"
                recs.append(record(UP, when, "s3.amazonaws.com", "HeadObject", {"bucketName": "uploads", "key": other},
                                   _obj("uploads", other), rng=rng))
            recs.append(record(UP, when, "s3.amazonaws.com", "PutObject", {"bucketName": "out put", "key": f"k {i}.json"},
                               None, error="AccessDenied" if i % 7 == 0 else None, rng=rng))
            recs.append(record(CRON, when, "sqs.amazonaws.com", "SendMessageBatch",
                               {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/jobs"}, rng=rng))
        recs.append(record(UP, t, "s3.amazonaws.com", "CopyObject",
                           {"bucketName": "archive", "key": f"{day}/a.json", "x-amz-copy-source": "inbox/new/a.json?versionId=3"},
                           _obj("archive", f"{day}/a.json"), rng=rng))
        recs.append(record(UP, t, "s3.amazonaws.com", "CopyObject",
                           {"bucketName": "archive", "key": f"{day}/b.json", "x-amz-copy-source": "/inbox/new/b.json"}, rng=rng))
        recs.append(record(UP, t, "s3.amazonaws.com", "GetObject", {"bucketName": "docs", "key": "a.pdf", "versionId": "v1"},
                           _obj("docs", "a.pdf"), rng=rng))
        recs.append(record(CRON, t, "secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "db-password"},
                           error="AccessDenied", rng=rng))
        recs.append(record(CRON, t, "kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                           [{"accountId": ACCOUNT, "type": "AWS::KMS::Key",
                             "ARN": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}], rng=rng))
        recs.append(record(CRON, t, "xyz.amazonaws.com", "Frobnicate", {}, rng=rng))
        recs.append(record(API, t, "ssm.amazonaws.com", "GetParameters", {"names": ["/app/a", "/app/b"]}, rng=rng))
        recs.append(record(API, t, "ssm.amazonaws.com", "GetParametersByPath", {"path": "/app/", "recursive": True}, rng=rng))
        recs.append(record(API, t, "logs.amazonaws.com", "CreateLogStream",
                           {"logGroupName": "/aws/lambda/api-handler", "logStreamName": f"s{day}"}, rng=rng))
        recs.append(record(OTHER, t, "lambda.amazonaws.com", "Invoke", {"functionName": "worker:live"}, rng=rng))
        old = record(API, t, "s3.amazonaws.com", "GetBucketPolicy", {"bucketName": "uploads"},
                     [{"ARN": "arn:aws:s3:::uploads"}], rng=rng)
        del old["eventCategory"], old["managementEvent"]  # as trails wrote them before 2019
        recs.append(old)
        svc = record(API, t, "kms.amazonaws.com", "RotateKey", None, rng=rng)
        svc["eventType"], svc["userIdentity"] = "AwsServiceEvent", {"type": "AWSService", "invokedBy": "kms.amazonaws.com"}
        recs.append(svc)
        write_log_file(root, ACCOUNT, "us-east-1", t, recs[: len(recs) // 2], seq=1)
        write_log_file(root, ACCOUNT, "us-east-1", t + timedelta(minutes=50), recs[len(recs) // 2:], seq=2)
    # another account and region's folder, and events of the last day past the window's end
    late = [record(OTHER, T0 + timedelta(days=3, hours=13), "sns.amazonaws.com", "Publish",
                   {"topicArn": "arn:aws:sns:eu-west-1:210987654321:alerts"}, rng=rng)]
    write_log_file(root, "210987654321", "eu-west-1", T0 + timedelta(days=3, hours=13), late, seq=3)
    # management events as `aws cloudtrail lookup-events` prints them
    looked = [record(CRON, T0 + timedelta(days=1, hours=2), "iam.amazonaws.com", "GetRole", {"roleName": "x"}, rng=rng)]
    folder = root / "lookup"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events.json").write_text(json.dumps({"Events": [{"CloudTrailEvent": json.dumps(r)} for r in looked]}))
    return root


def write_bad_file(root: Path) -> Path:
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "11" / "02"
    folder.mkdir(parents=True, exist_ok=True)
    bad = folder / "truncated.json.gz"
    bad.write_bytes(gzip.compress(json.dumps({"Records": []}).encode())[:20])
    return bad


def file_path_document(root: Path, window: Window) -> dict:
    src = FolderSource(root, *(_dates(window)))
    units = list(src.units())
    agg = run(units, window, workers=1)
    return to_document(agg, window, [src.describe()], outside_window_files=src.outside_window)


def _dates(window: Window):
    from datetime import date

    def d(iso):
        return date.fromisoformat(iso[:10]) if iso else None

    return d(window.since), d(window.until)


def comparable(doc: dict) -> dict:
    """A usage document without what names the run (its time and its sources)."""
    return {k: v for k, v in doc.items() if k not in ("created_at", "sources")}
