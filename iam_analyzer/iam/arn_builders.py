"""ARNs of resources declared in templates and plans, built from the catalog's ARN formats.

A CloudFormation resource type or a Terraform resource type maps to a ``Kind``: the catalog
resource type whose ARN format names it, the properties that give its name, what ``Ref``
returns for it, and what each ``Fn::GetAtt`` attribute is. ``build(kind, name, ...)`` fills the
catalog's format (``${Partition}``, ``${Region}``, ``${Account}`` and the name); every other
variable becomes ``*``, so an ARN built here never names less than the real one.

This is the one place with that knowledge; the IaC readers call it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .catalog import default_catalog

_VAR = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Kind:
    service: str  # catalog service prefix
    rtype: str | None  # catalog resource type name (None: no ARN in the catalog)
    names: tuple[str, ...] = ()  # CloudFormation properties that give the physical name
    ref: str = "name"  # what Ref returns: name | arn | url | id
    attrs: dict = field(default_factory=dict)  # GetAtt attribute -> name | arn | url | id | stream
    lower: bool = False  # generated names are lower case (S3 buckets)
    fallback: str | None = None  # ARN format when the catalog lacks the type
    path_prop: str | None = None  # property holding an IAM path
    getatt_arn_suffix: str = ""  # what CloudFormation's GetAtt Arn adds to the ARN (log groups: ":*")


def _k(service, rtype, names=(), ref="name", attrs=None, **kw) -> Kind:
    return Kind(service, rtype, tuple(names), ref, dict(attrs or {"Arn": "arn"}), **kw)


CFN: dict[str, Kind] = {
    "AWS::Lambda::Function": _k("lambda", "function", ["FunctionName"]),
    "AWS::Lambda::Alias": _k("lambda", "function alias", ["Name"], ref="arn", attrs={"AliasArn": "arn"}),
    "AWS::Lambda::Version": _k("lambda", "function version", [], ref="arn", attrs={"Version": "id", "FunctionArn": "arn"}),
    "AWS::Lambda::LayerVersion": _k("lambda", "layerversion", ["LayerName"], ref="arn", attrs={"LayerVersionArn": "arn"}),
    "AWS::Lambda::EventSourceMapping": _k("lambda", "eventsourcemapping", [], ref="id", attrs={"Id": "id", "EventSourceMappingArn": "arn"}),
    "AWS::IAM::Role": _k("iam", "role", ["RoleName"], attrs={"Arn": "arn", "RoleId": "id"}, path_prop="Path"),
    "AWS::IAM::User": _k("iam", "user", ["UserName"], path_prop="Path"),
    "AWS::IAM::Group": _k("iam", "group", ["GroupName"], path_prop="Path"),
    "AWS::IAM::ManagedPolicy": _k("iam", "policy", ["ManagedPolicyName"], ref="arn", attrs={"PolicyArn": "arn"}, path_prop="Path"),
    "AWS::IAM::InstanceProfile": _k("iam", "instance-profile", ["InstanceProfileName"], path_prop="Path"),
    "AWS::DynamoDB::Table": _k("dynamodb", "table", ["TableName"], attrs={"Arn": "arn", "StreamArn": "stream"}),
    "AWS::DynamoDB::GlobalTable": _k("dynamodb", "table", ["TableName"], attrs={"Arn": "arn", "StreamArn": "stream"}),
    "AWS::S3::Bucket": _k("s3", "bucket", ["BucketName"], lower=True,
                          attrs={"Arn": "arn", "DomainName": "domain", "RegionalDomainName": "domain", "WebsiteURL": "url"}),
    "AWS::SQS::Queue": _k("sqs", "queue", ["QueueName"], ref="url", attrs={"Arn": "arn", "QueueName": "name", "QueueUrl": "url"}),
    "AWS::SNS::Topic": _k("sns", "topic", ["TopicName"], ref="arn", attrs={"TopicArn": "arn", "TopicName": "name"}),
    "AWS::Events::Rule": _k("events", "rule-on-default-event-bus", ["Name"]),
    "AWS::Events::EventBus": _k("events", "event-bus", ["Name"], attrs={"Arn": "arn", "Name": "name"}),
    "AWS::Scheduler::Schedule": _k("scheduler", "schedule", ["Name"]),
    "AWS::Scheduler::ScheduleGroup": _k("scheduler", "schedule-group", ["Name"]),
    # GetAtt Arn of a log group is "arn:...:log-group:NAME:*" (its streams too); Ref is the name
    "AWS::Logs::LogGroup": _k("logs", "log-group", ["LogGroupName"], getatt_arn_suffix=":*"),
    "AWS::Kinesis::Stream": _k("kinesis", "stream", ["Name"]),
    "AWS::KinesisFirehose::DeliveryStream": _k("firehose", "deliverystream", ["DeliveryStreamName"]),
    "AWS::KMS::Key": _k("kms", "key", [], ref="id", attrs={"Arn": "arn", "KeyId": "id"}),
    "AWS::KMS::Alias": _k("kms", "alias", ["AliasName"]),
    "AWS::SecretsManager::Secret": _k("secretsmanager", "secret", ["Name"], ref="arn", attrs={"Id": "arn"}),
    "AWS::SSM::Parameter": _k("ssm", "parameter", ["Name"], attrs={"Type": "id", "Value": "id"}),
    "AWS::StepFunctions::StateMachine": _k("states", "statemachine", ["StateMachineName"], ref="arn", attrs={"Arn": "arn", "Name": "name"}),
    "AWS::ApiGateway::RestApi": _k("execute-api", "execute-api-general", ["Name"], ref="id", attrs={"RootResourceId": "id", "RestApiId": "id"}),
    "AWS::ApiGatewayV2::Api": _k("execute-api", "execute-api-general", ["Name"], ref="id", attrs={"ApiId": "id", "ApiEndpoint": "url"}),
    "AWS::ECR::Repository": _k("ecr", "repository", ["RepositoryName"], lower=True),
    "AWS::EFS::AccessPoint": _k("elasticfilesystem", "access-point", [], ref="id", attrs={"Arn": "arn", "AccessPointId": "id"}),
    "AWS::EFS::FileSystem": _k("elasticfilesystem", "file-system", [], ref="id", attrs={"Arn": "arn", "FileSystemId": "id"}),
    "AWS::Cognito::UserPool": _k("cognito-idp", "userpool", [], ref="id", attrs={"Arn": "arn", "ProviderName": "id"}),
    "AWS::AppSync::GraphQLApi": _k("appsync", "graphqlapi", [], ref="arn", attrs={"Arn": "arn", "ApiId": "id", "GraphQLUrl": "url"}),
    "AWS::MSK::Cluster": _k("kafka", "cluster", ["ClusterName"], ref="arn"),
    "AWS::SES::EmailIdentity": _k("ses", "identity", ["EmailIdentity"]),
    "AWS::EC2::VPC": _k("ec2", "vpc", [], ref="id", attrs={"VpcId": "id"}),
    "AWS::EC2::Subnet": _k("ec2", "subnet", [], ref="id", attrs={"SubnetId": "id"}),
    "AWS::EC2::SecurityGroup": _k("ec2", "security-group", [], ref="id", attrs={"GroupId": "id"}),
}

# Terraform resource types -> the same kinds (the plan names the attribute holding the name).
TERRAFORM: dict[str, tuple[str, str]] = {  # type -> (CloudFormation-equivalent type, name attribute)
    "aws_lambda_function": ("AWS::Lambda::Function", "function_name"),
    "aws_iam_role": ("AWS::IAM::Role", "name"),
    "aws_iam_policy": ("AWS::IAM::ManagedPolicy", "name"),
    "aws_iam_user": ("AWS::IAM::User", "name"),
    "aws_iam_group": ("AWS::IAM::Group", "name"),
    "aws_dynamodb_table": ("AWS::DynamoDB::Table", "name"),
    "aws_s3_bucket": ("AWS::S3::Bucket", "bucket"),
    "aws_sqs_queue": ("AWS::SQS::Queue", "name"),
    "aws_sns_topic": ("AWS::SNS::Topic", "name"),
    "aws_cloudwatch_event_rule": ("AWS::Events::Rule", "name"),
    "aws_cloudwatch_event_bus": ("AWS::Events::EventBus", "name"),
    "aws_scheduler_schedule": ("AWS::Scheduler::Schedule", "name"),
    "aws_cloudwatch_log_group": ("AWS::Logs::LogGroup", "name"),
    "aws_kinesis_stream": ("AWS::Kinesis::Stream", "name"),
    "aws_kms_key": ("AWS::KMS::Key", "key_id"),
    "aws_secretsmanager_secret": ("AWS::SecretsManager::Secret", "name"),
    "aws_ssm_parameter": ("AWS::SSM::Parameter", "name"),
    "aws_sfn_state_machine": ("AWS::StepFunctions::StateMachine", "name"),
    "aws_ecr_repository": ("AWS::ECR::Repository", "name"),
    "aws_lambda_alias": ("AWS::Lambda::Alias", "name"),
    "aws_api_gateway_rest_api": ("AWS::ApiGateway::RestApi", "name"),
    "aws_apigatewayv2_api": ("AWS::ApiGatewayV2::Api", "name"),
}


@lru_cache(maxsize=256)
def _format(service: str, rtype: str | None) -> str | None:
    if rtype is None:
        return None
    rt = default_catalog().resource_type(service, rtype)
    return rt.arn_format if rt else None


def arn_format(kind: Kind) -> str | None:
    return _format(kind.service, kind.rtype) or kind.fallback


def build(kind: Kind, name: str, partition: str, region: str, account: str, **extra: str) -> str | None:
    """The ARN of a resource of this kind called ``name`` (with an IAM path already in front).

    Variables of the format other than partition, region, account and the first name-like
    one come from ``extra`` (by variable name) or become ``*``."""
    fmt = arn_format(kind)
    if fmt is None:
        return None
    used_name = [False]

    def fill(m: re.Match) -> str:
        var = m.group(1)
        if var == "Partition":
            return partition
        if var == "Region":
            return region
        if var in ("Account", "AccountId"):
            return account
        if var in extra:
            return extra[var]
        if not used_name[0]:
            used_name[0] = True
            return name.lstrip("/") if var.endswith("WithoutLeadingSlash") else name
        return "*"

    return _VAR.sub(fill, fmt)


def getatt_arn(kind: Kind | None, arn: str) -> str:
    """The value of ``Fn::GetAtt X.Arn`` for a resource whose ARN is ``arn``."""
    return arn + kind.getatt_arn_suffix if kind and kind.getatt_arn_suffix and arn != "*" else arn


def iam_name_with_path(name: str, path: object) -> str:
    """``RoleNameWithPath`` etc.: the path without its leading slash, then the name."""
    p = path.strip("/") if isinstance(path, str) else ""
    return f"{p}/{name}" if p else name


def stream_arn(table_arn: str) -> str:
    """A DynamoDB table's stream ARN when the stream label is not known yet."""
    return f"{table_arn}/stream/*"


def queue_url(name: str, region: str, account: str, partition: str = "aws") -> str:
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{suffix}/{account}/{name}"


def queue_name_from_url(url: str) -> str | None:
    m = re.match(r"^https?://[^/]+/\d{12}/([A-Za-z0-9_.-]+)$", url or "")
    return m.group(1) if m else None


def managed_policy_arn(name_with_path: str, account: str, partition: str = "aws") -> str:
    return build(CFN["AWS::IAM::ManagedPolicy"], name_with_path, partition, "", account) or ""


def api_source_arn(api_id: str, region: str, partition: str, http: bool = False) -> str:
    """The source ARN the scanner records for an API Gateway trigger (REST: /restapis, HTTP: /apis)."""
    return f"arn:{partition}:apigateway:{region}::/{'apis' if http else 'restapis'}/{api_id}"


def lambda_invoke_arn(function_arn: str, region: str, partition: str = "aws") -> str:
    """The URI API Gateway uses to invoke a function (Terraform's ``invoke_arn``)."""
    return f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def lambda_invocation_target(uri: str) -> str | None:
    """The function ARN inside an API Gateway integration URI (``.../functions/<arn>/invocations``)."""
    m = re.search(r"functions/(arn:[^/]+:lambda:[^/]+:[^/:]+:function:[^/]+)/invocations", uri or "")
    return m.group(1) if m else None


def function_name_and_qualifier(value: str) -> tuple[str, str | None]:
    """Lambda accepts a name, a partial ARN (``123456789012:function:x``) or a full ARN,
    each optionally with ``:qualifier``; this returns (name, qualifier)."""
    parts = value.split(":")
    if value.startswith("arn:") and len(parts) >= 7:
        return parts[6], (parts[7] if len(parts) >= 8 else None)
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2], (parts[3] if len(parts) >= 4 else None)
    if len(parts) == 2:
        return parts[0], parts[1]
    return value, None


def function_url(host_label: str, region: str) -> str:
    """A function URL whose host part is not known before deployment (``*`` in the label)."""
    return f"https://{host_label}.lambda-url.{region}.on.aws/"


def account_root(account: str, partition: str = "aws") -> str:
    """How a resource policy stores a bare account principal (``123456789012``)."""
    return f"arn:{partition}:iam::{account}:root"


def qualified(function_arn: str, qualifier: str | None) -> str:
    return f"{function_arn}:{qualifier}" if qualifier else function_arn


def stack_id(stack: str, region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack}/*"


def any_resource_of(service: str, region: str, account: str, partition: str = "aws") -> str:
    """The ARN pattern for a resource of a type this module does not know: any of the service's."""
    return f"arn:{partition}:{service or '*'}:{region}:{account}:*"


def partition_of_region(region: str) -> str:
    for prefix, partition in (("cn-", "aws-cn"), ("us-gov", "aws-us-gov"), ("us-isob", "aws-iso-b"),
                              ("us-isof", "aws-iso-f"), ("us-iso", "aws-iso"), ("eu-isoe", "aws-iso-e"),
                              ("eusc-", "aws-eusc")):
        if region.startswith(prefix):
            return partition
    return "aws"


def url_suffix(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def template_reference(cfn_type: str, logical_id: str) -> dict | None:
    """How a template names the ARN of its own resource ``logical_id``: ``{"Ref": id}`` where
    ``Ref`` returns the ARN (an SNS topic), else ``{"Fn::GetAtt": [id, attribute]}`` for the
    attribute that is the ARN (a table's ``Arn``); None when neither gives the ARN."""
    kind = CFN.get(cfn_type)
    if kind is None or cfn_type == "AWS::Logs::LogGroup":  # its Arn attribute ends in ":*"
        return None
    if kind.ref == "arn":
        return {"Ref": logical_id}
    attr = next((a for a, what in kind.attrs.items() if what == "arn"), None)
    return {"Fn::GetAtt": [logical_id, attr]} if attr else None


def sub_reference(ref: dict) -> str:
    """The ``Fn::Sub`` spelling of a reference: ``${Topic}`` / ``${Table.Arn}``."""
    if "Ref" in ref:
        return "${" + ref["Ref"] + "}"
    return "${" + ".".join(ref["Fn::GetAtt"]) + "}"
