"""lambda_needs follows the Lambda Developer Guide's permission list, entry by entry (the guide
wins where it is stricter than what Lambda calls: never break a function)."""

from __future__ import annotations

import pytest

from iam_analyzer.analyze.needs import requirements
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.model import EventInvokeConfig, EventSourceMapping, Function

A = "111122223333"
R = "us-east-1"


def fn(**kw) -> Function:
    return Function(arn=f"arn:aws:lambda:{R}:{A}:function:f", name="f", account_id=A, region=R,
                    role_arn=f"arn:aws:iam::{A}:role/r", **kw)


def esm(src, kind, **kw) -> EventSourceMapping:
    return EventSourceMapping(uuid="u-1", event_source_arn=src, source_type=kind, function_arn=f"arn:aws:lambda:{R}:{A}:function:f", **kw)


def needs(f) -> set[tuple[str, str]]:
    return {(r.action, r.resource) for r in requirements(f)}


def actions(f) -> set[str]:
    return {r.action for r in requirements(f)}


STREAM = f"arn:aws:kinesis:{R}:{A}:stream/s"
MSK = f"arn:aws:kafka:{R}:{A}:cluster/c/0123-abcd"


def test_logs_for_every_function():  # lambda-intro-execution-role.html
    group = f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:*"
    assert {("logs:CreateLogGroup", group), ("logs:CreateLogStream", group), ("logs:PutLogEvents", group)} <= needs(fn())


def test_sqs():  # with-sqs.html
    q = f"arn:aws:sqs:{R}:{A}:q"
    got = needs(fn(event_source_mappings=[esm(q, "sqs")]))
    assert {("sqs:ReceiveMessage", q), ("sqs:DeleteMessage", q), ("sqs:GetQueueAttributes", q)} <= got


def test_kinesis_standard_iterator_gets_subscribe_and_list_streams():  # services-kinesis-create.html
    got = needs(fn(event_source_mappings=[esm(STREAM, "kinesis")]))
    for a in ("DescribeStream", "DescribeStreamSummary", "GetRecords", "GetShardIterator", "ListShards"):
        assert (f"kinesis:{a}", STREAM) in got
    assert ("kinesis:SubscribeToShard", f"{STREAM}/consumer/*") in got
    assert ("kinesis:ListStreams", "*") in got


def test_kinesis_enhanced_fan_out():  # services-kinesis-create.html
    consumer = f"{STREAM}/consumer/c:1700000000"
    got = needs(fn(event_source_mappings=[esm(consumer, "kinesis")]))
    assert ("kinesis:SubscribeToShard", consumer) in got and ("kinesis:DescribeStreamConsumer", consumer) in got
    assert ("kinesis:GetRecords", STREAM) in got  # stream-level actions on the stream, not the consumer


def test_dynamodb_streams():  # with-ddb.html
    s = f"arn:aws:dynamodb:{R}:{A}:table/t/stream/2026-01-01T00:00:00.000"
    got = needs(fn(event_source_mappings=[esm(s, "dynamodb")]))
    assert {("dynamodb:DescribeStream", s), ("dynamodb:GetRecords", s), ("dynamodb:GetShardIterator", s),
            ("dynamodb:ListStreams", "*")} <= got


def test_msk_with_iam_authentication():  # with-msk-permissions.html
    got = needs(fn(event_source_mappings=[esm(MSK, "kafka")]))
    assert {("kafka:DescribeClusterV2", MSK), ("kafka:GetBootstrapBrokers", MSK), ("kafka-cluster:Connect", MSK),
            ("kafka-cluster:DescribeClusterDynamicConfiguration", MSK)} <= got
    assert ("kafka-cluster:ReadData", f"arn:aws:kafka:{R}:{A}:topic/c/0123-abcd/*") in got
    assert ("kafka-cluster:AlterGroup", f"arn:aws:kafka:{R}:{A}:group/c/0123-abcd/*") in got
    assert {"ec2:CreateNetworkInterface", "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"} <= actions(
        fn(event_source_mappings=[esm(MSK, "kafka")]))
    assert "kafka:DescribeVpcConnection" not in actions(fn(event_source_mappings=[esm(MSK, "kafka")]))


def test_msk_with_scram_secret_and_cross_account():  # with-msk-permissions.html
    secret = f"arn:aws:secretsmanager:{R}:{A}:secret:AmazonMSK_x"
    other = MSK.replace(A, "999999999999")
    f = fn(event_source_mappings=[esm(other, "kafka", source_access=[{"type": "SASL_SCRAM_512_AUTH", "uri": secret}])])
    got = actions(f)
    assert "secretsmanager:GetSecretValue" in got and "kafka:DescribeVpcConnection" in got
    assert not {a for a in got if a.startswith("kafka-cluster:")}  # the client authenticates with the secret


def test_self_managed_kafka():  # with-kafka-permissions.html
    secret = f"arn:aws:secretsmanager:{R}:{A}:secret:kafka"
    got = needs(fn(event_source_mappings=[esm(None, "self-managed-kafka", source_access=[{"type": "BASIC_AUTH", "uri": secret}])]))
    assert ("secretsmanager:GetSecretValue", secret) in got
    assert {("ec2:CreateNetworkInterface", "*"), ("ec2:DescribeVpcs", "*"), ("ec2:DeleteNetworkInterface", "*")} <= got


def test_amazon_mq():  # with-mq.html
    broker = f"arn:aws:mq:{R}:{A}:broker:b:b-1"
    got = needs(fn(event_source_mappings=[esm(broker, "mq", source_access=[
        {"type": "BASIC_AUTH", "uri": f"arn:aws:secretsmanager:{R}:{A}:secret:mq"}])]))
    assert ("mq:DescribeBroker", broker) in got and ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{R}:{A}:secret:mq") in got
    assert ("ec2:DescribeSecurityGroups", "*") in got


def test_documentdb():  # with-documentdb.html
    got = actions(fn(event_source_mappings=[esm(f"arn:aws:rds:{R}:{A}:cluster:d", "docdb")]))
    assert {"rds:DescribeDBClusters", "rds:DescribeDBClusterParameters", "rds:DescribeDBSubnetGroups",
            "ec2:CreateNetworkInterface"} <= got


def test_vpc():  # configuration-vpc.html
    got = actions(fn(vpc_id="vpc-1", subnet_ids=["subnet-1"]))
    assert {"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"} <= got


def test_efs():  # configuration-filesystem.html
    ap = f"arn:aws:elasticfilesystem:{R}:{A}:access-point/fsap-1"
    got = needs(fn(file_systems=[{"arn": ap, "local_mount_path": "/mnt/x"}]))
    fs = f"arn:aws:elasticfilesystem:{R}:{A}:file-system/*"
    assert {("elasticfilesystem:ClientMount", fs), ("elasticfilesystem:ClientWrite", fs)} <= got


def test_xray():  # services-xray.html
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= actions(fn(tracing_mode="Active"))
    assert not {a for a in actions(fn(tracing_mode="PassThrough")) if a.startswith("xray:")}


def test_kms_for_environment_variables():  # configuration-envvars-encryption.html
    key = f"arn:aws:kms:{R}:{A}:key/1234"
    assert ("kms:Decrypt", key) in needs(fn(kms_key_arn=key))


@pytest.mark.parametrize("target,action", [
    (f"arn:aws:sqs:{R}:{A}:dlq", "sqs:SendMessage"),
    (f"arn:aws:sns:{R}:{A}:topic", "sns:Publish"),
])
def test_dead_letter_queue(target, action):  # invocation-async-retain-records.html
    assert (action, target) in needs(fn(dead_letter_target=target))


@pytest.mark.parametrize("target,action", [
    (f"arn:aws:sqs:{R}:{A}:d", "sqs:SendMessage"),
    (f"arn:aws:sns:{R}:{A}:d", "sns:Publish"),
    (f"arn:aws:lambda:{R}:{A}:function:d", "lambda:InvokeFunction"),
    (f"arn:aws:events:{R}:{A}:event-bus/d", "events:PutEvents"),
])
def test_async_destinations(target, action):  # invocation-async-retain-records.html
    got = needs(fn(event_invoke_configs=[EventInvokeConfig(on_success=target, on_failure=target)]))
    assert (action, target) in got


def test_failed_batch_destinations():  # kinesis-on-failure-destination / kafka-on-failure.html
    q = f"arn:aws:sqs:{R}:{A}:failed"
    assert ("sqs:SendMessage", q) in needs(fn(event_source_mappings=[esm(STREAM, "kinesis", destination_on_failure=q)]))
    got = needs(fn(event_source_mappings=[esm(MSK, "kafka", destination_on_failure="arn:aws:s3:::failed-bucket")]))
    assert ("s3:PutObject", "arn:aws:s3:::failed-bucket/*") in got and ("s3:ListBucket", "arn:aws:s3:::failed-bucket") in got


def test_every_required_action_exists_in_the_catalog():
    cat = default_catalog()
    f = fn(vpc_id="v", tracing_mode="Active", kms_key_arn=f"arn:aws:kms:{R}:{A}:key/1",
           file_systems=[{"arn": f"arn:aws:elasticfilesystem:{R}:{A}:access-point/fsap-1", "local_mount_path": "/mnt"}],
           event_source_mappings=[esm(f"arn:aws:sqs:{R}:{A}:q", "sqs"), esm(STREAM, "kinesis"),
                                  esm(f"arn:aws:dynamodb:{R}:{A}:table/t/stream/x", "dynamodb"), esm(MSK, "kafka"),
                                  esm(None, "self-managed-kafka"), esm(f"arn:aws:mq:{R}:{A}:broker:b:b-1", "mq"),
                                  esm(f"arn:aws:rds:{R}:{A}:cluster:d", "docdb")])
    missing = sorted(a for a in actions(f) if cat.get(a) is None)
    assert missing == []
