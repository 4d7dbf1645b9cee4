"""Permissions the Lambda service uses with a function's execution role, from its configuration.

CloudTrail-based tools miss these (the calls are made by the Lambda service as the role,
often as data events or not logged at all), and dropping them breaks the function: logs
stop, event sources stop polling, VPC functions cannot start. Each requirement names the
setting that causes it. Sources: the AWS Lambda Developer Guide (each entry cites its page
under https://docs.aws.amazon.com/lambda/latest/dg/; where the guide lists more than Lambda
is seen to call, such as kinesis:SubscribeToShard for standard iterators, the guide wins: a
generated policy must never break a function) and the AWS managed policies AWSLambdaBasicExecutionRole,
AWSLambdaSQSQueueExecutionRole, AWSLambdaKinesisExecutionRole, AWSLambdaDynamoDBExecutionRole,
AWSLambdaMSKExecutionRole, AWSLambdaVPCAccessExecutionRole, AWSXRayDaemonWriteAccess.
"""

from __future__ import annotations

from dataclasses import dataclass

from iam_analyzer.iam import arn as arnlib
# the action lists are facts shared with the IaC readers (iam/lambda_service.py cites the guide's pages)
from iam_analyzer.iam.lambda_service import (  # noqa: F401 - VPC_ACTIONS ... re-exported for their users
    DDB_STREAM_ACTIONS, KINESIS_STREAM_ACTIONS, LOG_GROUP_ACTIONS, LOG_STREAM_ACTIONS, MQ_ACTIONS, MSK_ACTIONS,
    SECRET_ACTION, SOURCE_VPC_ACTIONS, SQS_ACTIONS, VPC_ACTIONS, XRAY_ACTIONS, delivery_action,
)
from iam_analyzer.model import Function, Snapshot

GUIDE = "https://docs.aws.amazon.com/lambda/latest/dg/"
# with-msk-permissions.html (IAM authentication): what the poller needs as a Kafka client
MSK_IAM_CLUSTER = ("kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration")
MSK_IAM_TOPIC = ("kafka-cluster:DescribeTopic", "kafka-cluster:ReadData")
MSK_IAM_GROUP = ("kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup")
# with-documentdb.html (execution role permissions)
DOCDB_ACTIONS = ("rds:DescribeDBClusters", "rds:DescribeDBClusterParameters", "rds:DescribeDBSubnetGroups")
# source access types that mean the client authenticates with a secret, not IAM
_SECRET_AUTH = ("BASIC_AUTH", "SASL_SCRAM_256_AUTH", "SASL_SCRAM_512_AUTH", "CLIENT_CERTIFICATE_TLS_AUTH")


@dataclass(frozen=True)
class Requirement:
    action: str
    resource: str
    setting: str  # the configuration that requires it, e.g. "event source mapping <uuid> (sqs)"
    reason: str

    def as_dict(self) -> dict:
        return {"action": self.action, "resource": self.resource, "setting": self.setting, "reason": self.reason}


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def _destination(target: str, setting: str) -> list[Requirement]:
    """Permission to deliver to an async destination, a dead-letter target or an event source
    mapping's on-failure destination: invocation-async-retain-records.html (destinations and
    dead-letter queues), kinesis-on-failure-destination.html / services-ddb-batchfailurereporting
    (stream failed-batch destinations), kafka-on-failure.html (S3 destinations: PutObject and
    ListBucket)."""
    a = arnlib.try_parse(target)
    svc = a.service if a else ""
    reason = f"Lambda delivers records to {target} with the execution role"
    if svc == "s3":
        bucket = target.split(":::", 1)[-1].split("/", 1)[0]
        part = a.partition if a else "aws"
        return [Requirement("s3:PutObject", f"arn:{part}:s3:::{bucket}/*", setting, reason),
                Requirement("s3:ListBucket", f"arn:{part}:s3:::{bucket}", setting, reason)]
    action = delivery_action(target)
    return [Requirement(action, target, setting, reason)] if action else []


def _msk(m, src: str, account: str, st: str) -> list[Requirement]:
    """with-msk-permissions.html: cluster access, the VPC, cross-account VPC connections, and the
    Kafka-client actions when the cluster is read with IAM authentication (no secret-based source
    access configuration)."""
    out = [Requirement(a, src, st, "Lambda reads the MSK cluster's configuration and brokers") for a in MSK_ACTIONS]
    out += [Requirement(a, "*", st, "Lambda reaches the cluster's VPC") for a in SOURCE_VPC_ACTIONS]
    cluster = arnlib.try_parse(src)
    if cluster and cluster.account and cluster.account != account:
        out.append(Requirement("kafka:DescribeVpcConnection", "*", st, "cross-account cluster: Lambda uses its VPC connection"))
    if not any((acc.get("type") or "") in _SECRET_AUTH for acc in m.source_access) and ":cluster/" in src:
        base = src.replace(":cluster/", ":{}/", 1)
        out += [Requirement(a, src, st, "IAM authentication: Lambda connects as the execution role") for a in MSK_IAM_CLUSTER]
        out += [Requirement(a, base.format("topic") + "/*", st, "IAM authentication: Lambda reads the topics")
                for a in MSK_IAM_TOPIC]
        out += [Requirement(a, base.format("group") + "/*", st, "IAM authentication: Lambda commits the consumer group's offsets")
                for a in MSK_IAM_GROUP]
    return out


def log_requirements(group_arn: str, setting: str) -> list[Requirement]:
    """Every function writes to its log group (AWSLambdaBasicExecutionRole's actions, on the
    function's own group): lambda-intro-execution-role.html, monitoring-cloudwatchlogs.html."""
    out = [Requirement(a, f"{group_arn}:*", setting, "Lambda creates the function's log group") for a in LOG_GROUP_ACTIONS]
    for action in LOG_STREAM_ACTIONS:
        out.append(Requirement(action, f"{group_arn}:*", setting, "Lambda writes the function's logs"))
    return out


def requirements(fn: Function, snapshot: Snapshot | None = None) -> list[Requirement]:
    out: list[Requirement] = []
    p = _partition(fn.arn)
    region, account = fn.region, fn.account_id
    group = fn.log_group
    group_arn = f"arn:{p}:logs:{region}:{account}:log-group:{group}"
    setting = "logging (default log group)" if fn.logging_group is None else f"logging config (log group {group})"
    out += log_requirements(group_arn, setting)

    for m in fn.event_source_mappings:
        src = m.event_source_arn or "*"
        st = f"event source mapping {m.uuid} ({m.source_type})"
        if m.source_type == "sqs":  # with-sqs.html
            out += [Requirement(a, src, st, "Lambda polls the queue with the execution role") for a in SQS_ACTIONS]
        elif m.source_type == "kinesis":  # services-kinesis-create.html
            stream = src.split("/consumer/", 1)[0]
            out += [Requirement(a, stream, st, "Lambda reads the stream with the execution role") for a in KINESIS_STREAM_ACTIONS]
            # listed for every Kinesis source, not only enhanced fan-out: the guide wins
            out.append(Requirement("kinesis:SubscribeToShard", src if "/consumer/" in src else f"{stream}/consumer/*", st,
                                   "Lambda subscribes to shards (listed by the guide for every Kinesis source)"))
            out.append(Requirement("kinesis:ListStreams", "*", st, "Lambda lists streams (listed by the guide)"))
            if "/consumer/" in src:
                out.append(Requirement("kinesis:DescribeStreamConsumer", src, st, "enhanced fan-out consumer"))
        elif m.source_type == "dynamodb":  # with-ddb.html
            out += [Requirement(a, src, st, "Lambda reads the table's stream with the execution role") for a in DDB_STREAM_ACTIONS]
            out.append(Requirement("dynamodb:ListStreams", "*", st, "Lambda lists streams when it starts polling"))
        elif m.source_type == "kafka":  # with-msk-permissions.html
            out += _msk(m, src, account, st)
        elif m.source_type in ("self-managed-kafka", "mq", "docdb"):
            if m.source_type == "mq":  # with-mq.html (execution role permissions)
                out += [Requirement(a, src, st, "Lambda reads the broker's configuration") for a in MQ_ACTIONS]
            if m.source_type == "docdb":  # with-documentdb.html (execution role permissions)
                out += [Requirement(a, "*", st, "Lambda reads the cluster's configuration") for a in DOCDB_ACTIONS]
            # the source's VPC: with-kafka-permissions.html (kept even when the brokers are public:
            # the mapping's network settings are not always known), with-mq.html, with-documentdb.html
            out += [Requirement(a, "*", st, "Lambda reaches the source's VPC") for a in SOURCE_VPC_ACTIONS]
        for access in m.source_access:
            uri = access.get("uri") or ""
            if ":secretsmanager:" in uri:  # with-kafka-permissions.html, with-msk-permissions.html, with-mq.html, with-documentdb.html
                out.append(Requirement(SECRET_ACTION, uri, st, "Lambda reads the source's credentials"))
        if m.destination_on_failure:
            out.extend(_destination(m.destination_on_failure, f"{st} on-failure destination"))

    if fn.vpc_id or fn.subnet_ids:  # configuration-vpc.html
        out.extend(Requirement(a, "*", f"VPC configuration ({fn.vpc_id or 'subnets'})",
                               "Lambda manages the function's network interfaces") for a in VPC_ACTIONS)
    if fn.tracing_mode == "Active":  # services-xray.html
        out.extend(Requirement(a, "*", "tracing: Active", "the function sends traces to X-Ray") for a in XRAY_ACTIONS)
    if fn.kms_key_arn:  # configuration-envvars-encryption.html
        out.append(Requirement("kms:Decrypt", fn.kms_key_arn, "environment variables encrypted with a customer key",
                               "Lambda decrypts the environment with the execution role"))
    if fn.dead_letter_target:  # invocation-async-retain-records.html (dead-letter queues)
        out.extend(_destination(fn.dead_letter_target, "dead-letter queue"))
    for cfg in fn.event_invoke_configs:  # invocation-async-retain-records.html (destinations)
        q = f" ({cfg.qualifier})" if cfg.qualifier else ""
        if cfg.on_success:
            out.extend(_destination(cfg.on_success, f"on-success destination{q}"))
        if cfg.on_failure:
            out.extend(_destination(cfg.on_failure, f"on-failure destination{q}"))
    for fs in fn.file_systems:  # configuration-filesystem.html (execution role and user permissions)
        ap = fs.get("arn") or ""
        parts = ap.split(":")
        fs_arn = f"arn:{p}:elasticfilesystem:{parts[3]}:{parts[4]}:file-system/*" if len(parts) >= 6 else "*"
        for a in ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"):
            out.append(Requirement(a, fs_arn, f"EFS mount {fs.get('local_mount_path')} ({ap})",
                                   "Lambda mounts the file system with the execution role"))
    # de-duplicate, keeping the first setting that asked for each (action, resource)
    seen = set()
    unique = []
    for r in out:
        if (r.action, r.resource) not in seen:
            seen.add((r.action, r.resource))
            unique.append(r)
    return unique


def referenced_resources(fn: Function) -> dict[str, str]:
    """Resources the function's code is pointed at by its configuration -> what points there.

    Environment variables name what the code uses; a push trigger's source is what the code
    is handed (an S3 upload is then read). Event source mappings, dead-letter queues and
    destinations are used by the Lambda service, and ``requirements`` covers them exactly."""
    out: dict[str, str] = {}
    for v in fn.environment:
        for ref in v.references:
            out.setdefault(ref, f"environment variable {v.name}")
    for t in fn.triggers:
        out.setdefault(t.source_arn, f"{t.type} trigger")
    return out
