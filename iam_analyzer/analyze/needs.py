"""Permissions the Lambda service uses with a function's execution role, from its configuration.

CloudTrail-based tools miss these (the calls are made by the Lambda service as the role,
often as data events or not logged at all), and dropping them breaks the function: logs
stop, event sources stop polling, VPC functions cannot start. Each requirement names the
setting that causes it. Sources: AWS Lambda Developer Guide (execution role, event source
mappings for each source type, VPC, X-Ray, environment variable encryption, DLQ and
destinations, EFS) and the AWS managed policies AWSLambdaBasicExecutionRole,
AWSLambdaSQSQueueExecutionRole, AWSLambdaKinesisExecutionRole, AWSLambdaDynamoDBExecutionRole,
AWSLambdaMSKExecutionRole, AWSLambdaVPCAccessExecutionRole, AWSXRayDaemonWriteAccess.
"""

from __future__ import annotations

from dataclasses import dataclass

from iam_analyzer.model import Function, Snapshot

VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
               "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries")


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
    """Permission to deliver to an async destination or dead-letter target."""
    svc = target.split(":")[2] if target.count(":") >= 5 else ""
    action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
              "events": "events:PutEvents", "s3": "s3:PutObject"}.get(svc)
    if not action:
        return []
    resource = target + "/*" if svc == "s3" else target
    return [Requirement(action, resource, setting, f"Lambda delivers records to {target} with the execution role")]


def requirements(fn: Function, snapshot: Snapshot | None = None) -> list[Requirement]:
    out: list[Requirement] = []
    p = _partition(fn.arn)
    region, account = fn.region, fn.account_id
    group = fn.log_group
    group_arn = f"arn:{p}:logs:{region}:{account}:log-group:{group}"
    setting = "logging (default log group)" if fn.logging_group is None else f"logging config (log group {group})"
    out.append(Requirement("logs:CreateLogGroup", f"{group_arn}:*", setting, "Lambda creates the function's log group"))
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        out.append(Requirement(action, f"{group_arn}:*", setting, "Lambda writes the function's logs"))

    for m in fn.event_source_mappings:
        src = m.event_source_arn or "*"
        st = f"event source mapping {m.uuid} ({m.source_type})"
        if m.source_type == "sqs":
            for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"):
                out.append(Requirement(a, src, st, "Lambda polls the queue with the execution role"))
        elif m.source_type == "kinesis":
            for a in ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                      "kinesis:DescribeStreamSummary", "kinesis:ListShards"):
                out.append(Requirement(a, src, st, "Lambda reads the stream with the execution role"))
            if "/consumer/" in src:
                out.append(Requirement("kinesis:SubscribeToShard", src, st, "enhanced fan-out consumer"))
                out.append(Requirement("kinesis:DescribeStreamConsumer", src, st, "enhanced fan-out consumer"))
            out.append(Requirement("kinesis:ListStreams", "*", st, "Lambda lists streams when it starts polling"))
        elif m.source_type == "dynamodb":
            for a in ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"):
                out.append(Requirement(a, src, st, "Lambda reads the table's stream with the execution role"))
            out.append(Requirement("dynamodb:ListStreams", "*", st, "Lambda lists streams when it starts polling"))
        elif m.source_type == "kafka":
            for a in ("kafka:DescribeCluster", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"):
                out.append(Requirement(a, src, st, "Lambda connects to the MSK cluster"))
            out.extend(Requirement(a, "*", st, "Lambda reaches the cluster's VPC") for a in
                       ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
                        "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"))
        elif m.source_type in ("self-managed-kafka", "mq", "docdb"):
            if m.source_type == "mq":
                out.append(Requirement("mq:DescribeBroker", src, st, "Lambda reads the broker's configuration"))
            if m.source_type == "docdb":
                for a in ("rds:DescribeDBClusters", "rds:DescribeDBClusterParameters", "rds:DescribeDBSubnetGroups"):
                    out.append(Requirement(a, "*", st, "Lambda reads the cluster's configuration"))
            out.extend(Requirement(a, "*", st, "Lambda reaches the source's VPC") for a in
                       ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
                        "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"))
        for access in m.source_access:
            uri = access.get("uri") or ""
            if ":secretsmanager:" in uri:
                out.append(Requirement("secretsmanager:GetSecretValue", uri, st, "Lambda reads the source's credentials"))
        if m.destination_on_failure:
            out.extend(_destination(m.destination_on_failure, f"{st} on-failure destination"))

    if fn.vpc_id or fn.subnet_ids:
        out.extend(Requirement(a, "*", f"VPC configuration ({fn.vpc_id or 'subnets'})",
                               "Lambda manages the function's network interfaces") for a in VPC_ACTIONS)
    if fn.tracing_mode == "Active":
        out.extend(Requirement(a, "*", "tracing: Active", "the function sends traces to X-Ray") for a in XRAY_ACTIONS)
    if fn.kms_key_arn:
        out.append(Requirement("kms:Decrypt", fn.kms_key_arn, "environment variables encrypted with a customer key",
                               "Lambda decrypts the environment with the execution role"))
    if fn.dead_letter_target:
        out.extend(_destination(fn.dead_letter_target, "dead-letter queue"))
    for cfg in fn.event_invoke_configs:
        q = f" ({cfg.qualifier})" if cfg.qualifier else ""
        if cfg.on_success:
            out.extend(_destination(cfg.on_success, f"on-success destination{q}"))
        if cfg.on_failure:
            out.extend(_destination(cfg.on_failure, f"on-failure destination{q}"))
    for fs in fn.file_systems:
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
