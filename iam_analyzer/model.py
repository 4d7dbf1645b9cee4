"""The data model every part shares: plain dataclasses, serialised as the snapshot JSON.

A snapshot (``Snapshot``) is what ``scan`` writes and every later command reads; the IaC
readers produce the same model. Serialisation is deterministic (sorted lists of records,
sorted keys) so two snapshots of the same account diff cleanly.

Policy documents are kept as the JSON objects AWS returned; ``iam_analyzer.iam.policy``
parses them where they are used.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_analyzer.model_org import Organization  # noqa: F401  (re-exported: part of the snapshot)

SCHEMA_VERSION = 1


# -- serialisation helpers -----------------------------------------------------------------


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(args[0], value) if len(args) == 1 else value
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(tp) or (Any,)
        return [_build(inner, v) for v in value]
    if origin is dict:
        _, inner = typing.get_args(tp) or (Any, Any)
        return {k: _build(inner, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def from_dict(cls: type, data: dict) -> Any:
    """Build a dataclass from its JSON form; unknown keys are ignored (forward compatible)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _build(hints[f.name], data[f.name])
    return cls(**kwargs)


# -- where a thing was read from (IaC templates, plans, handler code) ------------------------


@dataclass
class SourceLocation:
    """A place in an input file: a template resource, a policy statement, a plan address."""

    path: str
    line: int | None = None
    logical_id: str | None = None  # CloudFormation logical id or Terraform address


# -- IAM -----------------------------------------------------------------------------------


@dataclass
class InlinePolicy:
    name: str
    document: dict
    location: SourceLocation | None = None


@dataclass
class ManagedPolicy:
    arn: str
    name: str
    document: dict
    default_version_id: str = ""
    aws_managed: bool = False
    path: str = "/"
    location: SourceLocation | None = None


@dataclass
class ActionLastAccessed:
    """One action of a service, as IAM Access Advisor tracks it (ACTION_LEVEL granularity;
    IAM tracks actions for a few services only, e.g. S3, EC2, IAM, Lambda)."""

    action: str  # IAM action name, e.g. "s3:GetObject"
    last_accessed: str | None = None  # ISO time; None: not used in the tracking period
    last_accessed_region: str | None = None
    last_accessed_entity: str | None = None


@dataclass
class ServiceLastAccessed:
    """When a role last authenticated to a service (IAM Access Advisor,
    GetServiceLastAccessedDetails). ``last_authenticated`` None: not used in the tracking
    period (400 days), which the trail's 90 days cannot show."""

    service_namespace: str  # the IAM service prefix, e.g. "s3"
    service_name: str = ""
    last_authenticated: str | None = None
    last_authenticated_region: str | None = None
    last_authenticated_entity: str | None = None
    actions: list[ActionLastAccessed] = field(default_factory=list)


@dataclass
class AccessAdvisor:
    """Access Advisor's report for one role (``scan --access-advisor``)."""

    generated_at: str | None = None  # the job's completion time
    services: list[ServiceLastAccessed] = field(default_factory=list)
    error: str | None = None  # why there is no report (AccessDenied, job failed, ...)


@dataclass
class Role:
    arn: str
    name: str
    path: str = "/"
    role_id: str = ""
    create_date: str = ""
    trust_policy: dict = field(default_factory=dict)
    inline_policies: list[InlinePolicy] = field(default_factory=list)
    managed_policy_arns: list[str] = field(default_factory=list)
    permissions_boundary_arn: str | None = None
    last_used: str | None = None  # ISO date of the last use AWS recorded
    last_used_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    location: SourceLocation | None = None
    access_advisor: AccessAdvisor | None = None  # None: not collected (scan without --access-advisor)


@dataclass
class User:
    arn: str
    name: str
    path: str = "/"
    inline_policies: list[InlinePolicy] = field(default_factory=list)
    managed_policy_arns: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # group names
    permissions_boundary_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Group:
    arn: str
    name: str
    path: str = "/"
    inline_policies: list[InlinePolicy] = field(default_factory=list)
    managed_policy_arns: list[str] = field(default_factory=list)


# -- handler code ----------------------------------------------------------------------------


@dataclass
class CodeArg:
    """What one argument of an SDK call names. Only resource-naming parameters are kept, and
    only as written: a literal (``*`` for the parts computed at run time) or the name of the
    environment variable it is read from; never a value read at run time."""

    param: str  # the API parameter: Bucket, Key, TableName, QueueUrl, TopicArn, CopySource ...
    value: str | None = None  # literal text, with * for unknown parts
    env: str | None = None  # environment variable the value comes from


@dataclass
class CodeCall:
    """One AWS SDK call found in handler code, as the API operation it performs."""

    service: str  # botocore service name: s3, dynamodb, stepfunctions ...
    operation: str  # API operation: PutItem, GetObject ...
    path: str  # file, relative to what was read
    line: int
    sdk: str  # boto3 | js (AWS SDK for JavaScript v2 or v3)
    call: str = ""  # the call as written, shortened: "table.put_item", "s3.send(PutObjectCommand)"
    args: list[CodeArg] = field(default_factory=list)


# -- Lambda --------------------------------------------------------------------------------


@dataclass
class EnvVar:
    """An environment variable. Its value is never stored: only what it references."""

    name: str
    looks_secret: bool = False
    secret_pattern: str | None = None
    references: list[str] = field(default_factory=list)  # ARNs of AWS resources named by the value


@dataclass
class Invoker:
    """One statement of a function's resource policy, read as "who may invoke, under what"."""

    principal: str  # "*", an account id, an IAM ARN, or a service such as s3.amazonaws.com
    principal_type: str  # everyone | account | aws | service | federated
    actions: list[str] = field(default_factory=list)
    effect: str = "Allow"
    sid: str | None = None
    qualifier: str | None = None  # alias or version whose policy holds the statement
    source_arn: str | None = None
    source_account: str | None = None
    principal_org_id: str | None = None
    function_url_auth_type: str | None = None
    conditions: dict = field(default_factory=dict)
    open_to_anyone: bool = False  # every caller of every account, no condition pins it (iam/exposure.py)


@dataclass
class EventSourceMapping:
    uuid: str
    event_source_arn: str | None
    source_type: str  # sqs | kinesis | dynamodb | kafka | self-managed-kafka | mq | docdb | unknown
    function_arn: str
    state: str = ""
    batch_size: int | None = None
    starting_position: str | None = None
    filter_criteria: list[str] = field(default_factory=list)
    destination_on_failure: str | None = None
    self_managed_endpoints: dict = field(default_factory=dict)
    source_access: list[dict] = field(default_factory=list)  # secrets / VPC settings for brokers


@dataclass
class Trigger:
    """A push source that invokes the function, found by reading the source's configuration."""

    type: str  # s3 | sns | eventbridge-rule | eventbridge-schedule | apigateway-rest | apigateway-http | logs-subscription
    source_arn: str
    function_arn: str  # as the source names it (may be qualified)
    details: dict = field(default_factory=dict)


@dataclass
class Alias:
    name: str
    arn: str
    function_version: str
    resource_policy: dict | None = None
    url: "FunctionUrl | None" = None


@dataclass
class FunctionUrl:
    url: str
    auth_type: str  # NONE | AWS_IAM
    qualifier: str | None = None
    cors: dict = field(default_factory=dict)
    invoke_mode: str | None = None


@dataclass
class EventInvokeConfig:
    qualifier: str | None = None
    maximum_retry_attempts: int | None = None
    maximum_event_age_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None


@dataclass
class Function:
    arn: str
    name: str
    account_id: str
    region: str
    role_arn: str
    runtime: str | None = None
    handler: str | None = None
    package_type: str = "Zip"
    architectures: list[str] = field(default_factory=list)
    memory_size: int | None = None
    timeout: int | None = None
    last_modified: str | None = None
    code_sha256: str | None = None
    layers: list[str] = field(default_factory=list)
    vpc_id: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    kms_key_arn: str | None = None
    tracing_mode: str | None = None
    dead_letter_target: str | None = None
    event_invoke_configs: list[EventInvokeConfig] = field(default_factory=list)
    file_systems: list[dict] = field(default_factory=list)  # {"arn", "local_mount_path"}
    urls: list[FunctionUrl] = field(default_factory=list)
    reserved_concurrency: int | None = None
    code_signing_config_arn: str | None = None
    logging_group: str | None = None  # custom log group from LoggingConfig
    tags: dict[str, str] = field(default_factory=dict)
    environment: list[EnvVar] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    resource_policy: dict | None = None
    invokers: list[Invoker] = field(default_factory=list)
    event_source_mappings: list[EventSourceMapping] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    location: SourceLocation | None = None
    code_calls: list[CodeCall] = field(default_factory=list)  # from its deployment package (scan --code)

    @property
    def log_group(self) -> str:
        return self.logging_group or f"/aws/lambda/{self.name}"


# -- account and snapshot -------------------------------------------------------------------


@dataclass
class CoverageGap:
    """A call that failed: what the snapshot could not see."""

    service: str
    operation: str
    error_code: str
    message: str
    region: str | None = None
    account_id: str | None = None
    resource: str | None = None


@dataclass
class Account:
    account_id: str
    partition: str = "aws"
    regions: list[str] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    policies: list[ManagedPolicy] = field(default_factory=list)
    coverage: list[CoverageGap] = field(default_factory=list)
    # calls a custom endpoint (an emulator such as moto) does not implement: a note about the
    # endpoint, not a gap of the account
    unsupported: list[CoverageGap] = field(default_factory=list)

    def role(self, arn: str) -> Role | None:
        return next((r for r in self.roles if r.arn == arn), None)

    def policy(self, arn: str) -> ManagedPolicy | None:
        return next((p for p in self.policies if p.arn == arn), None)


@dataclass
class Snapshot:
    accounts: list[Account] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    created_at: str = ""
    tool: dict = field(default_factory=dict)
    catalog: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)  # how it was made: scan options, IaC file ...
    organization: Organization | None = None  # SCPs and RCPs (scan --organization, --scp/--rcp)

    # -- queries --
    def functions(self) -> list[Function]:
        return [f for a in self.accounts for f in a.functions]

    def roles(self) -> list[Role]:
        return [r for a in self.accounts for r in a.roles]

    def find_role(self, arn: str) -> Role | None:
        for a in self.accounts:
            r = a.role(arn)
            if r:
                return r
        return None

    def find_policy(self, arn: str) -> ManagedPolicy | None:
        for a in self.accounts:
            p = a.policy(arn)
            if p:
                return p
        return None

    # -- (de)serialisation --
    def to_json(self) -> dict:
        return _sorted(to_jsonable(self))

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> None:
        """Atomically (iam_analyzer.outputs): a failed write never leaves half a snapshot."""
        from iam_analyzer.outputs import write_text

        write_text(path, self.dumps())

    @classmethod
    def from_json(cls, data: dict) -> "Snapshot":
        if not isinstance(data, dict) or "schema_version" not in data:
            raise SnapshotError("not an iam-analyzer snapshot (no schema_version)")
        if data["schema_version"] > SCHEMA_VERSION:
            raise SnapshotError(
                f"snapshot schema_version {data['schema_version']} is newer than this tool "
                f"understands ({SCHEMA_VERSION}); upgrade iam-analyzer"
            )
        return from_dict(cls, data)

    @classmethod
    def load(cls, path: str | Path) -> "Snapshot":
        """Read, bound and validate against the snapshot schema (iam_analyzer.inputs), then build."""
        from iam_analyzer.inputs import InputError, load_json, validate

        try:
            data = load_json(path, "snapshot")
            version = data.get("schema_version") if isinstance(data, dict) else None
            if not isinstance(version, int) or isinstance(version, bool):
                raise SnapshotError("not an iam-analyzer snapshot (no schema_version)")
            if version > SCHEMA_VERSION:
                cls.from_json(data)  # raises: newer than this tool
            validate(data, "snapshot", path)
            return from_dict(cls, data)
        except InputError as e:
            raise SnapshotError(str(e)) from None
        except SnapshotError as e:
            raise SnapshotError(f"{path}: {e}") from None


class SnapshotError(ValueError):
    pass


# Lists of records are sorted by their identity so output is stable across runs.
_SORT_KEYS = ("arn", "uuid", "account_id", "name", "principal", "type", "service")


def _sorted(obj: Any) -> Any:
    if isinstance(obj, dict):
        # a policy document as AWS wrote it, and an account's chain (root first), keep their order
        return {k: (v if k in ("document", "trust_policy", "resource_policy", "chain") else _sorted(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        items = [_sorted(v) for v in obj]
        if items and all(isinstance(v, dict) for v in items):
            return sorted(items, key=lambda d: json.dumps([d.get(k) for k in _SORT_KEYS] + [d], sort_keys=True, default=str))
        return items
    return obj
