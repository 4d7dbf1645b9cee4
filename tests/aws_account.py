"""Provision a realistic serverless account in the moto server, through boto3 over HTTP.

Covers every trigger type the scanner reads, a shared role, a permissions boundary, an
administrator role on a function, a function with no triggers, and (by scanning a second
region) a region with no functions.
"""

from __future__ import annotations

import json

from iam_analyzer import demo

ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
SECRET_VALUE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"  # looks like a Stripe key: must never be stored
PLAIN_SECRET = "hunter2-but-longer"  # only the variable's name says it is a password


def code_zip(source: str = "def handler(event, context):\n    return {'ok': True}\n", name="index.py") -> bytes:
    return demo.code_zip(name, source)


doc = demo.policy_text


def build_account(aws) -> dict:
    iam, lam = aws.client("iam"), aws.client("lambda")
    out: dict = {}

    def role(name, inline=None, managed=(), boundary=None):
        kw = {"PermissionsBoundary": boundary} if boundary else {}
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kw)["Role"]["Arn"]
        if inline:
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-inline", PolicyDocument=doc(*inline))
        for m in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=m)
        return arn

    boundary = iam.create_policy(PolicyName="lambda-boundary", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["dynamodb:*", "logs:*", "s3:*", "sqs:*"], "Resource": "*"}))["Policy"]["Arn"]
    shared_policy = iam.create_policy(PolicyName="shared-worker", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["s3:*", "sqs:*", "sns:*"], "Resource": "*"}))["Policy"]["Arn"]
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    roles = {
        "api": role("api-role", inline=[{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
                    managed=[basic], boundary=boundary),
        "shared": role("shared-role", managed=[shared_policy, basic]),
        "admin": role("admin-role", managed=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "stream": role("stream-role", inline=[{"Effect": "Allow", "Action": ["dynamodb:*", "kinesis:*"], "Resource": "*"}]),
    }
    out["roles"] = roles
    iam.create_user(UserName="deployer")
    iam.create_group(GroupName="developers")
    iam.add_user_to_group(GroupName="developers", UserName="deployer")
    iam.put_group_policy(GroupName="developers", PolicyName="deploy", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "iam:PassRole"], "Resource": "*"}))

    # data stores
    ddb = aws.client("dynamodb")
    table = ddb.create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST",
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    dlq_url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    sns = aws.client("sns")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="uploads-bucket")
    secret_arn = aws.client("secretsmanager").create_secret(Name="db-password", SecretString="x")["ARN"]
    aws.client("ssm").put_parameter(Name="/app/config", Value="v", Type="String")
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    out.update(table_arn=table["TableArn"], table_stream_arn=table["LatestStreamArn"], queue_arn=queue_arn,
               queue_url=queue_url, dlq_arn=dlq_arn, stream_arn=stream_arn, topic_arn=topic_arn,
               secret_arn=secret_arn, vpc=vpc, subnet=subnet, sg=sg)

    def function(name, role_arn, **kw):
        return lam.create_function(FunctionName=name, Runtime=kw.pop("Runtime", "python3.12"), Role=role_arn,
                                   Handler="index.handler", Code={"ZipFile": code_zip()}, **kw)["FunctionArn"]

    fns = {}
    fns["api"] = function("api-handler", roles["api"], Environment={"Variables": {
        "TABLE_NAME": "orders", "STRIPE_KEY": SECRET_VALUE, "DB_PASSWORD": PLAIN_SECRET,
        "DB_SECRET_ARN": secret_arn, "CONFIG_PARAM": "/app/config", "LOG_LEVEL": "debug"}},
        TracingConfig={"Mode": "Active"}, Tags={"team": "payments"})
    fns["uploader"] = function("uploader", roles["shared"], Environment={"Variables": {"QUEUE_URL": queue_url}})
    fns["cron"] = function("nightly-cron", roles["shared"], Runtime="nodejs20.x")
    fns["worker"] = function("sqs-worker", roles["stream"])
    fns["stream"] = function("stream-consumer", roles["stream"])
    fns["notifier"] = function("notifier", roles["shared"])
    fns["public"] = function("public-url", roles["admin"], Publish=True)
    fns["vpc"] = function("vpc-fn", roles["api"], VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]})
    fns["lonely"] = function("lonely", roles["stream"])
    fns["logsub"] = function("log-shipper", roles["shared"])
    out["functions"] = fns

    # triggers
    rest = aws.client("apigateway")
    api_id = rest.create_rest_api(name="orders-api")["id"]
    root = rest.get_resources(restApiId=api_id)["items"][0]["id"]
    res = rest.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    rest.put_method(restApiId=api_id, resourceId=res, httpMethod="POST", authorizationType="NONE")
    rest.put_integration(restApiId=api_id, resourceId=res, httpMethod="POST", type="AWS_PROXY", integrationHttpMethod="POST",
                         uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fns['api']}/invocations")
    lam.add_permission(FunctionName="api-handler", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/POST/orders")
    http = aws.client("apigatewayv2")
    http_id = http.create_api(Name="orders-http", ProtocolType="HTTP")["ApiId"]
    http.create_integration(ApiId=http_id, IntegrationType="AWS_PROXY", IntegrationUri=fns["api"], PayloadFormatVersion="2.0")
    s3.put_bucket_notification_configuration(Bucket="uploads-bucket", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": fns["uploader"], "Events": ["s3:ObjectCreated:*"]}]})
    lam.add_permission(FunctionName="uploader", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads-bucket", SourceAccount=ACCOUNT)
    events = aws.client("events")
    rule_arn = events.put_rule(Name="nightly", ScheduleExpression="cron(0 3 * * ? *)")["RuleArn"]
    events.put_targets(Rule="nightly", Targets=[{"Id": "1", "Arn": fns["cron"]}])
    lam.add_permission(FunctionName="nightly-cron", StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)
    aws.client("scheduler").create_schedule(Name="hourly", ScheduleExpression="rate(1 hour)",
                                            FlexibleTimeWindow={"Mode": "OFF"},
                                            Target={"Arn": fns["cron"], "RoleArn": roles["shared"]})
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="sqs-worker", BatchSize=5)
    lam.create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName="stream-consumer",
                                    StartingPosition="LATEST")
    lam.create_event_source_mapping(EventSourceArn=stream_arn, FunctionName="stream-consumer", StartingPosition="LATEST")
    sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=fns["notifier"])
    lam.add_permission(FunctionName="notifier", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic_arn)
    lam.create_function_url_config(FunctionName="public-url", AuthType="NONE")
    lam.add_permission(FunctionName="public-url", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName="public-url", StatementId="other-account", Action="lambda:InvokeFunction",
                       Principal="210987654321")
    lam.create_alias(FunctionName="public-url", Name="live", FunctionVersion="1")
    lam.put_function_event_invoke_config(FunctionName="notifier", MaximumRetryAttempts=1, DestinationConfig={
        "OnFailure": {"Destination": dlq_arn}, "OnSuccess": {"Destination": topic_arn}})
    lam.put_function_concurrency(FunctionName="sqs-worker", ReservedConcurrentExecutions=5)
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/app/audit")
    logs.put_subscription_filter(logGroupName="/app/audit", filterName="ship", filterPattern="",
                                 destinationArn=fns["logsub"])
    return out
