"""Which resources a CloudTrail record acted on: from ``resources[]`` or request parameters.

Returns ARNs (possibly patterns, e.g. a secret's random suffix as ``-??????``), or an empty
list when the record does not say. Pure functions, no AWS calls.
"""

from __future__ import annotations

import re
from functools import lru_cache


_QUEUE_URL = re.compile(r"^https?://([^/]*)/(\d{12})/([^/?]+)")
_REGION_IN_HOST = re.compile(r"(?:^|\.)([a-z]{2}(?:-[a-z]+)+-\d+)\.")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$")


def _arn(part: str, service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{part}:{service}:{region}:{account}:{resource}"


@lru_cache(maxsize=256)
def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _s(value) -> str | None:
    return value if isinstance(value, str) and value else None


def copy_source_arn(params, region: str) -> str | None:
    """The object an S3 copy (CopyObject, UploadPartCopy) reads, from ``x-amz-copy-source``
    (``bucket/key`` with an optional leading slash and ``?versionId=``)."""
    src = _s(getattr(params, "copy_source", None))
    if not src:
        return None
    return f"arn:{partition_of(region)}:s3:::{src.lstrip('/').split('?', 1)[0]}"


def from_params(source: str, params, region: str, account: str) -> list[str]:
    """Resource ARNs named by a record's request parameters (``records.Params``)."""
    if params is None:
        return []
    p = partition_of(region)
    svc = source.split(".", 1)[0]
    if svc == "s3":
        out = []
        bucket, key, copy_source = _s(params.bucketName), _s(params.key), copy_source_arn(params, region)
        if bucket:
            out.append(f"arn:{p}:s3:::{bucket}")
            if key:
                out.append(f"arn:{p}:s3:::{bucket}/{key}")
        if copy_source:
            out.append(copy_source)
        return out
    if svc == "dynamodb":
        table, index = _s(params.tableName), _s(params.indexName)
        if not table:
            return []
        table = table if table.startswith("arn:") else _arn(p, "dynamodb", region, account, f"table/{table}")
        return [f"{table}/index/{index}"] if index else [table]
    if svc == "sqs":
        m = _QUEUE_URL.match(_s(params.queueUrl) or "")
        if m:
            host, q_account, name = m.groups()
            rm = _REGION_IN_HOST.search(host + ".")
            return [_arn(p, "sqs", rm.group(1) if rm else region, q_account, name)]
        return []
    if svc == "sns":
        return [a for a in (_s(params.topicArn), _s(params.targetArn)) if a and a.startswith("arn:")]
    if svc == "kms":
        k = _s(params.keyId)
        if not k:
            return []
        if k.startswith("arn:"):
            return [k]
        if k.startswith("alias/"):
            return [_arn(p, "kms", region, account, k)]
        if _UUID.match(k):
            return [_arn(p, "kms", region, account, f"key/{k}")]
        return []
    if svc == "secretsmanager":
        sid = _s(params.secretId)
        if not sid:
            return []
        return [sid] if sid.startswith("arn:") else [_arn(p, "secretsmanager", region, account, f"secret:{sid}-??????")]
    if svc == "ssm":
        names = [n for n in (params.names if isinstance(params.names, tuple) else ()) if isinstance(n, str)]
        if _s(params.name):
            names.append(params.name)
        out = [n if n.startswith("arn:") else _arn(p, "ssm", region, account, "parameter/" + n.lstrip("/")) for n in names]
        if _s(params.path):
            out.append(_arn(p, "ssm", region, account, "parameter/" + params.path.strip("/") + "/*"))
        return out
    if svc == "lambda":
        f = _s(params.functionName)
        if not f:
            return []
        if f.startswith("arn:"):
            return [f]
        parts = f.split(":")
        if len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
            return [_arn(p, "lambda", region, parts[0], "function:" + ":".join(parts[2:]))]
        return [_arn(p, "lambda", region, account, f"function:{f}")]  # NAME or NAME:QUALIFIER
    if svc == "kinesis":
        if _s(params.streamARN):
            return [params.streamARN]
        name = _s(params.streamName)
        return [_arn(p, "kinesis", region, account, f"stream/{name}")] if name else []
    if svc == "states":
        return [coarsen(a) for a in (_s(params.stateMachineArn), _s(params.executionArn)) if a]
    if svc == "events":
        out = []
        bus = _s(params.eventBusName)
        bus_name = bus.rsplit("event-bus/", 1)[-1] if bus else "default"
        if _s(params.name):  # a rule: on a custom bus its ARN names the bus too
            rule = params.name if bus_name == "default" else f"{bus_name}/{params.name}"
            out.append(_arn(p, "events", region, account, f"rule/{rule}"))
        if bus:
            out.append(bus if bus.startswith("arn:") else _arn(p, "events", region, account, f"event-bus/{bus}"))
        return out
    if svc == "logs":
        group = _s(params.logGroupName)
        if not group:
            return []
        arn = _arn(p, "logs", region, account, f"log-group:{group}")
        # streams are ephemeral (one per container): permissions are granted per log group
        return [f"{arn}:log-stream:*"] if _s(params.logStreamName) else [arn]
    if svc in ("iam", "sts"):
        out = []
        if _s(params.roleArn):
            out.append(params.roleArn)
        elif _s(params.roleName):
            out.append(_arn(p, "iam", "", account, f"role/{params.roleName}"))
        if _s(params.policyArn):
            out.append(params.policyArn)
        if _s(params.userName):
            out.append(_arn(p, "iam", "", account, f"user/{params.userName}"))
        return out
    return []


_EPHEMERAL = (
    (re.compile(r"^(arn:[^:]+:logs:[^:]*:[^:]*:log-group:.+:log-stream:).+$"), r"\1*"),
    (re.compile(r"^(arn:[^:]+:states:[^:]*:[^:]*:execution:[^:]+:).+$"), r"\1*"),
)


def coarsen(arn: str) -> str:
    """Resources that exist once per call (log streams, state-machine executions) are named by
    their parent with a wildcard, so usage does not grow with the number of calls."""
    for rx, repl in _EPHEMERAL:
        if rx.match(arn):
            return rx.sub(repl, arn)
    return arn


def resources_of(source: str, params, resources, region: str, account: str) -> list[str]:
    """The record's resources: its ``resources[]`` when present, else its parameters."""
    if resources:
        arns = [coarsen(r.ARN) for r in resources if r.ARN]
        if arns:
            return arns
    return from_params(source, params, region, account)
