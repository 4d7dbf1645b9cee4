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

# Permissions checked inside another service's call rather than API calls of their own: IAM
# Access Advisor's record of their service says nothing about them (passing a role is
# authorized as part of, say, lambda:CreateFunction, never as a call to IAM).
PERMISSION_ONLY = frozenset({"iam:passrole"})

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


# -- where and whether a management event shows up -------------------------------------------

# Services whose management events CloudTrail delivers in us-east-1, whatever region the
# caller ran in (their API has one global endpoint).
GLOBAL_SERVICES = frozenset({"iam", "organizations", "cloudfront", "route53", "route53domains", "waf",
                             "globalaccelerator", "shield", "account", "budgets", "ce", "health"})
GLOBAL_REGION = "us-east-1"

# STS has a global endpoint (events in us-east-1) and regional ones (events in the caller's
# region): absence is proven only where both regions were read.
BOTH_REGIONS = frozenset({"sts"})

# Management event sources a trail may exclude (event selectors' ExcludeManagementEventSources):
# their absence is evidence only where some event of theirs was read in that account and region.
EXCLUDABLE_SOURCES = frozenset({"kms", "rds-data"})

NEVER = "never"
DATA = "data"
MANAGEMENT = "management"


def observability(action: str) -> str:
    """How CloudTrail could show a call of ``action``: never, only as a data event, or as a
    management event (logged by every trail that records management events)."""
    key = action.lower()
    if key in NEVER_LOGGED:
        return NEVER
    return DATA if is_data_plane(key) else MANAGEMENT


def event_regions(action: str, region: str) -> tuple[str, ...]:
    """The regions whose management events must have been read to prove ``action`` unused by
    a caller running in ``region``."""
    svc = action.lower().partition(":")[0]
    if svc in GLOBAL_SERVICES:
        return (GLOBAL_REGION,)
    if svc in BOTH_REGIONS and region != GLOBAL_REGION:
        return (region, GLOBAL_REGION)
    return (region,)


def needs_own_events(action: str) -> bool:
    """Is the service one a trail can leave out of its management events?"""
    return action.lower().partition(":")[0] in EXCLUDABLE_SOURCES


def access_advisor_tracks(action: str) -> bool:
    """Does IAM Access Advisor's record of the service stand for calls of ``action``? (Every
    API action is authenticated to its service; permissions-only actions are not.)"""
    return action.lower() not in PERMISSION_ONLY
