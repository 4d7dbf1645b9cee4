"""Calls that Powertools for AWS Lambda (Python and TypeScript) makes for the handler, and JS
SDK v3 waiters, paginators and typed sends, read from the code."""

from iam_analyzer.analyze.generate.new_role import new_role
from iam_analyzer.collect.code import read_sources
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.iam.resource_params import Scope

ACCOUNT, REGION = "111122223333", "eu-west-1"
PY = '''import os
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters import get_secret, DynamoDBProvider
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent
from aws_lambda_powertools.utilities.batch import sqs_batch_processor
import aws_lambda_powertools.utilities.parameters as params

tracer = Tracer()
layer = DynamoDBPersistenceLayer(table_name="idempotency")
ddb = DynamoDBProvider(table_name="config-table")


@tracer.capture_lambda_handler
@sqs_batch_processor(record_handler=print)
def handler(event, context):
    a = parameters.get_parameter("/app/db-host")
    b = get_secret("prod/db")
    c = params.get_parameters("/app/flags")
    e = ddb.get("my-key")
    f = parameters.get_parameters_by_name(parameters={"/app/a": {}, "/app/b": {}})
'''
TS = '''import { Tracer } from '@aws-lambda-powertools/tracer';
import { getParameter, getParametersByName } from '@aws-lambda-powertools/parameters/ssm';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getAppConfig } from '@aws-lambda-powertools/parameters/appconfig';
import { DynamoDBProvider } from '@aws-lambda-powertools/parameters/dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import * as s3 from '@aws-sdk/client-s3';
import { DynamoDBClient, waitUntilTableExists, paginateQuery, GetItemCommand, GetItemCommandOutput } from '@aws-sdk/client-dynamodb';

const tracer = new Tracer({ serviceName: 'orders' });
const store = new DynamoDBPersistenceLayer({ tableName: 'idempotency' });
const provider = new DynamoDBProvider({ tableName: 'config-table' });
const client = new DynamoDBClient({});
const s3c = new s3.S3Client({});

export const handler = async () => {
  await getParameter('/app/db-host');
  await getParametersByName({ '/app/a': {}, '/app/b': { maxAge: 5 } });
  await getSecret('prod/db');
  await getAppConfig('prof123', { application: 'app1234', environment: 'env1234' });
  await provider.get('my-key');
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: 'orders' });
  for await (const page of paginateQuery({ client }, { TableName: 'orders', KeyConditionExpression: 'x' })) {}
  for await (const page of s3.paginateListObjectsV2({ client: s3c }, { Bucket: 'b', Prefix: 'in/' })) {}
  const item = await client.send<GetItemCommandOutput>(new GetItemCommand({ TableName: 'orders', Key: {} }));
};
'''


def role_for(path: str, src: str):
    return new_role(read_sources([(path, "h", src)]).calls, scope=Scope("aws", REGION, ACCOUNT), function_name="fn")


def allowed(role, action, resource):
    pols = [parse_policy_lenient(d)[0] for d in role.documents]
    return evaluate(Request(action, resource), pols).result is Result.ALLOW


def arn(service, rest):
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}"


def test_powertools_for_python_parameters_idempotency_tracer_and_v1_batch():
    role = role_for("h.py", PY)
    assert allowed(role, "ssm:GetParameter", arn("ssm", "parameter/app/db-host"))
    assert not allowed(role, "ssm:GetParameter", arn("ssm", "parameter/app/other"))
    assert allowed(role, "ssm:GetParametersByPath", arn("ssm", "parameter/app/flags"))
    assert allowed(role, "ssm:GetParameters", arn("ssm", "parameter/app/a"))
    assert allowed(role, "ssm:GetParameters", arn("ssm", "parameter/app/b"))
    assert allowed(role, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/db-AbCdEf"))
    assert allowed(role, "dynamodb:GetItem", arn("dynamodb", "table/config-table"))
    for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):  # the idempotency table
        assert allowed(role, f"dynamodb:{action}", arn("dynamodb", "table/idempotency"))
    assert not allowed(role, "dynamodb:PutItem", arn("dynamodb", "table/config-table"))
    assert allowed(role, "xray:PutTraceSegments", "*") and allowed(role, "xray:PutTelemetryRecords", "*")
    # the v1 SQS processor deletes what it processed: the queue comes in the event, so a placeholder
    assert any(p["action"] == "sqs:DeleteMessage" for p in role.placeholders)


def test_powertools_for_typescript_and_sdk_v3_waiters_paginators_and_typed_send():
    role = role_for("h.ts", TS)
    assert allowed(role, "ssm:GetParameter", arn("ssm", "parameter/app/db-host"))
    assert allowed(role, "ssm:GetParameters", arn("ssm", "parameter/app/b"))
    assert allowed(role, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/db-AbCdEf"))
    profile = arn("appconfig", "application/app1234/environment/env1234/configuration/prof123")
    assert allowed(role, "appconfig:StartConfigurationSession", profile)
    assert allowed(role, "appconfig:GetLatestConfiguration", profile)
    assert allowed(role, "dynamodb:GetItem", arn("dynamodb", "table/config-table"))
    assert allowed(role, "dynamodb:UpdateItem", arn("dynamodb", "table/idempotency"))
    assert allowed(role, "xray:PutTraceSegments", "*")
    assert allowed(role, "dynamodb:DescribeTable", arn("dynamodb", "table/orders"))  # waitUntilTableExists
    assert allowed(role, "dynamodb:Query", arn("dynamodb", "table/orders"))  # paginateQuery
    assert allowed(role, "s3:ListBucket", "arn:aws:s3:::b")  # s3.paginateListObjectsV2 through a namespace import
    assert allowed(role, "dynamodb:GetItem", arn("dynamodb", "table/orders"))  # client.send<Output>(...)
    assert not allowed(role, "dynamodb:PutItem", arn("dynamodb", "table/orders"))


def test_an_appconfig_name_is_never_put_where_iam_wants_an_id():
    src = ("from aws_lambda_powertools.utilities import parameters\n"
           "def h(e, c):\n    return parameters.get_app_config(name='features', environment='production', application='shop')\n")
    role = role_for("h.py", src)
    res = {p["resource"] for p in role.placeholders if p["action"].startswith("appconfig:")}
    assert res and all("<ApplicationId>" in r and "<EnvironmentId>" in r and "<ConfigurationProfileId>" in r for r in res)
    src = src.replace("application='shop'", "")  # the application defaults to POWERTOOLS_SERVICE_NAME
    role = role_for("h.py", src)
    assert any(p["placeholder"] == "<POWERTOOLS_SERVICE_NAME>" for p in role.placeholders)
