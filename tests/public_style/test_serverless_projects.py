"""Twenty-two Serverless Framework services written in the style of public example repositories
(serverless/examples, serverless-patterns): every function is found, each role grants exactly what
the files grant (the author's statements plus what the framework adds, written out here by hand),
what only deployment knows is listed with file and line, and the gate on an unchanged repository
reports no access change and no blocking finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.iac import read_paths

from .common import (
    assert_quiet_against_head,
    BASIC, DDB_POLL, KINESIS_POLL, LOGS, ROOT, S3_READ_ONLY, SQS_POLL, VPC_ACCESS, XRAY_DAEMON, XRAY_WRITE,
    granted, grants,
)

SERVICES = ROOT / "serverless"
CRUD = {"dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem"}

# service folder -> {function name: actions its role allows}
EXPECTED: dict[str, dict[str, set[str]]] = {
    "backup": {"table-backup-staging-backup": LOGS | {"s3:PutObject"} | DDB_POLL},
    "crud": {f"todos-api-dev-{k}": LOGS | CRUD for k in ("create", "list", "get", "update", "delete")},
    # one generated role: the consumer's queue polling is on the producer's role too
    "queue-worker": {f"orders-queue-dev-{k}": LOGS | SQS_POLL | {"sqs:SendMessage"} for k in ("producer", "consumer")},
    "per-function": {"media-tools-dev-resize": LOGS | {"s3:GetObject"},
                     "media-tools-dev-notify": LOGS | {"sns:Publish", "dynamodb:GetItem"},
                     "media-tools-dev-status": LOGS | {"dynamodb:GetItem"}},
    "streams": {f"clickstream-dev-{k}": LOGS | KINESIS_POLL | DDB_POLL | XRAY_WRITE | {"firehose:PutRecordBatch"}
                for k in ("ingest", "audit")},
    "own-role": {"report-builder-dev-build": BASIC | {"s3:GetObject", "s3:ListBucket"}},
    "split-files": {"uploads-dev-sign": LOGS | {"s3:PutObject", "s3:GetObject"}},
    "remote-values": {"payments-dev-charge": LOGS | VPC_ACCESS | {"dynamodb:PutItem", "kms:Decrypt"}},
    "events": {f"order-events-dev-{k}": LOGS | {"events:PutEvents", "sqs:SendMessage"} for k in ("router", "nightly")},
    "managed-v2": {"config-reader-dev-read": LOGS | S3_READ_ONLY | {"kms:Decrypt", "ssm:GetParameter",
                                                                   "ssm:GetParametersByPath", "sns:Publish"}},
    "http-url": {f"static-share-dev-{k}": LOGS | {"s3:GetObject", "s3:PutObject"} for k in ("download", "upload")},
    "thumbnails": {"thumbnails-dev-thumb": LOGS | {"s3:GetObject", "s3:PutObject"}},
    "json-service": {"pinger-dev-ping": LOGS | {"cloudwatch:PutMetricData"}},
    "boundary": {"governed-dev-lookup": LOGS | XRAY_DAEMON | {"dynamodb:GetItem", "dynamodb:BatchGetItem"}},
    "alb-logs": {f"edge-logs-dev-{k}": LOGS | {"s3:PutObject"} for k in ("web", "shipper")},
    # functions: a list of ${file()} fragments; a Deny statement grants nothing
    "fragments": {f"notes-dev-{k}": LOGS | {"dynamodb:PutItem", "dynamodb:Query"} for k in ("write", "read")},
    "stage-maps": {"ledger-dev-post": LOGS | {"dynamodb:GetItem", "dynamodb:PutItem", "sns:Publish"}},
    "v4-stages": {"signups-dev-signup": LOGS | {"sqs:SendMessage"}},
    # sweep's role exists outside the files (None: nothing of it is declared); tally's is in resources:
    "external-role": {"legacy-jobs-dev-sweep": None, "legacy-jobs-dev-tally": {"cloudwatch:GetMetricData"}},
    # statements from ${file(x.yml):Key} items, a self: address into resources:, a named function,
    # a Kinesis consumer (enhanced fan-out: the framework's other action list)
    "composite": {"catalog-sync-dev-importer": LOGS | {
        "dynamodb:BatchWriteItem", "dynamodb:DescribeTable", "s3:GetObject", "kinesis:GetRecords",
        "kinesis:GetShardIterator", "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:SubscribeToShard"}},
    # a layers: section referenced as {Ref: <Key>LambdaLayer}, a list and a JSON file through custom:
    "layers-lists": {"misc-dev-f": LOGS | SQS_POLL | {"s3:GetObject", "dynamodb:GetItem", "dynamodb:Query"}},
    "inherit-default": {"inventory-dev-restock": LOGS | {"sqs:SendMessage", "dynamodb:Query"},
                        "inventory-dev-count": LOGS | {"dynamodb:Scan"}},
}

# service folder -> (file name, line) of every value only deployment knows
UNRESOLVED: dict[str, set[tuple[str, int]]] = {
    "composite": {("serverless.yml", 12)},  # ${ssm:/x~true}
    "stage-maps": {("serverless.yml", 10), ("serverless.yml", 24)},  # ${env:X} with no value and no fallback
    "remote-values": {("serverless.yml", 8), ("serverless.yml", 10), ("serverless.yml", 18), ("serverless.yml", 21),
                      ("serverless.yml", 27)},
}


def test_there_are_at_least_fifteen_services():
    assert len(EXPECTED) >= 15
    assert sorted(EXPECTED) == sorted(p.name for p in SERVICES.iterdir() if p.is_dir())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_function_is_found_with_every_action_its_role_is_granted(name):
    r = read_paths([SERVICES / name])
    assert [(i.kind, i.errors) for i in r.inputs] == [("serverless", [])]
    fns = {f.name: f for f in r.snapshot.functions()}
    assert sorted(fns) == sorted(EXPECTED[name])
    for fname, actions in EXPECTED[name].items():
        if actions is None:
            assert r.snapshot.find_role(fns[fname].role_arn) is None
            continue
        assert granted(r, fns[fname]) == actions, fname
        assert fns[fname].location.line  # each function points at its key
    assert {(Path(u.path).name, u.line) for u in r.unresolved} == UNRESOLVED.get(name, set())


def test_variables_of_old_and_new_styles_resolve_to_the_names_the_framework_deploys():
    crud = read_paths([SERVICES / "crud"])
    fn = next(f for f in crud.snapshot.functions() if f.name == "todos-api-dev-create")
    # ${opt:stage, self:provider.stage} and ${opt:region, self:provider.region}: the framework's defaults
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:*:table/todos-api-dev") in grants(crud, fn)
    split = read_paths([SERVICES / "split-files"])
    (fn,) = split.snapshot.functions()
    # custom: ${file(./config/${sls:stage}.json)}, then ${self:custom.bucketName} through it
    assert ("s3:PutObject", "arn:aws:s3:::uploads-dev-files/*") in grants(split, fn)
    gov = read_paths([SERVICES / "boundary"])
    (fn,) = gov.snapshot.functions()
    # ${param:tableName} from the service's own params: (the stage's, else default)
    assert ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/governed-default") in grants(gov, fn)
    v4 = read_paths([SERVICES / "v4-stages"], params={"stage": "prod"})
    (fn,) = v4.snapshot.functions()
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:signups-prod") in grants(v4, fn)  # stages: (v4)
    stages = read_paths([SERVICES / "stage-maps"], params={"stage": "prod"})
    (fn,) = stages.snapshot.functions()
    # ${self:custom.tables.${self:custom.stage}}: a variable inside an address
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/ledger-main") in grants(stages, fn)
    frag = read_paths([SERVICES / "fragments"])
    fn = next(f for f in frag.snapshot.functions() if f.name == "notes-dev-write")
    assert Path(fn.location.path).name == "write.yml" and fn.location.line == 1
    assert fn.region == "eu-central-1"  # ${opt:region, 'eu-central-1'}
    comp = read_paths([SERVICES / "composite"], params={"stage": "prod"})
    (fn,) = comp.snapshot.functions()
    assert fn.timeout == 120  # ${file(./env.yml):${sls:stage}} then .timeout
    g = grants(comp, fn)
    assert ("dynamodb:DescribeTable", "arn:aws:dynamodb:us-east-1:*:table/catalog-prod") in g
    assert ("s3:GetObject", "arn:aws:s3:::catalog-feeds/*") in g  # ${self:custom.missing, 'fallback'}
    # the function's own name starts with <service>-<stage>: the framework's service-wide log groups cover it
    assert ("logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/"
            "catalog-sync-prod*:*") in g
    prod = read_paths([SERVICES / "boundary"], params={"stage": "prod"})
    (fn,) = prod.snapshot.functions()
    assert ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/governed-prod") in grants(prod, fn)
    role = prod.snapshot.find_role(fn.role_arn)
    assert role.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/lambda-boundary"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_gate_on_an_unchanged_repository_shows_no_access_change_and_does_not_block(name, tmp_path, monkeypatch):
    assert_quiet_against_head(SERVICES / name, tmp_path, monkeypatch, EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_new_role_finds_each_function_of_the_service(name):
    sls = next(p for p in (SERVICES / name).iterdir() if p.name.startswith("serverless."))
    for fname in EXPECTED[name]:
        key = {"catalog-sync-dev-importer": "sync"}.get(fname) or fname.rsplit("-", 1)[1]
        r = CliRunner().invoke(main, ["new-role", "--template", str(sls), "--function", key,
                                      "--account", "123456789012", "--region", "us-east-1"])
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        # the function's own configuration read through the template: its log group, by its name
        assert f"log-group:/aws/lambda/{fname}:" in r.stdout, r.stdout
