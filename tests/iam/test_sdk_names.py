"""SDK spellings -> API operations -> IAM actions, offline from botocore's and boto3's models."""

import pytest

from iam_analyzer.iam import sdk_names


@pytest.mark.parametrize("service,name,op", [
    ("s3", "list_objects_v2", "ListObjectsV2"), ("s3", "getObject", "GetObject"), ("s3", "PutObjectCommand"[:-7], "PutObject"),
    ("dynamodb", "batch_write_item", "BatchWriteItem"), ("stepfunctions", "start_execution", "StartExecution"),
    ("lambda", "invoke", "Invoke"), ("s3", "no_such_thing", None)])
def test_method_names_to_operations(service, name, op):
    assert sdk_names.operation(service, name) == op


@pytest.mark.parametrize("package,service", [
    ("@aws-sdk/client-s3", "s3"), ("@aws-sdk/client-sfn", "stepfunctions"), ("@aws-sdk/client-cloudwatch-logs", "logs"),
    ("@aws-sdk/client-eventbridge", "events"), ("@aws-sdk/client-secrets-manager", "secretsmanager"),
    ("@aws-sdk/client-api-gateway", "apigateway"), ("@aws-sdk/client-bedrock-runtime", "bedrock-runtime"),
    ("@aws-sdk/lib-dynamodb", None), ("left-pad", None)])
def test_js_v3_packages(package, service):
    assert sdk_names.service_for_js_package(package) == service


@pytest.mark.parametrize("name,service", [
    ("S3", "s3"), ("DynamoDB", "dynamodb"), ("StepFunctions", "stepfunctions"), ("CloudWatchLogs", "logs"),
    ("CloudWatchEvents", "events"), ("SecretsManager", "secretsmanager"), ("SFNClient", "stepfunctions"),
    ("SQSClient", "sqs"), ("Foo", None)])
def test_client_class_names(name, service):
    assert sdk_names.service_for_js_client(name) == service


def test_waiters_document_client_and_resource_models():
    assert sdk_names.waiter_operation("s3", "object_exists") == "HeadObject"
    assert sdk_names.waiter_operation("s3", "ObjectExists") == "HeadObject"
    assert sdk_names.waiter_operation("dynamodb", "table_exists") == "DescribeTable"
    assert sdk_names.document_client_operation("put") == "PutItem"
    assert sdk_names.document_client_operation("TransactWriteCommand") == "TransactWriteItems"
    assert sdk_names.resource_model("dynamodb")["resources"]["Table"]["actions"]["PutItem"]["request"]["operation"] == "PutItem"


@pytest.mark.parametrize("service,op,actions", [
    ("s3", "HeadObject", ("s3:GetObject",)), ("s3", "CopyObject", ("s3:GetObject", "s3:PutObject")),
    ("s3", "ListObjectsV2", ("s3:ListBucket",)), ("lambda", "Invoke", ("lambda:InvokeFunction",)),
    ("sqs", "SendMessageBatch", ("sqs:SendMessage",)), ("stepfunctions", "StartExecution", ("states:StartExecution",)),
    ("bedrock-runtime", "Converse", ("bedrock:InvokeModel",)),
    ("apigatewaymanagementapi", "PostToConnection", ("execute-api:ManageConnections",))])
def test_operations_to_iam_actions_through_the_shared_mapping(service, op, actions):
    assert sdk_names.iam_actions(service, op) == actions
