"""boto3 calls found in the Python handlers of tests/data/handlers/python, each form once."""

from pathlib import Path

import pytest

from iam_analyzer.collect.code import read_code, read_sources

HANDLERS = Path(__file__).resolve().parents[2] / "data" / "handlers" / "python"


@pytest.fixture(scope="module")
def calls():
    scan = read_code([HANDLERS])
    assert scan.problems == []
    return scan.calls


def found(calls, name, line=None):
    return {(c.service, c.operation, tuple((a.param, a.value, a.env) for a in c.args))
            for c in calls if c.path.endswith(name) and (line is None or c.line == line)}


def test_seed_orders_api_table_resource_and_module_globals(calls):
    got = found(calls, "orders_api.py")
    assert ("dynamodb", "PutItem", (("TableName", None, "TABLE_NAME"),)) in got
    assert ("dynamodb", "GetItem", (("TableName", None, "TABLE_NAME"),)) in got
    assert ("dynamodb", "Query", (("TableName", None, "TABLE_NAME"), ("IndexName", "by-customer", None))) in got
    assert ("ssm", "GetParameter", (("Name", None, "CONFIG_PARAM"),)) in got
    assert len(got) == 4


def test_seed_thumbnail_worker_bucket_objects_with_key_prefixes(calls):
    got = found(calls, "thumbnail_worker.py")
    assert got == {("s3", "GetObject", (("Bucket", None, "UPLOADS_BUCKET"), ("Key", "incoming/*", None))),
                   ("s3", "PutObject", (("Bucket", None, "UPLOADS_BUCKET"), ("Key", "thumbnails/*", None)))}


def test_seed_sns_publish_and_cron_report(calls):
    assert found(calls, "order_stream.py") == {("sns", "Publish", (("TopicArn", None, "TOPIC_ARN"),))}
    assert found(calls, "nightly_report.py") == {
        ("dynamodb", "Scan", (("TableName", "orders", None),)),
        ("s3", "PutObject", (("Bucket", None, "REPORT_BUCKET"), ("Key", "daily/*.csv", None)))}


def test_attributes_copy_paginator_waiter(calls):
    assert ("dynamodb", "UpdateItem", (("TableName", None, "TABLE_NAME"),)) in found(calls, "forms.py", 19)
    (copy,) = found(calls, "forms.py", 20)
    assert copy[1] == "CopyObject" and ("CopySource.Bucket", "src-bucket", None) in copy[2]
    assert found(calls, "forms.py", 25) == {("s3", "ListObjectsV2", (("Bucket", "listing-bucket", None), ("Prefix", "logs/", None)))}
    assert found(calls, "forms.py", 27) == {("s3", "HeadObject", (("Bucket", "listing-bucket", None), ("Key", "logs/done", None)))}


def test_managed_transfers_are_every_operation_they_make(calls):
    ops = {op for _, op, _ in found(calls, "forms.py", 32)}
    assert ops == {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"}
    assert {op for _, op, _ in found(calls, "forms.py", 33)} == {"HeadObject", "GetObject"}


def test_resource_objects_collections_batch_writer_presign(calls):
    ops = {(c.line, c.operation) for c in calls if c.path.endswith("forms.py")}
    assert (39, "HeadObject") in ops  # obj.load()
    assert (40, "ListObjects") in ops and (41, "DeleteObject") in ops
    (delete,) = [c for c in calls if c.path.endswith("forms.py") and c.line == 41]
    assert {(a.param, a.value) for a in delete.args} == {("Bucket", "objects-bucket"), ("Key", "tmp/*")}
    assert (44, "BatchWriteItem") in ops
    assert (48, "SendMessage") in ops  # client from a module-level session
    assert (52, "GetObject") in ops  # presigned URL: signed with the role's credentials
    tables = {a.value or a.env for c in calls if c.path.endswith("forms.py") and c.line == 56 for a in c.args}
    assert tables == {"audit", "TABLE_NAME"}  # RequestItems keys name tables


def test_helpers_of_the_same_package_handed_a_client(calls):
    got = found(calls, "helpers.py")
    assert ("s3", "PutObject", (("Bucket", "archive-bucket", None), ("Key", "archive/*", None))) in got
    assert ("s3", "DeleteObject", (("Bucket", "archive-bucket", None), ("Key", "inbox/*", None))) in got


def test_unknown_receivers_and_non_sdk_methods_are_not_guessed():
    src = "import boto3\ndef h(x):\n    x.put_item(Item={})\n    c = boto3.client('s3')\n    c.close()\n    c.can_paginate('x')\n"
    scan = read_sources([("h.py", "h", src)])
    assert scan.calls == []


def test_a_file_that_does_not_parse_is_reported_and_the_others_still_read(tmp_path):
    (tmp_path / "bad.py").write_text("def (:\n")
    (tmp_path / "good.py").write_text("import boto3\nboto3.client('sqs').send_message(QueueUrl='q', MessageBody='')\n")
    scan = read_code([tmp_path])
    assert [c.operation for c in scan.calls] == ["SendMessage"]
    assert len(scan.problems) == 1 and "bad.py:1" in scan.problems[0]


def test_hostile_nesting_is_a_problem_not_a_crash():
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    nested = "import boto3\nv = " + "[" * 400 + "boto3.client('sqs').send_message(QueueUrl='q')" + "]" * 400 + "\n"
    scan = read_sources([("deep.py", "deep", deep), ("nested.py", "nested", nested),
                         ("ok.py", "ok", "import boto3\nboto3.client('sns').publish(TopicArn='t', Message='')\n")])
    assert ("ok.py", "Publish") in [(c.path, c.operation) for c in scan.calls]
    assert any(p.startswith("deep.py:") for p in scan.problems)


def test_aioboto3_sessions_and_async_with_clients():
    src = ("import aioboto3\nsession = aioboto3.Session()\n\nasync def handler(e, c):\n"
           "    async with session.client('sqs') as sqs:\n        await sqs.send_message(QueueUrl='q', MessageBody='m')\n"
           "    async with session.resource('dynamodb') as ddb:\n        t = await ddb.Table('orders')\n"
           "        await t.put_item(Item={})\n")
    scan = read_sources([("a.py", "a", src)])
    assert [(c.line, c.operation) for c in scan.calls] == [(6, "SendMessage"), (9, "PutItem")]


def test_only_parameters_that_name_a_resource_of_that_service_are_kept():
    src = ("import boto3\nboto3.client('sqs').send_message(QueueUrl='q', MessageBody='card 4111')\n"
           "boto3.client('glue').get_job(JobName='j', Name='not-a-parameter-of-ours')\n")
    calls = read_sources([("a.py", "a", src)]).calls
    assert [(c.operation, [(a.param, a.value) for a in c.args]) for c in calls] == [
        ("SendMessage", [("QueueUrl", "q")]), ("GetJob", [("JobName", "j")])]  # Glue names its job; Name is not ours


def _ops(src):
    return {(c.service, c.operation, tuple((a.param, a.value) for a in c.args)) for c in read_sources([("h.py", "h", src)]).calls}


def test_a_client_from_a_factory_a_class_attribute_and_resource_meta_client():
    factory = "import boto3\ndef get():\n    c = boto3.client('s3')\n    return c\ndef h(e, x):\n    get().put_object(Bucket='b', Key='k')\n"
    assert _ops(factory) == {("s3", "PutObject", (("Bucket", "b"), ("Key", "k")))}
    cls = ("import boto3\nclass W:\n    sqs = boto3.client('sqs')\n    url = 'https://sqs.eu-west-1.amazonaws.com/1/q'\n"
           "    def run(self):\n        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle='r')\n")
    assert _ops(cls) == {("sqs", "DeleteMessage", (("QueueUrl", "https://sqs.eu-west-1.amazonaws.com/1/q"),))}
    meta = "import boto3\ns3 = boto3.resource('s3')\ns3.meta.client.download_file('b', 'in/a', '/tmp/a')\n"
    assert {op for _, op, _ in _ops(meta)} == {"HeadObject", "GetObject"}
    recursive = "import boto3\ndef f():\n    return f()\nf().put_object(Bucket='b', Key='k')\n"
    assert _ops(recursive) == set()  # a helper returning itself: nothing known, no endless loop


def test_lazily_made_clients_local_imports_and_transaction_item_kinds():
    lazy = ("import boto3\n_s3 = None\ndef client():\n    global _s3\n    if _s3 is None:\n        _s3 = boto3.client('s3')\n"
            "    return _s3\ndef handler(e, c):\n    client().put_object(Bucket='b', Key='k')\n")
    assert _ops(lazy) == {("s3", "PutObject", (("Bucket", "b"), ("Key", "k")))}
    glob = ("import boto3\nsqs = None\ndef init():\n    global sqs\n    sqs = boto3.client('sqs')\n"
            "def handler(e, c):\n    init()\n    sqs.send_message(QueueUrl='https://sqs.eu-west-1.amazonaws.com/1/q', MessageBody='')\n")
    assert {op for _, op, _ in _ops(glob)} == {"SendMessage"}
    local = "def handler(e, c):\n    import boto3\n    from os import environ\n    boto3.client('sns').publish(TopicArn=environ['T'], Message='m')\n"
    assert {(s, op) for s, op, _ in _ops(local)} == {("sns", "Publish")}
    tx = ("import boto3\nddb = boto3.client('dynamodb')\ndef h(e, c):\n    ddb.transact_write_items(TransactItems=["
          "{'Put': {'TableName': 'a', 'Item': {}}}, {'ConditionCheck': {'TableName': 'b', 'Key': {}}}])\n")
    ((_, _, args),) = _ops(tx)
    assert ("TransactItems", "Put") in args and ("TransactItems", "ConditionCheck") in args


def test_botocore_and_aiobotocore_sessions_make_clients_too():
    aio = ("from aiobotocore.session import get_session\nasync def h(e, c):\n    session = get_session()\n"
           "    async with session.create_client('s3') as s3:\n        await s3.get_object(Bucket='b', Key='k')\n")
    assert {(s, op) for s, op, _ in _ops(aio)} == {("s3", "GetObject")}
    core = "import botocore.session\nc = botocore.session.get_session().create_client('sqs')\nc.delete_queue(QueueUrl='q')\n"
    assert {(s, op) for s, op, _ in _ops(core)} == {("sqs", "DeleteQueue")}
