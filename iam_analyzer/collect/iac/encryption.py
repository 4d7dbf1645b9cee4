"""Which resources of a template are encrypted with a customer managed KMS key, and which key.

Read from the resources' own properties (S3 ``BucketEncryption`` with ``aws:kms``, SQS and
SNS ``KmsMasterKeyId``, Kinesis ``StreamEncryption``, Secrets Manager ``KmsKeyId``), with the
same offline resolution of intrinsics as the rest of the reader. Used by ``new-role`` to add
KMS actions only where the template says a resource needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.iam.encryption import is_aws_managed

from . import sam, serverless
from .loader import LoadError, line_of, load_file, plain
from .resolve import Stack
from .result import Parts
from .serverless_vars import VariableError
from .templates import TemplateError, template_kind


def _key_node(rtype: str, props: dict) -> Any:
    if rtype == "AWS::S3::Bucket":
        rules = ((props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or [])
        for rule in rules if isinstance(rules, list) else []:
            default = (rule or {}).get("ServerSideEncryptionByDefault") or {}
            if str(default.get("SSEAlgorithm", "")).startswith("aws:kms") and default.get("KMSMasterKeyID"):
                return default["KMSMasterKeyID"]
        return None
    if rtype in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
        return props.get("KmsMasterKeyId")
    if rtype == "AWS::Kinesis::Stream":
        enc = props.get("StreamEncryption") or {}
        return enc.get("KeyId") if enc.get("EncryptionType") == "KMS" else None
    if rtype == "AWS::SecretsManager::Secret":
        return props.get("KmsKeyId")
    return None


def _key_arn(stack: Stack, node: Any, line: int | None) -> str | None:
    """A key given as !Ref/!GetAtt of a key in the template, a key ARN, or a key id."""
    target = None
    if isinstance(node, dict) and len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Ref" and isinstance(arg, str):
            target = arg
        elif fn == "Fn::GetAtt":
            target = (arg.split(".")[0] if isinstance(arg, str) else arg[0]) if arg else None
    if target and stack.resource_type(target) == "AWS::KMS::Key":
        # a key's id is made at deployment: CloudFormation and SAM output fill it in (Fn::Sub)
        return f"arn:{stack.partition}:kms:{stack.region}:{stack.account}:key/<{target}.KeyId>"
    value = stack.resolve(node, line)
    if not isinstance(value, str) or not value:
        return None
    if is_aws_managed(value):
        return None
    if value.startswith("arn:"):
        return value
    if value.startswith("alias/"):
        return None  # the key behind an alias is known only at deployment: reported by the caller
    return f"arn:{stack.partition}:kms:{stack.region}:{stack.account}:key/{value}"


def template_stack(path: str | Path, account: str, region: str, params: dict | None = None,
                   name: str | None = None) -> tuple[Stack | None, list[str]]:
    """The template as a resolvable stack (SAM transformed), or None for a file that is not a
    CloudFormation/SAM template (a Terraform plan, a CDK folder). ``name``: the stack name the
    IaC reader gave it (so both readings derive the same physical names)."""
    try:
        data = load_file(Path(path))
    except (LoadError, OSError) as e:
        return None, [f"{path}: {e}"]
    partition = ab.partition_of_region(region)
    if serverless.is_service(data):
        try:
            stack, _c = serverless.compile_stack(str(path), data, Parts(), account=account, region=region,
                                                 partition=partition, params=dict(params or {}))
            return stack, []
        except (serverless.ServiceError, VariableError, LoadError) as e:
            return None, [f"{path}: {e}"]
    kind = template_kind(data)
    if kind is None:
        return None, []
    try:
        if kind == "sam":
            data = sam.transform(plain(data), {}, region, partition, account)
        return Stack(path=str(path), name=name or Path(path).stem, template=data, account=account, region=region,
                     partition=partition, overrides=dict(params or {})), []
    except (TemplateError, sam.SamError, LoadError) as e:
        return None, [f"{path}: {e}"]


def logical_arns(stack: Stack | None) -> dict[str, str]:
    """Logical id -> ARN of every resource of the template whose ARN is known offline."""
    out: dict[str, str] = {}
    for logical, res in (stack.resources.items() if stack else ()):
        if isinstance(res, dict) and ab.CFN.get(str(res.get("Type", ""))):
            arn = stack.arn_of(logical)
            if arn and arn.startswith("arn:"):
                out[logical] = arn
    return out


def customer_keys(path: str | Path, account: str, region: str, params: dict | None = None,
                  stack: Stack | None = None) -> tuple[dict[str, str], list[str]]:
    """resource ARN -> key ARN for resources encrypted with a customer key; and notes."""
    notes: list[str] = []
    if stack is None:
        stack, notes = template_stack(path, account, region, params)
    if stack is None:
        return {}, notes
    out: dict[str, str] = {}
    for logical, res in stack.resources.items():
        if not isinstance(res, dict):
            continue
        rtype = str(res.get("Type", ""))
        props = stack.props(logical)
        node = _key_node(rtype, props)
        if node is None:
            continue
        key = _key_arn(stack, node, line_of(res))
        if key is None:
            value = stack.resolve(node, None)
            if isinstance(value, str) and value.startswith("alias/") and not is_aws_managed(value):
                notes.append(f"{path}: {logical} is encrypted with {value}: the key behind the alias is not known "
                             "offline; no KMS permission added")
            continue
        out[stack.arn_of(logical)] = key
    return out, notes
