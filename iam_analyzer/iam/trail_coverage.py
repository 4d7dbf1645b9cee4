"""What CloudTrail shows of a role's actions: which are never logged, which only as data events.

The generator needs this to know what absence from usage proves, and usage to classify the
records of trails older than the ``eventCategory`` and ``managementEvent`` fields.
"""

from __future__ import annotations

# Actions CloudTrail never records as API calls made by the role.
NEVER_LOGGED = frozenset(a.lower() for a in (
    "iam:PassRole", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
    "xray:GetSamplingTargets", "logs:PutLogEvents", "lambda:InvokeFunctionUrl",
))

# Data-plane actions: recorded only as data events, which trails do not log by default.
DATA_PLANE: dict[str, frozenset[str]] = {
    "s3": frozenset(x.lower() for x in (
        "GetObject", "GetObjectVersion", "PutObject", "DeleteObject", "DeleteObjectVersion", "GetObjectAcl",
        "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAttributes",
        "RestoreObject", "AbortMultipartUpload", "ListMultipartUploadParts", "ListBucket", "ListBucketVersions",
        "ListBucketMultipartUploads", "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold",
        "PutObjectLegalHold")),
    "dynamodb": frozenset(x.lower() for x in (
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
        "ConditionCheckItem", "PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete",
        "GetRecords", "GetShardIterator")),
    "lambda": frozenset({"invokefunction", "invokeasync"}),
    "sqs": frozenset(x.lower() for x in ("SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility")),
    "sns": frozenset({"publish"}),
    "kinesis": frozenset(x.lower() for x in ("PutRecord", "PutRecords", "GetRecords", "GetShardIterator",
                                             "SubscribeToShard")),
    "states": frozenset(x.lower() for x in ("StartSyncExecution",)),
    "events": frozenset(),
}

# The data-plane actions function code commonly calls: the ones kept, unverified, on a
# resource its configuration names. Rarer ones (ACLs, tags, retention) are listed instead.
CORE_DATA_PLANE = frozenset(x.lower() for x in (
    "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
    "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
    "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
    "sns:Publish", "lambda:InvokeFunction", "kinesis:PutRecord", "kinesis:PutRecords",
    "kinesis:GetRecords", "kinesis:GetShardIterator", "states:StartSyncExecution",
))


def is_data_plane(action: str) -> bool:
    """Is ``action`` (any casing) recorded by CloudTrail only as a data event?"""
    svc, _, name = action.lower().partition(":")
    return name in DATA_PLANE.get(svc, frozenset())
