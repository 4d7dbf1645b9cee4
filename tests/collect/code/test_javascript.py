"""AWS SDK for JavaScript v2 and v3 calls found in tests/data/handlers/js, each form once."""

from pathlib import Path

import pytest

from iam_analyzer.collect.code import read_code, read_sources

HANDLERS = Path(__file__).resolve().parents[2] / "data" / "handlers" / "js"


@pytest.fixture(scope="module")
def calls():
    scan = read_code([HANDLERS])
    assert scan.problems == []
    return scan.calls


def at(calls, name, line):
    return {(c.service, c.operation, tuple((a.param, a.value, a.env) for a in c.args))
            for c in calls if c.path.endswith(name) and c.line == line}


def test_seed_image_upload_v3_send_with_destructured_env(calls):
    assert at(calls, "image_upload.mjs", 13) == {("s3", "GetObject", ())}  # the bucket comes in the event
    assert at(calls, "image_upload.mjs", 14) == {("sqs", "SendMessage", (("QueueUrl", None, "JOBS_QUEUE_URL"),))}


def test_seed_order_notifier_require_of_a_v3_client(calls):
    assert at(calls, "order_notifier.js", 8) == {("dynamodb", "GetItem", (("TableName", "orders", None),))}


def test_v3_lib_dynamodb_helpers_classes_paginators_waiters_presign(calls):
    assert at(calls, "forms_v3.ts", 16) == {("sns", "Publish", (("TopicArn", None, "TOPIC_ARN"),))}  # this.client, namespace import
    assert at(calls, "forms_v3.ts", 21) == {("dynamodb", "PutItem", (("TableName", None, "TABLE_NAME"),))}  # helper
    assert at(calls, "forms_v3.ts", 26) == {("dynamodb", "Query", (("TableName", None, "TABLE_NAME"), ("IndexName", "by-date", None)))}
    assert at(calls, "forms_v3.ts", 27) == {("dynamodb", "Scan", (("TableName", "audit", None),))}
    assert {op for _, op, _ in at(calls, "forms_v3.ts", 29)} == {
        "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"}  # lib-storage
    assert at(calls, "forms_v3.ts", 31) == {("s3", "HeadObject", (("Bucket", "uploads-bucket", None), ("Key", "ready", None)))}
    assert at(calls, "forms_v3.ts", 32) == {("s3", "GetObject", (("Bucket", "shared", None), ("Key", "doc.pdf", None)))}
    (sfn,) = at(calls, "forms_v3.ts", 33)
    assert sfn[:2] == ("stepfunctions", "StartExecution")  # @aws-sdk/client-sfn


def test_v2_clients_document_client_upload_presign_helpers(calls):
    assert at(calls, "v2_forms.js", 8) == {("s3", "PutObject", (("Bucket", "archive-bucket", None), ("Key", "orders/*.json", None)))}
    assert at(calls, "v2_forms.js", 12) == {("dynamodb", "GetItem", (("TableName", None, "TABLE_NAME"),))}
    assert at(calls, "v2_forms.js", 13) == {("dynamodb", "PutItem", (("TableName", None, "TABLE_NAME"),))}
    assert "PutObject" in {op for _, op, _ in at(calls, "v2_forms.js", 14)}
    assert at(calls, "v2_forms.js", 15) == {("s3", "GetObject", (("Bucket", "shared-assets", None), ("Key", "logo.png", None)))}
    assert at(calls, "v2_forms.js", 16) == {("lambda", "Invoke", (("FunctionName", "audit-log", None),))}


def test_a_file_without_the_sdk_gives_nothing_and_a_broken_one_is_reported():
    good = ('import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";\n'
            "const c = new SQSClient({});\nc.send(new SendMessageCommand({ QueueUrl: 'q' }));\n")
    scan = read_sources([("a.js", "a", "const x = {send() {}}; x.send(new Foo());\n"),
                         ("b.ts", "b", good.replace("}));", "})")),  # a missing parenthesis
                         ("c.js", "c", good)])
    assert ("c.js", "SendMessage") in [(c.path, c.operation) for c in scan.calls]
    assert not any(c.path == "a.js" for c in scan.calls)
    assert len(scan.problems) == 1 and scan.problems[0].startswith("b.ts:")


def test_hostile_nesting_is_a_problem_not_a_crash():
    deep = 'const AWS = require("aws-sdk");\nconst x = ' + "[" * 3000 + "1" + "]" * 3000 + ";\n"
    scan = read_sources([("deep.js", "deep", deep)])
    assert scan.calls == []


def test_the_url_get_queue_url_returns_names_the_same_queue():
    v3 = ('import { SQSClient, GetQueueUrlCommand, SendMessageCommand } from "@aws-sdk/client-sqs";\n'
          "const sqs = new SQSClient({});\nexport const handler = async () => {\n"
          "  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: process.env.QUEUE }));\n"
          "  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'm' }));\n};\n")
    v2 = ('const AWS = require("aws-sdk");\nconst sqs = new AWS.SQS();\nexports.handler = async () => {\n'
          "  const res = await sqs.getQueueUrl({ QueueName: 'jobs' }).promise();\n"
          "  await sqs.sendMessage({ QueueUrl: res.QueueUrl, MessageBody: 'm' }).promise();\n};\n")
    scan = read_sources([("a.mjs", "a", v3), ("b.js", "b", v2)])
    got = {(c.path, c.operation, tuple((a.param, a.value, a.env) for a in c.args)) for c in scan.calls}
    assert ("a.mjs", "SendMessage", (("QueueUrl", None, "QUEUE"),)) in got
    assert ("b.js", "SendMessage", (("QueueUrl", "jobs", None),)) in got
