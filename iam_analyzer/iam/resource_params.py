"""Which resource an SDK call acts on, from the parameters that name it.

An API parameter (``Bucket``, ``Key``, ``TableName``, ``QueueUrl`` ...) fills one variable of
the ARN format the catalog gives for the action's resource type (``${BucketName}``,
``${TableName}`` ...). A parameter may hold a literal, a pattern (``incoming/*.jpg``: ``*``
where the code computes the value) or a full ARN; one read from an environment variable is
resolved through what the variable references (the template's ``!Ref``/``!GetAtt``), and
is otherwise left as a visible placeholder ``<NAME>``: never a silent ``*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from . import arn as arnlib
from . import wildcard
from .api_actions import S3_COPY_READS
from .catalog import Action, Catalog, ResourceType, default_catalog

# API parameter -> ARN-format variable it fills, per botocore service (first letter compared
# case-insensitively: Step Functions and Logs spell them in camelCase).
PARAM_VARS: dict[str, dict[str, str]] = {
    "s3": {"Bucket": "BucketName", "Key": "ObjectName", "Prefix": "ObjectName"},
    "dynamodb": {"TableName": "TableName", "IndexName": "IndexName"},
    "dynamodbstreams": {"StreamArn": "StreamLabel"},
    "sqs": {"QueueUrl": "QueueName", "QueueName": "QueueName"},
    "sns": {"TopicArn": "TopicName", "TargetArn": "TopicName", "Name": "TopicName"},
    "ssm": {"Name": "ParameterNameWithoutLeadingSlash", "Names": "ParameterNameWithoutLeadingSlash",
            "Path": "ParameterNameWithoutLeadingSlash"},
    "secretsmanager": {"SecretId": "SecretId"},
    "lambda": {"FunctionName": "FunctionName"},
    "stepfunctions": {"StateMachineArn": "StateMachineName", "ExecutionArn": "ExecutionId"},
    "kinesis": {"StreamName": "StreamName", "StreamARN": "StreamName"},
    "firehose": {"DeliveryStreamName": "DeliveryStreamName"},
    "events": {"EventBusName": "EventBusName"},
    "logs": {"LogGroupName": "LogGroupName", "LogStreamName": "LogStreamName"},
    "kms": {"KeyId": "KeyId"},
    "sts": {"RoleArn": "RoleNameWithPath"},
    "ses": {"Source": "IdentityName"},
    "sesv2": {"FromEmailAddress": "IdentityName"},
    "appconfigdata": {"ApplicationIdentifier": "ApplicationId", "EnvironmentIdentifier": "EnvironmentId",
                      "ConfigurationProfileIdentifier": "ConfigurationProfileId"},
    "bedrock-runtime": {"modelId": "ResourceId"},  # which resource type: bedrock_models
    "bedrock-agent-runtime": {"agentId": "AgentId", "agentAliasId": "AgentAliasId", "knowledgeBaseId": "KnowledgeBaseId"},
    "cognito-idp": {"UserPoolId": "UserPoolId"},
    "glue": {"JobName": "JobName", "DatabaseName": "DatabaseName"},
    "iot-data": {"topic": "TopicName"},
    "sagemaker-runtime": {"EndpointName": "EndpointName"},
    "scheduler": {"Name": "ScheduleName", "GroupName": "GroupName"},
    "timestream-write": {"DatabaseName": "DatabaseName", "TableName": "TableName"},
    "athena": {"WorkGroup": "WorkGroupName"},
    "codebuild": {"projectName": "ProjectName"},
    "batch": {"jobQueue": "JobQueueName", "jobDefinition": "JobDefinitionName"},
    "rds-data": {"resourceArn": "DbClusterInstanceName"},
}
# Variables IAM fills with an id where the API also takes a name (AppConfig: ids are 7
# lower-case letters and digits); a name there cannot give the ARN offline.
ID_ONLY = {"ApplicationId", "EnvironmentId", "ConfigurationProfileId"}
_APPCONFIG_ID = re.compile(r"^(?=[a-z]*[0-9])[a-z0-9]{7}$")  # seven characters; a digit tells it from a word
RESOURCE_PARAMS = frozenset(p.lower() for m in PARAM_VARS.values() for p in m) | {
    "copysource", "copysource.bucket", "copysource.key", "requestitems"}
# Variables a call's parameters never fill; a resource type using them is filled with *.
_ANY_VALUE = {"OpaqueId", "StreamLabel", "ExecutionId", "LogStreamName"}
DEFAULTS = {("events", "EventBusName"): "default", ("scheduler", "GroupName"): "default"}


# Parameters whose value is the whole resource by the API's definition (an ARN, a queue URL);
# any resource parameter read from a variable named ``..._ARN`` is taken as one too.
WHOLE_ARN_PARAMS: dict[str, frozenset[str]] = {
    "sns": frozenset({"topicarn", "targetarn"}), "sqs": frozenset({"queueurl"}),
    "stepfunctions": frozenset({"statemachinearn", "executionarn"}), "kinesis": frozenset({"streamarn"}),
    "dynamodbstreams": frozenset({"streamarn"}), "sts": frozenset({"rolearn"}),
}
_ARN_VARIABLE = re.compile(r"(?:^|_)ARN$|Arn$|(?:^|_)QUEUE_URL$|QueueUrl$")


def _holds_whole(service: str, param: str, env: str) -> bool:
    return param.lower() in WHOLE_ARN_PARAMS.get(service, frozenset()) or bool(_ARN_VARIABLE.search(env))


_BY_SERVICE = {svc: frozenset(p.lower() for p in m) for svc, m in PARAM_VARS.items()}
_ANY_SERVICE = frozenset({"copysource", "copysource.bucket", "copysource.key", "requestitems"})


def is_resource_param(name: str, service: str | None = None) -> bool:
    """Does this parameter name a resource (of ``service``'s, when given)? Only such parameters
    are kept from handler code: a literal elsewhere may be anything."""
    if service is None:
        return name.lower() in RESOURCE_PARAMS
    return name.lower() in _BY_SERVICE.get(service, frozenset()) or (service == "s3" and name.lower() in _ANY_SERVICE)


@dataclass(frozen=True)
class Value:
    """One argument value: literal text (``*`` for unknown parts), or an unresolved
    environment variable (``env`` set, ``text`` None)."""

    text: str | None
    env: str | None = None
    where: str = ""  # what named it: "literal", "environment variable TABLE_NAME"


@dataclass(frozen=True)
class Resolved:
    resource: str  # an ARN, an ARN pattern, "*", or an ARN with <PLACEHOLDER> parts
    unresolved: tuple[str, ...] = ()  # the placeholders it holds
    via: str = ""  # how it was resolved


@dataclass(frozen=True)
class Scope:
    partition: str = "aws"
    region: str | None = None
    account: str | None = None


def placeholder(name: str) -> str:
    return f"<{name}>"


PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def _fmt_vars(fmt: str) -> list[str]:
    return re.findall(r"\$\{([^}]*)\}", fmt)


def _var_value(service: str, var: str, raw: str) -> str:
    """The part of a parameter's value that fills ``var``."""
    if var == "QueueName" and raw.startswith(("https://", "http://")):
        return urlparse(raw).path.rstrip("/").rsplit("/", 1)[-1] or "*"
    if var == "ParameterNameWithoutLeadingSlash":
        return raw.lstrip("/")
    if var == "SecretId" and not raw.endswith("*"):
        return raw + "-??????"  # Secrets Manager appends six random characters to a secret's name
    return raw


def _sqs_account(raw: str) -> str | None:
    if raw.startswith(("https://", "http://")):
        parts = urlparse(raw).path.strip("/").split("/")
        return parts[0] if len(parts) == 2 and parts[0].isdigit() else None
    return None


def _sqs_region(url: str) -> str | None:
    host = urlparse(url).hostname or ""
    m = re.match(r"^(?:sqs\.([a-z0-9-]+)\.amazonaws|([a-z0-9-]+)\.queue\.amazonaws)", host)
    return (m.group(1) or m.group(2)) if m else None


def _args_for(service: str, operation: str, action: Action, args: dict[str, list[Value]]) -> dict[str, list[Value]]:
    """The arguments that name this action's resource: a copy reads its source."""
    if service == "s3" and operation in ("CopyObject", "UploadPartCopy", "HeadObject") and action.full_name in S3_COPY_READS | {"s3:GetObject"}:
        src = {k: v for k, v in args.items() if k.lower().startswith("copysource")}
        if src and operation != "HeadObject":
            out: dict[str, list[Value]] = {}
            if "CopySource" in src:
                for v in src["CopySource"]:
                    if v.text is not None and "/" in v.text.lstrip("/"):
                        b, k = v.text.lstrip("/").split("/", 1)
                        out.setdefault("Bucket", []).append(Value(b, where=v.where))
                        out.setdefault("Key", []).append(Value(k.split("?versionId=")[0], where=v.where))
                    else:
                        out.setdefault("Bucket", []).append(v)
            out.update({k.split(".", 1)[1]: v for k, v in src.items() if "." in k})
            return out
    return {k: v for k, v in args.items() if not k.lower().startswith("copysource")}


def resolve(service: str, operation: str, action: str, args: dict[str, list[Value]],
            env_refs: dict[str, list[str]], scope: Scope, catalog: Catalog | None = None) -> list[Resolved]:
    """The resources ``action`` (performed by ``operation``) applies to, for these arguments."""
    cat = catalog or default_catalog()
    act = cat.get(action)
    if act is None:
        return [Resolved("*", via="unknown action")]
    types = [t for t in cat.action_resource_types(act) if t is not None]
    if not types:
        return [Resolved("*", via="the action has no resource type")]
    required = {r.name.lower() for r in act.resource_types if r.required}
    names = {k.lower(): v for k, v in PARAM_VARS.get(service, {}).items()}
    args = _args_for(service, operation, act, args)
    by_var: dict[str, list[Value]] = {}
    whole: list[Resolved] = []
    for param, values in args.items():
        var = names.get(param.lower())
        if not var:
            continue
        for v in values:
            if v.text is None and not env_refs.get(v.env or "") and _holds_whole(service, param, v.env or ""):
                whole.append(Resolved(placeholder(v.env or var), (v.env or var,), v.where))
            else:
                by_var.setdefault(var, []).append(v)
    if whole and not by_var and any(names.get(p.lower()) in _fmt_vars(t.arn_format) for t in types for p in args):
        return _unique(whole)  # a variable holding the whole ARN (or queue URL) is the whole resource
    if service == "bedrock-runtime" and "ResourceId" in by_var:
        return _bedrock(by_var["ResourceId"], env_refs, scope)
    # a parameter holding an ARN (literal or through an environment variable) may be the resource itself
    best: list[Resolved] = []
    def filled(t: ResourceType) -> int:
        return sum(1 for v in _fmt_vars(t.arn_format) if v in by_var)

    if service == "s3":
        aps = _access_points(by_var.get("BucketName", []), env_refs)
        if aps:
            return _on_access_points(aps, types, by_var)
    mapped = set(names.values())

    def foreign(t: ResourceType) -> int:  # variables no parameter of this service's calls fills
        return sum(1 for v in _fmt_vars(t.arn_format) if v not in mapped and v not in ("Partition", "Region", "Account"))

    # the type whose variables the call fills most (Query with IndexName: the index), then the
    # one whose every variable the SDK's parameters name (an object is the bucket's, not an
    # access point's, unless Bucket is an access point ARN), then a required one, then the
    # most specific
    for rt in sorted(types, key=lambda t: (-filled(t), foreign(t), t.name.lower() not in required, -t.literal_weight)):
        got = _fill(service, rt, by_var, env_refs, scope)
        if got:
            if not any(r.unresolved for r in got):
                return got
            best = best or got
    if best:
        return best
    # nothing in the call names the resource: a placeholder for the type this SDK's calls
    # name (never a silent "*"), unless the action's resource types are all optional and
    # none of them is something a parameter of this service names
    def named(t: ResourceType) -> int:
        return len(mapped & set(_fmt_vars(t.arn_format)))

    rt = next((t for t in types if t.name.lower() in required), None) or max(
        (t for t in types if named(t)), key=named, default=None)
    if rt is None:
        return [Resolved("*", via="no parameter names a resource of this action")]
    return _fill(service, rt, by_var, env_refs, scope, force=True)


def _fill(service: str, rt: ResourceType, by_var: dict[str, list[Value]], env_refs: dict[str, list[str]],
          scope: Scope, force: bool = False) -> list[Resolved]:
    fmt = rt.arn_format
    variables = [v for v in _fmt_vars(fmt) if v not in ("Partition", "Region", "Account")]
    if not force and not any(v in by_var for v in variables):
        return []
    # values per variable: literal texts, ARNs from the environment, or placeholders
    options: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
    direct: list[Resolved] = []
    for var in variables:
        opts: list[tuple[str, tuple[str, ...], str]] = []
        for v in by_var.get(var, []):
            texts = [v.text] if v.text is not None else env_refs.get(v.env or "", [])
            via = v.where or "literal"
            if v.text is None and not texts:
                opts.append((placeholder(v.env or var), (v.env or var,), via))
                continue
            for t in texts:
                if t.startswith("arn:"):
                    if _arn_fits(t, rt):
                        direct.append(Resolved(t, via=via))
                    elif rt.service == "s3" and var == "BucketName" and ":s3:::" in t:
                        opts.append((t.split(":::", 1)[1].split("/", 1)[0], (), via))
                    else:
                        part = _extract(t, var)
                        if part is not None:
                            opts.append((part, (), via))
                    continue
                if service == "sqs" and var == "QueueName" and _sqs_account(t):
                    region = _sqs_region(t)
                    if region:  # a queue URL names its region and account: the queue's own ARN
                        direct.append(Resolved(f"arn:{scope.partition}:sqs:{region}:{_sqs_account(t)}:"
                                               f"{_var_value(service, var, t)}", via=via))
                    else:
                        opts.append((_var_value(service, var, t), (), via + f" (account {_sqs_account(t)})"))
                    continue
                if var in ID_ONLY and not _APPCONFIG_ID.match(t):
                    opts.append((placeholder(var), (var,), f"{via} (names {t!r}: IAM names it by id)"))
                    continue
                opts.append((_var_value(service, var, t), (), via))
        if not opts:
            if (service, var) in DEFAULTS:
                opts = [(DEFAULTS[(service, var)], (), "default")]
            elif var == "ObjectName" or var in _ANY_VALUE:
                opts = [("*", (), "any")]
            elif not direct:
                opts = [(placeholder(var), (var,), "not named by the call")]
        options[var] = opts
    if direct and all(not options.get(v) or all(o[1] for o in options[v]) for v in variables):
        return _unique(direct)
    out = [] + direct
    combos: list[tuple[str, tuple[str, ...], list[str]]] = [(fmt, (), [])]
    for var in variables:
        nxt = []
        for text, missing, vias in combos:
            for val, miss, via in options.get(var, [("*", (), "any")]):
                nxt.append((text.replace("${" + var + "}", val, 1), missing + miss, vias + [via]))
        combos = nxt[:64]
    for text, missing, vias in combos:
        text = (text.replace("${Partition}", scope.partition)
                .replace("${Region}", scope.region or placeholder("REGION"))
                .replace("${Account}", scope.account or placeholder("ACCOUNT_ID")))
        out.append(Resolved(text, missing, "; ".join(sorted(set(v for v in vias if v not in ("any", "default"))))))
    return _unique(out)


def _bedrock(values: list[Value], env_refs: dict[str, list[str]], scope: Scope) -> list[Resolved]:
    from .bedrock_models import model_resources

    region, account = scope.region or placeholder("REGION"), scope.account or placeholder("ACCOUNT_ID")
    out = []
    for v in values:
        texts = [v.text] if v.text is not None else env_refs.get(v.env or "", [])
        if not texts:  # a model id read at run time: a foundation model, named by the variable
            name = v.env or "ResourceId"
            out.append(Resolved(f"arn:{scope.partition}:bedrock:{region}::foundation-model/{placeholder(name)}",
                                (name,), v.where))
        for t in texts:
            out += [Resolved(r, via=v.where or "literal") for r in model_resources(t, scope.partition, region, account)]
    return _unique(out)


_ACCESS_POINT = re.compile(r"^arn:[a-z-]+:s3:[a-z0-9-]*:[0-9]*:accesspoint/[^/]+$")


def _access_points(values: list[Value], env_refs: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(access point ARN, where it came from) when every ``Bucket`` value is one (S3 takes an
    access point ARN in place of a bucket name)."""
    out = []
    for v in values:
        texts = [v.text] if v.text is not None else env_refs.get(v.env or "", [])
        if not texts or not all(_ACCESS_POINT.match(t) for t in texts):
            return []
        out += [(t, v.where or "literal") for t in texts]
    return out


def _on_access_points(aps: list[tuple[str, str]], types: list[ResourceType], by_var: dict[str, list[Value]]) -> list[Resolved]:
    object_level = any("${ObjectName}" in t.arn_format for t in types)
    keys = [v.text for v in by_var.get("ObjectName", []) if v.text is not None] or ["*"]
    out = []
    for ap, via in aps:
        for k in (keys if object_level else [""]):
            out.append(Resolved(f"{ap}/object/{k}" if object_level else ap, via=via))
    return _unique(out)


def _extract(arn_text: str, var: str) -> str | None:
    """The value of ``var`` in a concrete ARN (a table ARN gives ``TableName``), read through
    the ARN format of the resource type the ARN is."""
    rt = arnlib.identify(arn_text)
    if rt is None or "${" + var + "}" not in rt.arn_format:
        return None
    pattern = ""
    for piece in re.split(r"(\$\{[^}]*\})", rt.arn_format):
        if piece.startswith("${"):
            name = piece[2:-1]
            pattern += f"(?P<{name}>.+?)" if name == var else ".*?"
        else:
            pattern += re.escape(piece)
    m = re.fullmatch(pattern, arn_text)
    return m.group(var) if m else None


def _arn_fits(text: str, rt: ResourceType) -> bool:
    return wildcard.matches(rt.glob, text) or wildcard.intersects(rt.glob, text)


def _unique(items: list[Resolved]) -> list[Resolved]:
    seen, out = set(), []
    for r in items:
        if r.resource not in seen:
            seen.add(r.resource)
            out.append(r)
    return out
