"""API operations -> the IAM actions that authorise them.

CloudTrail's ``eventSource``/``eventName`` and botocore's signing name/operation name both
name an API operation, not an IAM action. For about 85% of operations the two coincide;
the rest follow families handled here as data plus a few rules:

* the service: ``monitoring`` -> ``cloudwatch``, ``tagging`` -> ``tag``, ...
* Lambda's dated names (``GetFunction20150331v2``) and ``Invoke`` -> ``InvokeFunction``
* S3's object and bucket operations (``ListObjectsV2`` -> ``ListBucket``, ``HeadObject`` ->
  ``GetObject``, multipart -> ``PutObject``, ``CopyObject`` -> get + put, ...)
* batch calls (SQS ``*Batch``, SNS ``PublishBatch``: data in ``api_renames``), DynamoDB transactions and PartiQL
* API Gateway's management API, authorised by HTTP verb (``apigateway:GET``)
* operations the Service Authorization Reference lists under another action, hosts whose IAM
  namespace differs, and coarse-action services (Budgets, Keyspaces): data in ``api_renames``

Results are in the catalog's canonical casing. ``None`` means "no IAM action" (sign-in
events, service events) or "not known": callers count those as unmapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .api_renames import HOST_TO_PREFIX, RENAMES, VERB_ACTIONS, VERB_SWAPS
from .catalog import Catalog, default_catalog

# eventSource host (without .amazonaws.com) or botocore signing name -> IAM service prefix
SOURCE_TO_PREFIX = {
    "monitoring": "cloudwatch",
    "tagging": "tag",
    "streams.dynamodb": "dynamodb",
    "email": "ses",
    "runtime.sagemaker": "sagemaker",
    "api.sagemaker": "sagemaker",
    "runtime.lex": "lex",
    "models.lex": "lex",
    "data.iot": "iot",
    "iotdata": "iot",
    "data.jobs.iot": "iot",
    "execute-api": "execute-api",
    "elasticloadbalancing": "elasticloadbalancing",
    "es": "es",
    "sso-oidc": "sso-oauth",
    "bedrock-runtime": "bedrock",
    "bedrock-agent-runtime": "bedrock",
    "bedrock-agent": "bedrock",
    "apigatewayv2": "apigateway",
    "runtime.bedrock": "bedrock",
    "states-sync": "states",
    "sync-states": "states",
    "scheduler": "scheduler",
    "pipes": "pipes",
    "kinesisanalytics": "kinesisanalytics",
    "rds-data": "rds-data",
    "s3-control": "s3",
    "s3-outposts": "s3-outposts",
    "secretsmanager": "secretsmanager",
    "aps": "aps",
}

_LAMBDA_DATED = re.compile(r"^([A-Za-z]+?)(20\d{6})(v\d+)?$")

S3_NAMES = {
    "ListObjects": ["ListBucket"],
    "ListObjectsV2": ["ListBucket"],
    "HeadBucket": ["ListBucket"],
    "ListObjectVersions": ["ListBucketVersions"],
    "HeadObject": ["GetObject"],
    "SelectObjectContent": ["GetObject"],
    "CreateMultipartUpload": ["PutObject"],
    "UploadPart": ["PutObject"],
    "UploadPartCopy": ["PutObject", "GetObject"],
    "CompleteMultipartUpload": ["PutObject"],
    "ListParts": ["ListMultipartUploadParts"],
    "ListMultipartUploads": ["ListBucketMultipartUploads"],
    "CopyObject": ["GetObject", "PutObject"],
    "DeleteObjects": ["DeleteObject"],
    "ListBuckets": ["ListAllMyBuckets"],
    "GetBucketCors": ["GetBucketCORS"],
    "PutBucketCors": ["PutBucketCORS"],
    "DeleteBucketCors": ["PutBucketCORS"],
    "GetBucketNotificationConfiguration": ["GetBucketNotification"],
    "PutBucketNotificationConfiguration": ["PutBucketNotification"],
    "GetBucketLifecycle": ["GetLifecycleConfiguration"],
    "GetBucketLifecycleConfiguration": ["GetLifecycleConfiguration"],
    "PutBucketLifecycle": ["PutLifecycleConfiguration"],
    "PutBucketLifecycleConfiguration": ["PutLifecycleConfiguration"],
    "DeleteBucketLifecycle": ["PutLifecycleConfiguration"],
    "GetBucketEncryption": ["GetEncryptionConfiguration"],
    "PutBucketEncryption": ["PutEncryptionConfiguration"],
    "DeleteBucketEncryption": ["PutEncryptionConfiguration"],
    "GetBucketReplication": ["GetReplicationConfiguration"],
    "PutBucketReplication": ["PutReplicationConfiguration"],
    "DeleteBucketReplication": ["PutReplicationConfiguration"],
    "DeleteBucketTagging": ["PutBucketTagging"],
    "GetPublicAccessBlock": ["GetBucketPublicAccessBlock"],
    "PutPublicAccessBlock": ["PutBucketPublicAccessBlock"],
    "DeletePublicAccessBlock": ["PutBucketPublicAccessBlock"],
    "GetObjectLockConfiguration": ["GetBucketObjectLockConfiguration"],
    "PutObjectLockConfiguration": ["PutBucketObjectLockConfiguration"],
    "GetBucketAccelerateConfiguration": ["GetAccelerateConfiguration"],
    "PutBucketAccelerateConfiguration": ["PutAccelerateConfiguration"],
    "GetBucketAnalyticsConfiguration": ["GetAnalyticsConfiguration"],
    "PutBucketAnalyticsConfiguration": ["PutAnalyticsConfiguration"],
    "ListBucketAnalyticsConfigurations": ["GetAnalyticsConfiguration"],
    "GetBucketMetricsConfiguration": ["GetMetricsConfiguration"],
    "PutBucketMetricsConfiguration": ["PutMetricsConfiguration"],
    "ListBucketMetricsConfigurations": ["GetMetricsConfiguration"],
    "GetBucketInventoryConfiguration": ["GetInventoryConfiguration"],
    "PutBucketInventoryConfiguration": ["PutInventoryConfiguration"],
    "ListBucketInventoryConfigurations": ["GetInventoryConfiguration"],
    "GetBucketIntelligentTieringConfiguration": ["GetIntelligentTieringConfiguration"],
    "PutBucketIntelligentTieringConfiguration": ["PutIntelligentTieringConfiguration"],
    "DeleteBucketPolicy": ["DeleteBucketPolicy"],
    "DeleteBucketWebsite": ["DeleteBucketWebsite"],
    "DeleteBucketOwnershipControls": ["PutBucketOwnershipControls"],
    "GetObjectAttributes": ["GetObject", "GetObjectAttributes"],
    "PutObjectLegalHold": ["PutObjectLegalHold"],
    "ListBucketIntelligentTieringConfigurations": ["GetIntelligentTieringConfiguration"],
}

LAMBDA_NAMES = {
    "Invoke": ["InvokeFunction"],
    "InvokeWithResponseStream": ["InvokeFunction"],
    "InvokeAsync": ["InvokeAsync"],
    "ListVersionsByFunction": ["ListVersionsByFunction"],
    "GetFunctionConfiguration": ["GetFunctionConfiguration"],
    "GetPolicy": ["GetPolicy"],
}

# A transaction item's kind (its key in TransactItems) -> the IAM action it needs; a call whose
# items are all written out needs only the actions of the kinds it holds.
TRANSACT_ITEM_ACTIONS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                         "ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem"}


def transaction_actions(operation: str, actions: tuple[str, ...], kinds: list[str]) -> tuple[str, ...]:
    """The actions of a DynamoDB transaction narrowed to the kinds of item it holds, when
    every item's kind is known (``kinds`` not empty, each one a known kind)."""
    if operation not in ("TransactWriteItems", "TransactGetItems") or not kinds:
        return actions
    wanted = {TRANSACT_ITEM_ACTIONS.get(k) for k in kinds}
    if None in wanted:
        return actions
    return tuple(a for a in actions if a in wanted) or actions


DYNAMODB_TRANSACT = {
    "TransactGetItems": ["GetItem"],
    "TransactWriteItems": ["PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"],
    "ExecuteStatement": ["PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete"],
    "BatchExecuteStatement": ["PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete"],
    "ExecuteTransaction": ["PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete"],
}

OTHER_NAMES = {
    ("kms", "ReEncrypt"): ["ReEncryptFrom", "ReEncryptTo"],
    ("execute-api", "Invoke"): ["Invoke"],
    ("sts", "AssumeRoleWithWebIdentity"): ["AssumeRoleWithWebIdentity"],
    ("secretsmanager", "BatchGetSecretValue"): ["BatchGetSecretValue", "GetSecretValue"],
    ("states", "StartSyncExecution"): ["StartSyncExecution"],
    ("logs", "StartLiveTail"): ["StartLiveTail"],
    ("bedrock", "Converse"): ["InvokeModel"],
    ("bedrock", "ConverseStream"): ["InvokeModelWithResponseStream"],
    ("execute-api", "PostToConnection"): ["ManageConnections"],
    ("execute-api", "GetConnection"): ["ManageConnections"],
    ("execute-api", "DeleteConnection"): ["ManageConnections"],
}

# Operations that are not authorised by an IAM action (or not API calls at all).
NO_ACTION = {
    ("signin", "ConsoleLogin"), ("signin", "CheckMfa"), ("signin", "SwitchRole"),
    ("signin", "ExitRole"), ("signin", "RenewRole"), ("signin", "ConsoleLogout"),
}

_APIGW_VERB = (
    ("Get", "GET"), ("List", "GET"), ("Create", "POST"), ("Import", "PUT"), ("Put", "PUT"),
    ("Update", "PATCH"), ("Delete", "DELETE"), ("Tag", "PUT"), ("Untag", "DELETE"),
    ("Reset", "DELETE"), ("Flush", "DELETE"), ("Generate", "POST"), ("Test", "POST"),
    ("Export", "GET"), ("Reimport", "PUT"),
)


# An S3 call on a specific object version (``versionId`` in its request) is authorised by the
# action's Version twin, not (only) by the action itself.
S3_VERSIONED = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}


# The actions of an S3 copy (CopyObject, UploadPartCopy) that apply to its source object; the
# others apply to the destination.
S3_COPY_READS = frozenset({"s3:GetObject", "s3:GetObjectVersion"})


def with_versions(actions: tuple[str, ...]) -> tuple[str, ...]:
    """``actions`` plus the Version twin of each, for a call naming an object version. The
    plain action is kept too: recording one permission more is safe, one less breaks."""
    return actions + tuple(S3_VERSIONED[a] for a in actions if a in S3_VERSIONED and S3_VERSIONED[a] not in actions)


def service_prefix(source: str) -> str:
    """IAM service prefix from an eventSource (``s3.amazonaws.com``) or a signing name."""
    host = source.lower()
    for suffix in (".amazonaws.com.cn", ".amazonaws.com", ".api.aws"):
        if host.endswith(suffix):
            host = host[: -len(suffix)]
            break
    return SOURCE_TO_PREFIX.get(host) or HOST_TO_PREFIX.get(host, host)


@dataclass(frozen=True)
class Mapping:
    actions: tuple[str, ...]  # canonical IAM action names; empty when unmapped
    known: bool  # False: nothing in the catalog or the families matched


def actions_for(source: str, operation: str, catalog: Catalog | None = None) -> Mapping:
    """IAM actions authorising ``operation`` of the service named by ``source``."""
    return _actions_for(catalog or default_catalog(), service_prefix(source), operation)


@lru_cache(maxsize=16384)
def _actions_for(cat: Catalog, prefix: str, op: str) -> Mapping:
    if (prefix, op) in NO_ACTION:
        return Mapping((), True)
    names: list[str] | None = None
    if (prefix, op) in RENAMES:
        names = RENAMES[(prefix, op)]
    elif (prefix, op) in OTHER_NAMES:
        names = OTHER_NAMES[(prefix, op)]
    elif prefix == "s3" and op in S3_NAMES:
        names = S3_NAMES[op]
    elif prefix == "lambda":
        m = _LAMBDA_DATED.match(op)
        base = m.group(1) if m else op
        names = LAMBDA_NAMES.get(base, [base])
    elif prefix == "dynamodb" and op in DYNAMODB_TRANSACT:
        names = DYNAMODB_TRANSACT[op]
    elif prefix == "apigateway":
        verb = next((v for p, v in _APIGW_VERB if op.startswith(p)), None)
        if verb and cat.get(f"apigateway:{verb}"):
            names = [verb]
    if names is None:
        names = [op]
        if prefix in VERB_ACTIONS and not cat.get(f"{prefix}:{op}"):
            verb = next((a for v, a in VERB_ACTIONS[prefix] if op.startswith(v)), None)
            names = [verb] if verb else names
        elif prefix in VERB_SWAPS and not cat.get(f"{prefix}:{op}"):
            names = [a + op[len(v):] for v, a in VERB_SWAPS[prefix] if op.startswith(v)] or names
    out = []
    for n in names:
        act = cat.get(n if ":" in n else f"{prefix}:{n}")
        if act is not None:
            out.append(act.full_name)
    return Mapping(tuple(dict.fromkeys(out)), bool(out))


@lru_cache(maxsize=1)
def _renamed_ops() -> dict[tuple[str, str], str]:
    """(prefix, operation lower-cased) -> the operation as the tables spell it."""
    out = {}
    for table in (RENAMES, OTHER_NAMES):
        for prefix, op in table:
            out[(prefix, op.lower())] = op
    return out


def covered_by(action: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """For a name that is not an IAM action but an API operation IAM authorises under another
    action (``sqs:DeleteMessageBatch`` -> ``sqs:DeleteMessage``): those actions. Empty for a
    real action and for a name nobody authorises (a typo)."""
    cat = catalog or default_catalog()
    prefix, sep, op = action.partition(":")
    if not sep or not op or "*" in action or "?" in action or cat.get(action) is not None:
        return ()
    prefix = prefix.lower()
    op = _renamed_ops().get((prefix, op.lower()))
    if op is None:
        return ()
    found = _actions_for(cat, prefix, op).actions
    return tuple(a for a in found if a.lower() != action.lower())


def action_service(action: str) -> str:
    """The service prefix of an IAM action (``s3:GetObject`` -> ``s3``), lower-cased as IAM
    compares it; Access Advisor names services by the same prefix (its ServiceNamespace)."""
    return action.split(":", 1)[0].lower()
