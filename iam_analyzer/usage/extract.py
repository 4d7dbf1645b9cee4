"""Which resources a CloudTrail record acted on: from ``resources[]`` or request parameters.

Returns ARNs (possibly patterns, e.g. a secret's random suffix as ``-??????``), or an empty
list when the record does not say. Pure functions, no AWS calls.
"""

from __future__ import annotations

import re

from . import records as R

_QUEUE_URL = re.compile(r"^https?://(?:sqs\.)?(?:([a-z0-9-]+)\.)?(?:queue\.)?[^/]*/(\d{12})/([^/?]+)")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$")


def _arn(part: str, service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{part}:{service}:{region}:{account}:{resource}"


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def from_params(source: str, params, region: str, account: str) -> list[str]:
    """Resource ARNs named by a service's typed request parameters."""
    if params is None:
        return []
    p = partition_of(region)
    if isinstance(params, R.S3Params):
        out = []
        if params.bucketName:
            out.append(f"arn:{p}:s3:::{params.bucketName}")
            if params.key:
                out.append(f"arn:{p}:s3:::{params.bucketName}/{params.key}")
        if params.copy_source:
            src = params.copy_source.lstrip("/").split("?", 1)[0]
            out.append(f"arn:{p}:s3:::{src}")
        return out
    if isinstance(params, R.DynamoDBParams):
        if not params.tableName:
            return []
        table = params.tableName if params.tableName.startswith("arn:") else _arn(p, "dynamodb", region, account, f"table/{params.tableName}")
        return [f"{table}/index/{params.indexName}"] if params.indexName else [table]
    if isinstance(params, R.SQSParams):
        m = _QUEUE_URL.match(params.queueUrl or "")
        if m:
            q_region, q_account, name = m.groups()
            return [_arn(p, "sqs", q_region or region, q_account, name)]
        return []
    if isinstance(params, R.SNSParams):
        return [a for a in (params.topicArn, params.targetArn) if a and a.startswith("arn:")]
    if isinstance(params, R.KMSParams):
        k = params.keyId
        if not k:
            return []
        if k.startswith("arn:"):
            return [k]
        if k.startswith("alias/"):
            return [_arn(p, "kms", region, account, k)]
        if _UUID.match(k):
            return [_arn(p, "kms", region, account, f"key/{k}")]
        return []
    if isinstance(params, R.SecretsParams):
        s = params.secretId
        if not s:
            return []
        if s.startswith("arn:"):
            return [s]
        return [_arn(p, "secretsmanager", region, account, f"secret:{s}-??????")]
    if isinstance(params, R.SSMParams):
        names = list(params.names or ()) + ([params.name] if params.name else [])
        out = [n if n.startswith("arn:") else _arn(p, "ssm", region, account, "parameter/" + n.lstrip("/")) for n in names]
        if params.path:
            out.append(_arn(p, "ssm", region, account, "parameter/" + params.path.strip("/") + "/*"))
        return out
    if isinstance(params, R.LambdaParams):
        f = params.functionName
        if not f:
            return []
        if f.startswith("arn:"):
            return [f]
        if ":" in f:  # name:qualifier or account:function:name
            parts = f.split(":")
            return [_arn(p, "lambda", region, account, f"function:{parts[-1] if len(parts) == 3 else parts[0]}")]
        return [_arn(p, "lambda", region, account, f"function:{f}")]
    if isinstance(params, R.KinesisParams):
        if params.streamARN:
            return [params.streamARN]
        return [_arn(p, "kinesis", region, account, f"stream/{params.streamName}")] if params.streamName else []
    if isinstance(params, R.StatesParams):
        return [a for a in (params.stateMachineArn, params.executionArn) if a]
    if isinstance(params, R.EventsParams):
        out = []
        if params.name:
            out.append(_arn(p, "events", region, account, f"rule/{params.name}"))
        if params.eventBusName:
            bus = params.eventBusName
            out.append(bus if bus.startswith("arn:") else _arn(p, "events", region, account, f"event-bus/{bus}"))
        return out
    if isinstance(params, R.LogsParams):
        if not params.logGroupName:
            return []
        group = _arn(p, "logs", region, account, f"log-group:{params.logGroupName}")
        if params.logStreamName:
            return [f"{group}:log-stream:{params.logStreamName}"]
        return [group]
    if isinstance(params, R.IAMParams):
        out = []
        if params.roleArn:
            out.append(params.roleArn)
        elif params.roleName:
            out.append(_arn(p, "iam", "", account, f"role/{params.roleName}"))
        if params.policyArn:
            out.append(params.policyArn)
        if params.userName:
            out.append(_arn(p, "iam", "", account, f"user/{params.userName}"))
        return out
    return []


def resources_of(source: str, params, resources, region: str, account: str) -> list[str]:
    """The record's resources: its ``resources[]`` when present, else its parameters."""
    if resources:
        arns = [r.ARN for r in resources if r.ARN]
        if arns:
            return arns
    return from_params(source, params, region, account)
