"""Libraries that call AWS for the handler code, as data: which API operations each of their
functions, classes and methods makes, and which argument names the resource.

The code readers (``collect/code``) look a library's names up here the way they look SDK
methods up in ``sdk_names``; the operations then go through ``api_actions`` and
``resource_params`` like any SDK call. Sources: the libraries' own documentation and code
(AWS Lambda Powertools for Python v2/v3, ``aws_lambda_powertools.utilities``; Powertools for
TypeScript v2, ``@aws-lambda-powertools/*``):

- parameters: SSM ``GetParameter`` / ``GetParametersByPath`` / ``GetParameters`` (by name,
  batched) / ``PutParameter``; Secrets Manager ``GetSecretValue`` / ``PutSecretValue``;
  AppConfig Data ``StartConfigurationSession`` + ``GetLatestConfiguration`` (the application
  defaults to ``POWERTOOLS_SERVICE_NAME``); the DynamoDB provider ``GetItem`` / ``Query``;
- idempotency's DynamoDB persistence layer: ``GetItem``, ``PutItem``, ``UpdateItem``,
  ``DeleteItem`` on its table;
- tracer: X-Ray ``PutTraceSegments`` / ``PutTelemetryRecords``;
- batch processing: the v1 SQS processor (``PartialSQSProcessor``, ``sqs_batch_processor``)
  deletes processed messages itself (``DeleteMessageBatch``); the v2+ processors return the
  failures to Lambda and call nothing;
- streaming ``S3Object``: ``GetObject`` (with ``HeadObject``) on its bucket and key;
- data masking's ``AWSEncryptionSDKProvider``: KMS ``GenerateDataKey`` / ``Decrypt`` on its keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Arg:
    """Where a call's argument names a resource, and which API parameter it fills.

    Python: ``position`` or keyword ``name``. JavaScript: the argument at ``position``, or
    the property ``name`` of the object at ``position``."""

    param: str
    position: int | None = None
    name: str | None = None
    keys: bool = False  # the names are the keys of a dict / object argument
    env_default: str | None = None  # when absent: the value of this environment variable


@dataclass(frozen=True)
class Calls:
    service: str  # botocore service name
    operations: tuple[str, ...]
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True)
class Library:
    """A function (``calls``) or a class (``on_create`` when made, ``keeps`` from its
    constructor for its ``methods``)."""

    calls: Calls | None = None
    on_create: Calls | None = None
    keeps: tuple[Arg, ...] = ()
    methods: dict = field(default_factory=dict)  # method name -> Calls

    @property
    def is_class(self) -> bool:
        return self.calls is None


_APPCONFIG = ("StartConfigurationSession", "GetLatestConfiguration")
_IDEMPOTENCY = ("GetItem", "PutItem", "UpdateItem", "DeleteItem")
_XRAY = Calls("xray", ("PutTraceSegments", "PutTelemetryRecords"))
_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"

# -- AWS Lambda Powertools for Python (any module under aws_lambda_powertools) --------------

PYTHON: dict[str, dict[str, Library]] = {"aws_lambda_powertools": {
    "get_parameter": Library(Calls("ssm", ("GetParameter",), (Arg("Name", 0, "name"),))),
    "get_parameters": Library(Calls("ssm", ("GetParametersByPath",), (Arg("Path", 0, "path"),))),
    "get_parameters_by_name": Library(Calls("ssm", ("GetParameters",), (Arg("Names", 0, "parameters", keys=True),))),
    "set_parameter": Library(Calls("ssm", ("PutParameter",), (Arg("Name", 0, "name"),))),
    "get_secret": Library(Calls("secretsmanager", ("GetSecretValue",), (Arg("SecretId", 0, "name"),))),
    "set_secret": Library(Calls("secretsmanager", ("PutSecretValue",), (Arg("SecretId", 0, "name"),))),
    "get_app_config": Library(Calls("appconfigdata", _APPCONFIG, (
        Arg("ConfigurationProfileIdentifier", 0, "name"), Arg("EnvironmentIdentifier", 1, "environment"),
        Arg("ApplicationIdentifier", 2, "application", env_default=_SERVICE_NAME)))),
    "SSMProvider": Library(methods={
        "get": Calls("ssm", ("GetParameter",), (Arg("Name", 0, "name"),)),
        "get_multiple": Calls("ssm", ("GetParametersByPath",), (Arg("Path", 0, "path"),)),
        "get_parameters_by_name": Calls("ssm", ("GetParameters",), (Arg("Names", 0, "parameters", keys=True),)),
        "set": Calls("ssm", ("PutParameter",), (Arg("Name", 0, "name"),))}),
    "SecretsProvider": Library(methods={
        "get": Calls("secretsmanager", ("GetSecretValue",), (Arg("SecretId", 0, "name"),)),
        "set": Calls("secretsmanager", ("PutSecretValue",), (Arg("SecretId", 0, "name"),))}),
    "AppConfigProvider": Library(
        keeps=(Arg("EnvironmentIdentifier", 0, "environment"),
               Arg("ApplicationIdentifier", 1, "application", env_default=_SERVICE_NAME)),
        methods={"get": Calls("appconfigdata", _APPCONFIG, (Arg("ConfigurationProfileIdentifier", 0, "name"),))}),
    "DynamoDBProvider": Library(keeps=(Arg("TableName", 0, "table_name"),), methods={
        "get": Calls("dynamodb", ("GetItem",)), "get_multiple": Calls("dynamodb", ("Query",))}),
    "DynamoDBPersistenceLayer": Library(on_create=Calls("dynamodb", _IDEMPOTENCY, (Arg("TableName", 0, "table_name"),))),
    "Tracer": Library(on_create=_XRAY),
    "PartialSQSProcessor": Library(on_create=Calls("sqs", ("DeleteMessageBatch",))),
    "sqs_batch_processor": Library(Calls("sqs", ("DeleteMessageBatch",))),
    "S3Object": Library(on_create=Calls("s3", ("HeadObject", "GetObject"), (Arg("Bucket", 0, "bucket"), Arg("Key", 1, "key")))),
    "AWSEncryptionSDKProvider": Library(on_create=Calls("kms", ("GenerateDataKey", "Decrypt"), (Arg("KeyId", 0, "keys"),))),
}}

# -- Powertools for AWS Lambda (TypeScript), by package -------------------------------------

_TS_SSM = {
    "getParameter": Library(Calls("ssm", ("GetParameter",), (Arg("Name", 0),))),
    "getParameters": Library(Calls("ssm", ("GetParametersByPath",), (Arg("Path", 0),))),
    "getParametersByName": Library(Calls("ssm", ("GetParameters",), (Arg("Names", 0, keys=True),))),
    "setParameter": Library(Calls("ssm", ("PutParameter",), (Arg("Name", 0),))),
    "SSMProvider": Library(methods={
        "get": Calls("ssm", ("GetParameter",), (Arg("Name", 0),)),
        "getMultiple": Calls("ssm", ("GetParametersByPath",), (Arg("Path", 0),)),
        "getParametersByName": Calls("ssm", ("GetParameters",), (Arg("Names", 0, keys=True),)),
        "set": Calls("ssm", ("PutParameter",), (Arg("Name", 0),))}),
}
_TS_SECRETS = {
    "getSecret": Library(Calls("secretsmanager", ("GetSecretValue",), (Arg("SecretId", 0),))),
    "SecretsProvider": Library(methods={"get": Calls("secretsmanager", ("GetSecretValue",), (Arg("SecretId", 0),))}),
}
_TS_APPCONFIG = {
    "getAppConfig": Library(Calls("appconfigdata", _APPCONFIG, (
        Arg("ConfigurationProfileIdentifier", 0), Arg("EnvironmentIdentifier", 1, "environment"),
        Arg("ApplicationIdentifier", 1, "application", env_default=_SERVICE_NAME)))),
    "AppConfigProvider": Library(
        keeps=(Arg("EnvironmentIdentifier", 0, "environment"),
               Arg("ApplicationIdentifier", 0, "application", env_default=_SERVICE_NAME)),
        methods={"get": Calls("appconfigdata", _APPCONFIG, (Arg("ConfigurationProfileIdentifier", 0),))}),
}
_TS_DYNAMODB = {
    "DynamoDBProvider": Library(keeps=(Arg("TableName", 0, "tableName"),), methods={
        "get": Calls("dynamodb", ("GetItem",)), "getMultiple": Calls("dynamodb", ("Query",))}),
}
_TS_IDEMPOTENCY = {
    "DynamoDBPersistenceLayer": Library(on_create=Calls("dynamodb", _IDEMPOTENCY, (Arg("TableName", 0, "tableName"),))),
}
JAVASCRIPT: dict[str, dict[str, Library]] = {
    "@aws-lambda-powertools/parameters/ssm": _TS_SSM,
    "@aws-lambda-powertools/parameters/secrets": _TS_SECRETS,
    "@aws-lambda-powertools/parameters/appconfig": _TS_APPCONFIG,
    "@aws-lambda-powertools/parameters/dynamodb": _TS_DYNAMODB,
    "@aws-lambda-powertools/idempotency/dynamodb": _TS_IDEMPOTENCY,
    "@aws-lambda-powertools/idempotency": _TS_IDEMPOTENCY,
    "@aws-lambda-powertools/tracer": {"Tracer": Library(on_create=_XRAY)},
}


def python_library(module: str) -> str | None:
    """The library a Python module belongs to (``aws_lambda_powertools.utilities.parameters``
    -> ``aws_lambda_powertools``), if it is one listed here."""
    root = module.split(".", 1)[0]
    return root if root in PYTHON else None


def python_symbol(library: str, name: str) -> Library | None:
    return PYTHON.get(library, {}).get(name)


def javascript_package(module: str) -> bool:
    return module in JAVASCRIPT or module.startswith("@aws-lambda-powertools/")


def javascript_symbol(module: str, name: str) -> Library | None:
    return JAVASCRIPT.get(module, {}).get(name)
