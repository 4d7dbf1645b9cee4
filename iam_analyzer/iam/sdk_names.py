"""SDK names -> API operations, read from the SDKs' own service models, offline.

A call in handler code names an operation the way its SDK spells it: boto3 ``put_item``
(botocore's snake_case of ``PutItem``), AWS SDK for JavaScript v3 ``PutItemCommand`` from
``@aws-sdk/client-dynamodb``, v2 ``new AWS.DynamoDB().putItem``. botocore ships every
service's model (``service-2``), its waiters and paginators, and boto3 ships its resource
models (``resources-1``), so the mapping here is exact and needs no network. The IAM actions
of an operation then come from ``api_actions`` (the mapping usage shares).

Only botocore's data loader is used: no session, no credentials, no endpoint.
"""

from __future__ import annotations

import importlib.util
import os
import re
from functools import lru_cache

from botocore import xform_name
from botocore.loaders import create_loader

from . import api_actions

# serviceIds whose kebab-case (the JS v3 package suffix) is not the botocore name without
# dashes; read from botocore's models (a full read takes ~3 s, so it is kept as data and a
# name missing here falls back to that read).
_SERVICE_ID_ODD = {
    "costexplorer": "ce", "cognitoidentityprovider": "cognito-idp", "configservice": "config",
    "costandusagereportservice": "cur", "applicationdiscoveryservice": "discovery",
    "databasemigrationservice": "dms", "directoryservice": "ds", "directoryservicedata": "ds-data",
    "elasticloadbalancing": "elb", "elasticloadbalancingv2": "elbv2", "elasticsearchservice": "es",
    "eventbridge": "events", "iotdataplane": "iot-data", "iotjobsdataplane": "iot-jobs-data",
    "lexmodelbuildingservice": "lex-models", "lexruntimeservice": "lex-runtime", "lexmodelsv2": "lexv2-models",
    "lexruntimev2": "lexv2-runtime", "cloudwatchlogs": "logs", "marketplaceentitlementservice": "marketplace-entitlement",
    "marketplacemetering": "meteringmarketplace", "migrationhub": "mgh", "simpledb": "sdb",
    "serverlessapplicationrepository": "serverlessrepo", "pinpointsmsvoice": "sms-voice", "sfn": "stepfunctions",
}
# JS SDK v2 class names (``AWS.<Name>``) that are neither of the above.
_V2_CLASS_ODD = {
    "cloudwatchevents": "events", "cognitoidentityserviceprovider": "cognito-idp", "iotdata": "iot-data",
    "lexruntime": "lex-runtime", "stepfunctions": "stepfunctions", "cloudwatchlogs": "logs",
}


@lru_cache(maxsize=1)
def _loader():
    loader = create_loader()
    spec = importlib.util.find_spec("boto3")  # its resource models, without importing boto3
    if spec and spec.submodule_search_locations:
        loader.search_paths.append(os.path.join(list(spec.submodule_search_locations)[0], "data"))
    return loader


@lru_cache(maxsize=1)
def services() -> frozenset[str]:
    """botocore service names (``s3``, ``dynamodb``, ``stepfunctions``, ...)."""
    return frozenset(_loader().list_available_services("service-2"))


@lru_cache(maxsize=1)
def _undashed() -> dict[str, str]:
    return {s.replace("-", ""): s for s in services()}


def _load(service: str, kind: str) -> dict:
    try:
        return _loader().load_service_model(service, kind)
    except Exception:  # botocore raises its own DataNotFoundError / UnknownServiceError
        return {}


@lru_cache(maxsize=None)
def _model(service: str) -> dict:
    return _load(service, "service-2") if service in services() else {}


@lru_cache(maxsize=None)
def operations(service: str) -> dict[str, str]:
    """Every spelling of each operation of ``service`` -> the operation name.

    Keys: the name itself, its snake_case (boto3) and its lower case (JS v2 methods and v3
    commands are compared case-insensitively)."""
    out: dict[str, str] = {}
    for op in _model(service).get("operations", {}):
        out[op] = op
        out[xform_name(op)] = op
        out[op.lower()] = op
    return out


def operation(service: str, name: str) -> str | None:
    """The operation a method name calls (``put_item``, ``putItem``, ``PutItem``), if any."""
    ops = operations(service)
    return ops.get(name) or ops.get(name.lower())


def iam_source(service: str) -> str:
    """What ``api_actions.actions_for`` takes for a botocore service: its signing name."""
    meta = _model(service).get("metadata", {})
    return meta.get("signingName") or meta.get("endpointPrefix") or service


def iam_actions(service: str, op: str) -> tuple[str, ...]:
    """The IAM actions of one operation, through the one mapping usage uses too."""
    return api_actions.actions_for(iam_source(service), op).actions


@lru_cache(maxsize=None)
def _service_ids() -> dict[str, str]:
    out = {}
    for s in services():
        sid = _model(s).get("metadata", {}).get("serviceId", "")
        out[re.sub(r"[^a-z0-9]", "", sid.lower())] = s
    return out


def _by_compact(compact: str, odd: dict[str, str]) -> str | None:
    if compact in odd:
        return odd[compact]
    if compact in _undashed():
        return _undashed()[compact]
    return _service_ids().get(compact)


def service_for_boto3(name: str) -> str | None:
    """``boto3.client(name)``'s service, when ``name`` is one."""
    return name if name in services() else None


def service_for_js_package(package: str) -> str | None:
    """``@aws-sdk/client-s3`` -> ``s3``; ``@aws-sdk/client-sfn`` -> ``stepfunctions``."""
    m = re.fullmatch(r"@aws-sdk/client-([a-z0-9-]+)", package)
    if not m:
        return None
    return _by_compact(m.group(1).replace("-", ""), _SERVICE_ID_ODD)


def service_for_js_client(class_name: str) -> str | None:
    """JS v3 ``S3Client`` / ``SFNClient`` or v2 ``S3`` / ``StepFunctions`` -> the service."""
    base = class_name[: -len("Client")] if class_name.endswith("Client") and class_name != "Client" else class_name
    compact = re.sub(r"[^a-z0-9]", "", base.lower())
    return _V2_CLASS_ODD.get(compact) or _by_compact(compact, _SERVICE_ID_ODD)


@lru_cache(maxsize=None)
def _waiters(service: str) -> dict[str, str]:
    out = {}
    for name, w in _load(service, "waiters-2").get("waiters", {}).items() if service in services() else ():
        out[name] = out[xform_name(name)] = out[name.lower()] = w.get("operation", "")
    return out


def waiter_operation(service: str, waiter: str) -> str | None:
    """``get_waiter('object_exists')`` / ``waitUntilObjectExists`` -> ``HeadObject``."""
    w = _waiters(service)
    return w.get(waiter) or w.get(waiter.lower()) or None


def resource_model(service: str) -> dict:
    """boto3's resource model of ``service`` (``service`` and ``resources`` sections), or {}."""
    return _resource_model(service)


@lru_cache(maxsize=None)
def _resource_model(service: str) -> dict:
    return _load(service, "resources-1") if service in services() else {}


@lru_cache(maxsize=None)
def shape_members(service: str, shape: str) -> frozenset[str]:
    """snake_case member names of a shape (a resource's attributes, which trigger its load)."""
    members = _model(service).get("shapes", {}).get(shape, {}).get("members", {})
    return frozenset(xform_name(m) for m in members)


# DynamoDB's document clients (JS v2 ``DocumentClient``, v3 ``@aws-sdk/lib-dynamodb``) name
# the operations after the item verbs.
DOCUMENT_CLIENT = {
    "get": "GetItem", "put": "PutItem", "update": "UpdateItem", "delete": "DeleteItem", "query": "Query",
    "scan": "Scan", "batchget": "BatchGetItem", "batchwrite": "BatchWriteItem", "transactget": "TransactGetItems",
    "transactwrite": "TransactWriteItems", "executestatement": "ExecuteStatement",
    "batchexecutestatement": "BatchExecuteStatement", "executetransaction": "ExecuteTransaction",
}


def document_client_operation(name: str) -> str | None:
    """``put`` (DocumentClient) / ``PutCommand`` (lib-dynamodb) -> ``PutItem``."""
    key = name[: -len("Command")] if name.endswith("Command") else name
    return DOCUMENT_CLIENT.get(key.lower())


# Managed S3 transfers (boto3's ``upload_file``/``download_file``/``copy``, the transfer
# manager, JS ``@aws-sdk/lib-storage`` ``Upload``) call several operations; each one listed
# here can happen on a normal run (a large file goes multipart; a failed multipart upload is
# aborted).
S3_UPLOAD = ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload")
S3_DOWNLOAD = ("HeadObject", "GetObject")
S3_COPY = ("HeadObject", "CopyObject", "CreateMultipartUpload", "UploadPartCopy", "CompleteMultipartUpload",
           "AbortMultipartUpload")
