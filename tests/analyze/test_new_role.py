"""new-role's builder: code + template + intent -> a verified policy on the template's resources."""

from pathlib import Path

import pytest

from iam_analyzer.analyze.generate.intent import Intent, IntentEntry
from iam_analyzer.analyze.generate.new_role import new_role
from iam_analyzer.cli.new_role import build_new_role
from iam_analyzer.collect.code import read_sources
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.iam.resource_params import Scope

DATA = Path(__file__).resolve().parents[1] / "data" / "handlers"
TEMPLATE = str(DATA / "template.yaml")
ACCOUNT, REGION = "111122223333", "us-east-1"


def build(code: str, function: str, intent=None, account=ACCOUNT, region=REGION):
    role, problems = build_new_role([str(DATA / code)], TEMPLATE, function, intent, account, region)
    assert role is not None, problems
    return role


def policies(role):
    return [parse_policy_lenient(d)[0] for d in role.documents]


def allowed(role, action, resource):
    return evaluate(Request(action, resource), policies(role)).result is Result.ALLOW


def statements(role):
    return {(s["Sid"], tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],),
             tuple(s["Resource"]) if isinstance(s["Resource"], list) else (s["Resource"],))
            for d in role.documents for s in d["Statement"]}


def test_orders_api_exact_table_index_and_parameter_from_the_template():
    role = build("python/orders_api.py", "orders-api")
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    assert allowed(role, "dynamodb:PutItem", table) and allowed(role, "dynamodb:GetItem", table)
    assert allowed(role, "dynamodb:Query", f"{table}/index/by-customer")
    assert not allowed(role, "dynamodb:Query", table)  # the code queries the index only
    assert not allowed(role, "dynamodb:DeleteItem", table)
    assert allowed(role, "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/orders/config")
    assert allowed(role, "xray:PutTraceSegments", "*")  # Tracing: Active in the template
    assert role.ok and role.placeholders == []


def test_s3_triggered_function_reads_the_trigger_bucket_and_sends_to_the_queue():
    role = build("js/image_upload.mjs", "image-upload")
    assert allowed(role, "s3:GetObject", "arn:aws:s3:::demo-uploads/incoming/a.jpg")
    assert not allowed(role, "s3:PutObject", "arn:aws:s3:::demo-uploads/incoming/a.jpg")  # no write it never makes
    assert allowed(role, "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:thumbnail-jobs")
    assert {a for a in allowed_actions(policies(role))} == {
        "s3:getobject", "sqs:sendmessage", "logs:createloggroup", "logs:createlogstream", "logs:putlogevents"}


def test_thumbnail_worker_prefixes_from_key_literals_and_event_source_needs():
    role = build("python/thumbnail_worker.py", "thumbnail-worker")
    assert allowed(role, "s3:GetObject", "arn:aws:s3:::demo-uploads/incoming/x.jpg")
    assert not allowed(role, "s3:GetObject", "arn:aws:s3:::demo-uploads/thumbnails/x.jpg")
    assert allowed(role, "s3:PutObject", "arn:aws:s3:::demo-uploads/thumbnails/x.jpg")
    assert not allowed(role, "s3:PutObject", "arn:aws:s3:::demo-uploads/incoming/x.jpg")
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:thumbnail-jobs"
    assert allowed(role, "sqs:ReceiveMessage", queue) and allowed(role, "sqs:DeleteMessage", queue)
    assert allowed(role, "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:thumbnail-dlq")  # the DLQ
    assert not allowed(role, "sqs:SendMessage", queue)


def test_sns_publish_and_the_cron_report():
    role = build("python/order_stream.py", "order-stream")
    assert allowed(role, "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:order-events")
    assert allowed(role, "dynamodb:GetRecords", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders/stream/2024")
    role = build("python/nightly_report.py", "nightly-report")
    assert allowed(role, "dynamodb:Scan", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders")
    assert allowed(role, "s3:PutObject", "arn:aws:s3:::demo-reports/daily/2026-01-01.csv")
    assert not allowed(role, "s3:PutObject", "arn:aws:s3:::demo-reports/other.csv")


@pytest.mark.parametrize("code,function", [
    ("python/orders_api.py", "orders-api"), ("js/image_upload.mjs", "image-upload"),
    ("python/thumbnail_worker.py", "thumbnail-worker"), ("python/order_stream.py", "order-stream"),
    ("python/nightly_report.py", "nightly-report")])
def test_every_call_found_is_allowed_and_nothing_else(code, function):
    role = build(code, function)
    pols = policies(role)
    asked = {(g.action, g.resource) for g in role.grants}
    for action, resource in asked:
        assert evaluate(Request(action, resource), pols).result is Result.ALLOW
    assert allowed_actions(pols) == {a.lower() for a, _ in asked}
    assert role.verification["ok"] and role.verification["beyond_count"] == 0


def test_unresolved_resources_are_placeholders_with_file_and_line_never_star():
    src = "import os, boto3\ndef h(e, c):\n    boto3.client('sqs').send_message(QueueUrl=os.environ['Q'], MessageBody='')\n"
    calls = read_sources([("h.py", "h", src)]).calls
    role = new_role(calls, scope=Scope("aws", REGION, ACCOUNT), function_name="h")
    (st, logs) = role.documents[0]["Statement"]
    assert st["Resource"] == "<Q>"  # the variable holds a queue URL: one placeholder for the queue's ARN
    assert logs["Resource"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/h:*"
    assert role.placeholders == [{"placeholder": "<Q>", "action": "sqs:SendMessage", "resource": st["Resource"], "at": "h.py:3"}]
    assert any(w.startswith("h.py:3: sqs:SendMessage") for w in role.warnings)
    assert role.unresolved("json") and role.unresolved("sam")  # no format can fill it in


def test_actions_without_a_resource_type_are_star_and_copies_read_their_source():
    src = ("import boto3\ns3 = boto3.client('s3')\nboto3.client('sts').get_caller_identity()\n"
           "s3.copy_object(CopySource='src-b/in/a.txt', Bucket='dst-b', Key='out/a.txt')\n")
    role = new_role(read_sources([("h.py", "h", src)]).calls, scope=Scope("aws", REGION, ACCOUNT))
    assert allowed(role, "sts:GetCallerIdentity", "*")
    assert allowed(role, "s3:GetObject", "arn:aws:s3:::src-b/in/a.txt")
    assert allowed(role, "s3:PutObject", "arn:aws:s3:::dst-b/out/a.txt")
    assert not allowed(role, "s3:PutObject", "arn:aws:s3:::src-b/in/a.txt")
    assert not allowed(role, "s3:GetObject", "arn:aws:s3:::dst-b/out/a.txt")


def test_intent_and_code_union_each_statement_says_where_it_came_from():
    src = "import boto3\nboto3.client('dynamodb').get_item(TableName='orders', Key={})\n"
    intent = Intent("intent.yaml", [IntentEntry("reads", "dynamodb:table/orders", 1),
                                    IntentEntry("publishes", "sns:order-events", 2),
                                    IntentEntry("writes", "s3:uploads/incoming/*", 3, ["PutObject"])])
    role = new_role(read_sources([("h.py", "h", src)]).calls, intent=intent, scope=Scope("aws", REGION, ACCOUNT))
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    assert allowed(role, "dynamodb:Query", table)  # reads: every Read/List action on a table
    assert allowed(role, "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:order-events")
    assert allowed(role, "s3:PutObject", "arn:aws:s3:::uploads/incoming/x")
    assert not allowed(role, "s3:DeleteObject", "arn:aws:s3:::uploads/incoming/x")
    get = next(s for s in role.statements if "dynamodb:GetItem" in s["actions"])
    kinds = {(e["kind"], e.get("line")) for e in get["evidence"] if e["action"] == "dynamodb:GetItem"}
    assert kinds == {("code", 2), ("intent", 1)}
    assert get["sid"].startswith("Code")
    assert any(s["sid"].startswith("Intent") for s in role.statements)
    assert role.verification["ok"]


def test_a_large_intent_is_minimised_exactly_and_fits_the_size_limit():
    intent = Intent("i.yaml", [IntentEntry(v, f"s3:bucket-{i}/*", i) for i in range(40) for v in ("reads", "writes")])
    role = new_role([], intent=intent, scope=Scope("aws", REGION, ACCOUNT))
    assert role.verification["ok"]
    import json
    assert all(len(json.dumps(d, separators=(",", ":"))) <= 10_240 for d in role.documents)


def test_a_transaction_written_out_gets_the_actions_of_its_items_only():
    src = ("import boto3\nddb = boto3.client('dynamodb')\ndef h(e, c):\n    ddb.transact_write_items(TransactItems=["
           "{'Put': {'TableName': 'orders', 'Item': {}}}, {'Update': {'TableName': 'orders', 'Key': {}}}])\n")
    role = new_role(read_sources([("h.py", "h", src)]).calls, scope=Scope("aws", REGION, ACCOUNT), function_name="h")
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    assert allowed(role, "dynamodb:PutItem", table) and allowed(role, "dynamodb:UpdateItem", table)
    assert not allowed(role, "dynamodb:DeleteItem", table) and not allowed(role, "dynamodb:ConditionCheckItem", table)
    built = "import boto3\nddb = boto3.client('dynamodb')\ndef h(e, c):\n    ddb.transact_write_items(TransactItems=e['items'])\n"
    role = new_role(read_sources([("h.py", "h", built)]).calls, scope=Scope("aws", REGION, ACCOUNT), function_name="h")
    placeholder_table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/<TableName>"
    assert allowed(role, "dynamodb:DeleteItem", placeholder_table)  # items built at run time: every kind it can hold
