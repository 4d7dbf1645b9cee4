"""The embedded demo account: a realistic serverless application, provisioned through boto3.

``provision`` builds it against any endpoint (the demo uses moto's server on loopback);
``write_trail`` writes 30 days of CloudTrail logs for it into the trail's S3 bucket, as
CloudTrail would: management events everywhere, data events for one bucket and the orders
table only, a few AccessDenied calls. Nothing in the pipeline knows about this module.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from iam_analyzer.collect.cloudtrail.synth import Caller, record

REGION = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
PY_HANDLER = "import json, os, boto3\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps('ok')}\n"
JS_HANDLER = "exports.handler = async (event) => ({ statusCode: 200, body: 'ok' });\n"
# What each function's code does (the calls ``_calls`` writes into the trail): deployed as
# its package, so ``scan --code`` reads it.
HANDLERS = {
    "orders-api": ("app.py", """import json, os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
ssm = boto3.client("ssm")


def handler(event, context):
    ssm.get_parameter(Name=os.environ["CONFIG_PARAM"])
    if event.get("httpMethod") == "POST":
        table.put_item(Item=json.loads(event["body"]))
        return {"statusCode": 201}
    item = table.get_item(Key={"id": event["pathParameters"]["id"]})
    table.query(IndexName="by-customer", KeyConditionExpression="customer = :c")
    return {"statusCode": 200, "body": json.dumps(item, default=str)}
"""),
    "image-upload": ("index.js", """const { S3Client, GetObjectCommand } = require("@aws-sdk/client-s3");
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
const s3 = new S3Client({});
const sqs = new SQSClient({});

exports.handler = async (event) => {
  for (const r of event.Records) {
    const head = await s3.send(new GetObjectCommand({ Bucket: r.s3.bucket.name, Key: r.s3.object.key }));
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.JOBS_QUEUE_URL,
      MessageBody: JSON.stringify({ key: r.s3.object.key, size: head.ContentLength }) }));
  }
};
"""),
    "thumbnail-worker": ("app.py", """import json
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        key = json.loads(record["body"])["key"]
        body = s3.get_object(Bucket="demo-uploads", Key=f"incoming/{key}")["Body"].read()
        s3.put_object(Bucket="demo-uploads", Key=f"thumbnails/{key}", Body=body)
"""),
    "order-stream": ("app.py", """import json, os
import boto3

sns = boto3.client("sns")


def handler(event, context):
    for record in event["Records"]:
        sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(record["dynamodb"]))
"""),
    "order-notifier": ("index.js", """const { DynamoDBClient, GetItemCommand } = require("@aws-sdk/client-dynamodb");
const ddb = new DynamoDBClient({});

exports.handler = async (event) => {
  for (const r of event.Records) {
    await ddb.send(new GetItemCommand({ TableName: "orders", Key: { id: { S: JSON.parse(r.Sns.Message).id } } }));
  }
};
"""),
    "nightly-report": ("app.py", """import os
from datetime import date
import boto3


def handler(event, context):
    rows = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName="orders"):
        rows.extend(page["Items"])
    boto3.client("s3").put_object(Bucket=os.environ["REPORT_BUCKET"], Key=f"daily/{date.today()}.csv", Body=str(rows))
"""),
    "db-sync": ("app.py", """import os
import boto3


def handler(event, context):
    boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["DB_SECRET"])
    return boto3.client("rds").describe_db_instances()
"""),
    "public-status": ("index.js", """const { LambdaClient, ListFunctionsCommand } = require("@aws-sdk/client-lambda");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

exports.handler = async () => {
  const who = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  const fns = await new LambdaClient({}).send(new ListFunctionsCommand({}));
  return { statusCode: 200, body: JSON.stringify({ account: who.Account, functions: fns.Functions.length }) };
};
"""),
}


def code_zip(name: str, source: str) -> bytes:
    """A deployment package holding one handler file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, source)
    return buf.getvalue()


def policy_text(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class DemoAccount:
    account: str
    region: str = REGION
    trail_bucket: str = "demo-cloudtrail-logs"
    arns: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)  # name -> (role name, role arn)
    packages: dict = field(default_factory=dict)  # name -> deployment package (zip bytes)

    def fetch_package(self, url: str, limit: int):
        """Serve a package for the presigned URL the emulator returns (it names no real host):
        its key starts with the function's name."""
        key = url.rsplit("/", 1)[-1]
        name = max((n for n in self.packages if key.startswith(n + "-")), key=len, default=None)
        if name is None:
            raise OSError(f"no package for {url}")
        yield self.packages[name]


def provision(client, account: str) -> DemoAccount:
    """Create the demo application. ``client(service)`` returns a boto3 client."""
    demo = DemoAccount(account=account)
    iam, lam = client("iam"), client("lambda")

    def role(name, statements=(), managed=(BASIC,), path="/service-role/"):
        arn = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=policy_text(*statements))
        for m in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=m)
        return arn

    # Broad roles, as they are often written: service-wide wildcards on every resource.
    roles = {
        "orders-api-role": role("orders-api-role", [{"Effect": "Allow", "Action": ["dynamodb:*", "ssm:Get*", "kms:Decrypt"], "Resource": "*"}]),
        "uploads-role": role("uploads-role", [{"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"}]),
        "workers-role": role("workers-role", [{"Effect": "Allow", "Action": ["sqs:*", "dynamodb:*", "sns:*", "s3:*"], "Resource": "*"}]),
        # the report job may also redeploy functions: enough to take over the administrator's function
        "report-role": role("report-role", [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "ses:*"], "Resource": "*"},
                                            {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
                                             "Resource": "*"}]),
        "vpc-role": role("vpc-role", [{"Effect": "Allow", "Action": ["ec2:*", "rds:*", "secretsmanager:*"], "Resource": "*"}]),
        "admin-role": role("admin-role", managed=(BASIC, "arn:aws:iam::aws:policy/AdministratorAccess")),
    }
    demo.arns["roles"] = roles

    ddb = client("dynamodb")
    table = ddb.create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    demo.arns["table"], demo.arns["stream"] = table["TableArn"], table["LatestStreamArn"]
    s3 = client("s3")
    for b in ("demo-uploads", "demo-reports", demo.trail_bucket):
        s3.create_bucket(Bucket=b)
    sqs = client("sqs")
    q_url = sqs.create_queue(QueueName="thumbnail-jobs")["QueueUrl"]
    demo.arns["queue_url"] = q_url
    demo.arns["queue"] = sqs.get_queue_attributes(QueueUrl=q_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    dlq_url = sqs.create_queue(QueueName="thumbnail-dlq")["QueueUrl"]
    demo.arns["dlq"] = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    demo.arns["topic"] = client("sns").create_topic(Name="order-events")["TopicArn"]
    demo.arns["secret"] = client("secretsmanager").create_secret(Name="reports-db", SecretString="{}")["ARN"]
    client("ssm").put_parameter(Name="/orders/config", Value="{}", Type="String")
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="lambda-db", Description="lambda to db", VpcId=vpc)["GroupId"]

    def function(name, role_name, runtime="python3.12", **kw):
        source, handler = (JS_HANDLER, "index.handler") if runtime.startswith("nodejs") else (PY_HANDLER, "app.handler")
        file, source = HANDLERS.get(name, ("index.js" if runtime.startswith("nodejs") else "app.py", source))
        demo.packages[name] = code_zip(file, source)
        arn = lam.create_function(FunctionName=name, Runtime=runtime, Role=roles[role_name], Handler=handler,
                                  Code={"ZipFile": demo.packages[name]}, **kw)["FunctionArn"]
        demo.functions[name] = (role_name, roles[role_name])
        return arn

    f = {}
    f["orders-api"] = function("orders-api", "orders-api-role", Environment={"Variables": {
        "TABLE_NAME": "orders", "CONFIG_PARAM": "/orders/config", "LOG_LEVEL": "info"}}, TracingConfig={"Mode": "PassThrough"})
    f["image-upload"] = function("image-upload", "uploads-role", runtime="nodejs20.x", Environment={"Variables": {
        "JOBS_QUEUE_URL": q_url, "PAYMENT_API_KEY": "sk_live_51HxYzDemoKeyNotReal000000"}})
    f["thumbnail-worker"] = function("thumbnail-worker", "workers-role")
    f["order-stream"] = function("order-stream", "workers-role", Environment={"Variables": {"TOPIC_ARN": demo.arns["topic"]}})
    f["order-notifier"] = function("order-notifier", "workers-role", runtime="nodejs20.x")
    f["nightly-report"] = function("nightly-report", "report-role", Environment={"Variables": {"REPORT_BUCKET": "demo-reports"}})
    f["db-sync"] = function("db-sync", "vpc-role", VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]},
                            Environment={"Variables": {"DB_SECRET": "reports-db"}})
    f["public-status"] = function("public-status", "admin-role", runtime="nodejs20.x")
    demo.arns["functions"] = f

    rest = client("apigateway")
    api = rest.create_rest_api(name="orders-api")["id"]
    root = rest.get_resources(restApiId=api)["items"][0]["id"]
    res = rest.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    for verb in ("GET", "POST"):
        rest.put_method(restApiId=api, resourceId=res, httpMethod=verb, authorizationType="NONE")
        rest.put_integration(restApiId=api, resourceId=res, httpMethod=verb, type="AWS_PROXY", integrationHttpMethod="POST",
                             uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{f['orders-api']}/invocations")
    lam.add_permission(FunctionName="orders-api", StatementId="apigateway", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api}/*/*/orders")
    s3.put_bucket_notification_configuration(Bucket="demo-uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": f["image-upload"], "Events": ["s3:ObjectCreated:*"]}]})
    lam.add_permission(FunctionName="image-upload", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::demo-uploads")  # no SourceAccount: confused deputy
    lam.create_event_source_mapping(EventSourceArn=demo.arns["queue"], FunctionName="thumbnail-worker", BatchSize=10)
    lam.create_event_source_mapping(EventSourceArn=demo.arns["stream"], FunctionName="order-stream", StartingPosition="LATEST")
    client("sns").subscribe(TopicArn=demo.arns["topic"], Protocol="lambda", Endpoint=f["order-notifier"])
    lam.add_permission(FunctionName="order-notifier", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=demo.arns["topic"])
    events = client("events")
    rule = events.put_rule(Name="nightly-report", ScheduleExpression="cron(0 2 * * ? *)")["RuleArn"]
    events.put_targets(Rule="nightly-report", Targets=[{"Id": "report", "Arn": f["nightly-report"]}])
    lam.add_permission(FunctionName="nightly-report", StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule)
    lam.put_function_event_invoke_config(FunctionName="thumbnail-worker", DestinationConfig={
        "OnFailure": {"Destination": demo.arns["dlq"]}})
    lam.create_function_url_config(FunctionName="public-status", AuthType="NONE")
    lam.add_permission(FunctionName="public-status", StatementId="public-url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    client("cloudtrail").create_trail(Name="management-events", S3BucketName=demo.trail_bucket, IsMultiRegionTrail=True)
    return demo


def _calls(demo: DemoAccount) -> dict[str, list[tuple]]:
    """What each function's code does: (calls per invocation, eventSource, eventName, params, resources)."""
    a = demo.account
    table = demo.arns["table"]
    tres = [{"accountId": a, "type": "AWS::DynamoDB::Table", "ARN": table}]
    queue_url = demo.arns["queue_url"]
    return {
        "orders-api": [
            (6, "dynamodb.amazonaws.com", "GetItem", {"tableName": "orders"}, tres),
            (3, "dynamodb.amazonaws.com", "PutItem", {"tableName": "orders"}, tres),
            (2, "dynamodb.amazonaws.com", "Query", {"tableName": "orders", "indexName": "by-customer"}, tres),
            (1, "ssm.amazonaws.com", "GetParameter", {"name": "/orders/config"}, None),
        ],
        "image-upload": [
            (4, "s3.amazonaws.com", "GetObject", "upload-object", None),
            (2, "sqs.amazonaws.com", "SendMessage", {"queueUrl": queue_url}, None),
        ],
        "thumbnail-worker": [
            (3, "s3.amazonaws.com", "GetObject", "upload-object", None),
            (3, "s3.amazonaws.com", "PutObject", "thumb-object", None),
        ],
        "order-stream": [
            (2, "sns.amazonaws.com", "Publish", {"topicArn": demo.arns["topic"]}, None),
        ],
        "order-notifier": [
            (1, "dynamodb.amazonaws.com", "GetItem", {"tableName": "orders"}, tres),
        ],
        "nightly-report": [
            (20, "dynamodb.amazonaws.com", "Scan", {"tableName": "orders"}, tres),
            (1, "s3.amazonaws.com", "PutObject", "report-object", None),  # no data events for this bucket
        ],
        "db-sync": [
            (1, "secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "reports-db"}, None),
            (1, "rds.amazonaws.com", "DescribeDBInstances", None, None),
        ],
        "public-status": [
            (1, "lambda.amazonaws.com", "ListFunctions20150331", None, None),
            (1, "sts.amazonaws.com", "GetCallerIdentity", None, None),
        ],
    }


LATE_DEPLOY = ("order-notifier", 3)  # deployed this many days before the last event, on purpose


def schedule_monthly(client, demo: DemoAccount, name: str = "db-sync") -> str:
    """Give one function a monthly job as well (an EventBridge schedule): a month of logs holds
    fewer than two of its runs, the evidence a real account would call insufficient for it."""
    events, lam = client("events"), client("lambda")
    rule = events.put_rule(Name=f"monthly-{name}", ScheduleExpression="cron(0 3 1 * ? *)")["RuleArn"]
    events.put_targets(Rule=f"monthly-{name}", Targets=[{"Id": "monthly", "Arn": demo.arns["functions"][name]}])
    lam.add_permission(FunctionName=name, StatementId="monthly", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule)
    return rule


def stamp_deployments(demo: DemoAccount, window_start: datetime, end: datetime) -> dict[str, str]:
    """Give the demo's functions the deployment times a real account would have: before the
    window the audit reads, except one deployed a few days before its end (``LATE_DEPLOY``), so
    the first report shows what a redeploy does to the evidence. The emulator stamps a function
    with the time it was created and its API cannot change it, so the in-process emulator's
    record is set directly. Returns function name -> LastModified."""
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[demo.account][demo.region]
    stamped = {}
    for name in sorted(demo.functions):
        when = end - timedelta(days=LATE_DEPLOY[1]) if name == LATE_DEPLOY[0] else window_start - timedelta(hours=2)
        stamped[name] = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        backend.get_function(name).last_modified = stamped[name]
    return stamped


DATA_EVENT_BUCKETS = {"demo-uploads"}  # the trail records object events for this bucket only
DATA_EVENT_TABLES = True  # and item events for the orders table


def write_trail(demo: DemoAccount, put_object, days: int = 30, end: datetime | None = None,
                invocations_per_day: int = 40, seed: int = 7) -> int:
    """Write ``days`` of CloudTrail log files into the trail bucket; returns the number of events.

    ``put_object(key, body)`` stores one object."""
    rng = random.Random(seed)
    end = end or datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    calls = _calls(demo)
    total = 0
    for d in range(days, 0, -1):
        day = end - timedelta(days=d)
        records = []
        for fn, plan in calls.items():
            role_name, role_arn = demo.functions[fn]
            caller = Caller(demo.account, role_name, fn, role_path="/service-role/", region=demo.region)
            runs = 1 if fn == "nightly-report" else invocations_per_day
            for i in range(runs):
                when = day + timedelta(minutes=rng.randrange(24 * 60))
                for weight, source, name, params, resources in plan:
                    for _ in range(weight if rng.random() < 0.9 else 1):
                        p, res = _materialise(params, resources, rng, d, i)
                        bucket = (p or {}).get("bucketName")
                        if source == "s3.amazonaws.com" and name in ("GetObject", "PutObject") and bucket not in DATA_EVENT_BUCKETS:
                            continue  # CloudTrail did not record this data event
                        records.append(record(caller, when, source, name, p, res, rng=rng))
        # a few calls the roles are not allowed to make
        late = Caller(demo.account, "uploads-role", "image-upload", role_path="/service-role/", region=demo.region)
        if d % 7 == 0:
            records.append(record(late, day + timedelta(hours=3), "dynamodb.amazonaws.com", "PutItem",
                                  {"tableName": "orders"}, [{"ARN": demo.arns["table"]}], error="AccessDenied", rng=rng))
        records.sort(key=lambda x: x["eventTime"])
        for chunk in range(0, len(records), 500):
            part = records[chunk: chunk + 500]
            stamp = datetime.strptime(part[0]["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
            key = (f"AWSLogs/{demo.account}/CloudTrail/{demo.region}/{stamp:%Y/%m/%d}/"
                   f"{demo.account}_CloudTrail_{demo.region}_{stamp:%Y%m%dT%H%MZ}_{chunk:04d}.json.gz")
            put_object(key, gzip.compress(json.dumps({"Records": part}).encode(), mtime=0))
        total += len(records)
    return total


def _materialise(params, resources, rng: random.Random, day: int, i: int):
    if params == "upload-object":
        key = f"incoming/{day:02d}/{i:03d}-{rng.randrange(10**6)}.jpg"
        return ({"bucketName": "demo-uploads", "key": key},
                [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::demo-uploads/{key}"},
                 {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::demo-uploads"}])
    if params == "thumb-object":
        key = f"thumbnails/{day:02d}/{i:03d}.jpg"
        return ({"bucketName": "demo-uploads", "key": key},
                [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::demo-uploads/{key}"},
                 {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::demo-uploads"}])
    if params == "report-object":
        return {"bucketName": "demo-reports", "key": f"daily/{day:02d}.csv"}, None
    return params, resources


# -- the whole demo: an emulator, the demo account, its trail, the audit ---------------------


class DemoUnavailable(RuntimeError):
    """The demo cannot run here (moto's server is not installed)."""


def run_demo(out_dir, days: int = 30, say=lambda m: None) -> dict:
    """Start moto's server on loopback, provision the demo account, write its trail, run the audit.

    Returns what ``audit.run_audit`` returns. The emulator lives only for this call.
    """
    import logging
    import os
    import socket
    from datetime import datetime, timedelta, timezone

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise DemoUnavailable("the demo needs moto's server: pip install 'iam-analyzer[demo]'") from None
    import boto3

    from iam_analyzer.audit import AuditOptions, run_audit
    from iam_analyzer.collect.aws.session import Clients

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(k, None)
        os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_DEFAULT_REGION="us-east-1")
        session = boto3.session.Session(region_name="us-east-1")
        client = lambda svc: session.client(svc, endpoint_url=endpoint)  # noqa: E731
        say(f"demo account on {endpoint} (moto): provisioning")
        account = client("sts").get_caller_identity()["Account"]
        demo_account = provision(client, account)
        schedule_monthly(client, demo_account)
        s3 = client("s3")
        end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        events = write_trail(demo_account, lambda k, b: s3.put_object(Bucket=demo_account.trail_bucket, Key=k, Body=b),
                             days=days, end=end)
        say(f"wrote {events} CloudTrail events ({days} days) to s3://{demo_account.trail_bucket}/")
        since = datetime.now(timezone.utc) - timedelta(days=days, hours=1)
        stamp_deployments(demo_account, since, end)
        opt = AuditOptions(regions=["us-east-1"], since=since,
                           code=True, code_fetch=demo_account.fetch_package)  # the emulator's code URLs name no host
        return run_audit(Clients(session, endpoint_url=endpoint), out_dir, opt, say=say)
    finally:
        server.stop()
