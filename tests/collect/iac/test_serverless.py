"""Serverless Framework services read into the model: functions, roles, statements with their
lines and origins, events as triggers and invokers, variables, fragments, hostile input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from iam_analyzer.collect.iac import read_paths

ORDERS = """\
service: orders
frameworkVersion: '3'

custom:
  tableName: orders-${sls:stage}
  bucket: ${self:service}-uploads-${sls:stage}
  queueArn: ${cf:shared-infra-${sls:stage}.QueueArn}

provider:
  name: aws
  runtime: python3.12
  stage: ${opt:stage, 'dev'}
  region: ${opt:region, 'eu-west-1'}
  tracing:
    lambda: true
  environment:
    TABLE: ${self:custom.tableName}
    API_KEY: ${ssm:/orders/api-key}
    AUDIT_QUEUE: ${env:AUDIT_QUEUE, 'none'}
  iam:
    role:
      managedPolicies:
        - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
      statements:
        - Effect: Allow
          Action:
            - dynamodb:GetItem
            - dynamodb:PutItem
          Resource:
            - Fn::GetAtt: [OrdersTable, Arn]
        - ${file(iam/audit.yml)}

functions:
  create:
    handler: src/create.handler
    events:
      - http:
          path: orders
          method: post
          authorizer: aws_iam
      - sqs:
          arn: ${self:custom.queueArn}
  process:
    handler: src/process.handler
    vpc:
      securityGroupIds: [sg-1]
      subnetIds: [subnet-1]
    onError: arn:aws:sns:eu-west-1:123456789012:orders-dlq
    events:
      - stream:
          type: dynamodb
          arn:
            Fn::GetAtt: [OrdersTable, StreamArn]
      - s3:
          bucket: ${self:custom.bucket}
          event: s3:ObjectCreated:*
      - schedule: rate(1 hour)
  public:
    handler: src/public.handler
    url: true
    events:
      - httpApi: 'GET /health'
      - eventBridge:
          pattern:
            source: [orders]
      - cloudwatchLog: /aws/lambda/other
      - sns: order-events

resources:
  - ${file(resources/dynamodb.yml)}
  - Resources:
      AuditQueue:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: orders-audit-${sls:stage}
"""

AUDIT = """\
Effect: Allow
Action: sqs:SendMessage
Resource:
  Fn::GetAtt: [AuditQueue, Arn]
"""

TABLE = """\
Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: ${self:custom.tableName}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  ReaderRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:Query
                Resource: '*'
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def orders(root: Path) -> Path:
    return write(root, {"serverless.yml": ORDERS, "iam/audit.yml": AUDIT, "resources/dynamodb.yml": TABLE})


def fn(result, key):
    return next(f for f in result.snapshot.functions() if f.location.logical_id == key)


def role_of(result, f):
    return result.snapshot.find_role(f.role_arn)


def statements(role):
    """(policy, index, statement) of every inline statement of a role."""
    return [(p, i, st) for p in role.inline_policies for i, st in enumerate(p.document["Statement"])]


def actions(role) -> set[str]:
    out = set()
    for _p, _i, st in statements(role):
        a = st["Action"]
        out.update([a] if isinstance(a, str) else a)
    return out


def line(path: Path, n: int) -> str:
    return path.read_text().splitlines()[n - 1].strip()


def test_a_v3_service_reads_every_function_at_its_key_with_the_framework_role(tmp_path):
    root = orders(tmp_path)
    r = read_paths([root])
    assert [(i.kind, i.stacks) for i in r.inputs] == [("serverless", ["orders-dev"])]
    names = sorted(f.name for f in r.snapshot.functions())
    assert names == ["orders-dev-create", "orders-dev-process", "orders-dev-public"]
    sls = root / "serverless.yml"
    create = fn(r, "create")
    assert line(sls, create.location.line) == "create:"
    assert create.region == "eu-west-1"  # the provider's region, from its fallback
    role = role_of(r, create)
    assert role.name == "orders-dev-eu-west-1-lambdaRole"
    assert line(sls, role.location.line) == "role:"
    # the author's statements, the framework's logs, polling, X-Ray and DLQ statements, one role
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "sqs:SendMessage", "logs:CreateLogStream", "logs:PutLogEvents",
            "sqs:ReceiveMessage", "dynamodb:GetRecords", "xray:PutTraceSegments", "sns:Publish"} <= actions(role)
    assert "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" in role.managed_policy_arns
    # a VPC function makes the framework attach the VPC execution policy
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" in role.managed_policy_arns


def test_statement_lines_and_origins_say_who_wrote_each_statement(tmp_path):
    root = orders(tmp_path)
    sls = root / "serverless.yml"
    r = read_paths([root])
    role = role_of(r, fn(r, "create"))
    seen = {}
    for pol, i, st in statements(role):
        origin = r.statement_origin(pol.location, pol.name, i)
        where = line(sls, r.statement_line(pol.location, pol.name, i))
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        seen[acts[0]] = (origin, where)
    assert seen["dynamodb:GetItem"] == ({"kind": "template", "name": None}, "- Effect: Allow")
    assert seen["sqs:SendMessage"][0]["kind"] == "template"  # pulled in from iam/audit.yml: the author's
    assert seen["sqs:SendMessage"][1] == "statements:"  # placed where the service pulls it in
    assert seen["logs:CreateLogStream"][0] == {"kind": "serverless-generated", "name": "logs"}
    assert seen["sqs:ReceiveMessage"] == ({"kind": "serverless-generated", "name": "sqs"}, "- sqs:")
    assert seen["dynamodb:GetRecords"] == ({"kind": "serverless-generated", "name": "stream"}, "- stream:")
    assert seen["xray:PutTraceSegments"][0]["name"] == "tracing"
    assert seen["sns:Publish"] == ({"kind": "serverless-generated", "name": "onError"},
                                   "onError: arn:aws:sns:eu-west-1:123456789012:orders-dlq")


def test_resources_and_their_fragments_are_cloudformation_linked_to_the_service(tmp_path):
    root = orders(tmp_path)
    r = read_paths([root])
    role = role_of(r, fn(r, "create"))
    by_action = {(st["Action"] if isinstance(st["Action"], str) else st["Action"][0]): st for _p, _i, st in statements(role)}
    # GetAtt of a table declared in resources/dynamodb.yml, with the table name from a variable
    assert by_action["dynamodb:GetItem"]["Resource"] == ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev"]
    assert by_action["sqs:SendMessage"]["Resource"] == "arn:aws:sqs:eu-west-1:123456789012:orders-audit-dev"
    # a role declared in a fragment is read, located in that fragment
    reader = next(x for x in r.snapshot.accounts[0].roles if x.location.logical_id == "ReaderRole")
    assert reader.location.path.endswith("resources/dynamodb.yml")
    assert line(root / "resources" / "dynamodb.yml", reader.location.line) == "ReaderRole:"
    # the fragments are part of the service, not templates of their own
    assert [i.path for i in r.inputs] == [str(root / "serverless.yml")]


def test_events_become_the_scanners_triggers_mappings_and_invokers(tmp_path):
    r = read_paths([orders(tmp_path)])
    create, process, public = fn(r, "create"), fn(r, "process"), fn(r, "public")
    rest = next(t for t in create.triggers if t.type == "apigateway-rest")
    assert (rest.details["path"], rest.details["method"], rest.details["authorization"]) == ("/orders", "POST", "AWS_IAM")
    assert [m.source_type for m in create.event_source_mappings] == ["sqs"]
    assert process.event_source_mappings[0].event_source_arn == \
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev/stream/*"
    assert {t.type for t in process.triggers} == {"s3", "eventbridge-rule"}
    assert next(t for t in process.triggers if t.type == "s3").source_arn == "arn:aws:s3:::orders-uploads-dev"
    assert process.vpc_id and process.dead_letter_target == "arn:aws:sns:eu-west-1:123456789012:orders-dlq"
    assert {t.type for t in public.triggers} == {"apigateway-http", "eventbridge-rule", "logs-subscription", "sns"}
    assert public.urls and public.urls[0].auth_type == "NONE"
    principals = {i.principal for i in public.invokers}
    assert {"*", "sns.amazonaws.com", "events.amazonaws.com", "logs.eu-west-1.amazonaws.com"} <= principals
    assert {"s3.amazonaws.com", "events.amazonaws.com"} <= {i.principal for i in process.invokers}


def test_variables_fallbacks_params_and_placeholders_listed_with_file_and_line(tmp_path):
    root = orders(tmp_path)
    sls = root / "serverless.yml"
    r = read_paths([root], params={"stage": "prod", "AUDIT_QUEUE": "orders-audit-prod"})
    create = fn(r, "create")
    assert create.name == "orders-prod-create" and r.inputs[0].stacks == ["orders-prod"]
    env = {v.name: v for v in create.environment}
    assert set(env) == {"TABLE", "API_KEY", "AUDIT_QUEUE"}
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-prod" in env["TABLE"].references
    whats = {(Path(u.path).name, line(sls, u.line), u.what.split(" ")[0]) for u in r.unresolved}
    assert ("serverless.yml", "API_KEY: ${ssm:/orders/api-key}", "${ssm:/orders/api-key}") in whats
    assert ("serverless.yml", "queueArn: ${cf:shared-infra-${sls:stage}.QueueArn}", "${cf:shared-infra-${sls:stage}.QueueArn}") in whats
    # a queue known only at deployment: the polling statement still covers any queue, typed
    role = role_of(r, create)
    poll = next(st for _p, _i, st in statements(role) if "sqs:ReceiveMessage" in st["Action"])
    assert poll["Resource"] == "arn:aws:sqs:*:*:*"


V2 = """\
service:
  name: legacy
provider:
  name: aws
  runtime: nodejs18.x
  stage: staging
  iamRoleStatements:
    - Effect: Allow
      Action: [s3:GetObject]
      Resource: arn:aws:s3:::legacy-${self:provider.stage}/*
  iamManagedPolicies:
    - arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess
  rolePermissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
functions:
  worker:
    name: legacy-worker
    handler: worker.run
    events:
      - stream: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
      - sqs: arn:aws:sqs:us-east-1:123456789012:jobs
"""


def test_a_v1_v2_service_with_iam_role_statements_managed_policies_and_a_boundary(tmp_path):
    write(tmp_path, {"serverless.yml": V2})
    r = read_paths([tmp_path / "serverless.yml"])
    worker = fn(r, "worker")
    assert worker.name == "legacy-worker"
    role = role_of(r, worker)
    assert role.permissions_boundary_arn == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert role.managed_policy_arns == ["arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"]
    docs = {st["Action"][0] if isinstance(st["Action"], list) else st["Action"]: st for _p, _i, st in statements(role)}
    assert docs["s3:GetObject"]["Resource"] == "arn:aws:s3:::legacy-staging/*"
    assert docs["kinesis:GetRecords"]["Resource"] == "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
    assert docs["sqs:ReceiveMessage"]["Resource"] == "arn:aws:sqs:us-east-1:123456789012:jobs"
    # a function named outside the service prefix gets its own log group in the logs statement
    logs = docs["logs:CreateLogStream"]["Resource"]
    assert "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/legacy-worker:*" in logs
    assert {m.source_type for m in worker.event_source_mappings} == {"kinesis", "sqs"}


PER_FUNCTION = """\
service: pf
plugins:
  - serverless-iam-roles-per-function
custom:
  serverless-iam-roles-per-function:
    defaultInherit: {default_inherit}
provider:
  name: aws
  runtime: python3.12
  iam:
    role:
      statements:
        - Effect: Allow
          Action: sns:Publish
          Resource: arn:aws:sns:us-east-1:123456789012:alerts
functions:
  own:
    handler: own.handler
    iamRoleStatements:
      - Effect: Allow
        Action: s3:PutObject
        Resource: arn:aws:s3:::pf-out/*
  inherits:
    handler: inherits.handler
    iamRoleStatementsInherit: true
    iamRoleStatements:
      - Effect: Allow
        Action: s3:GetObject
        Resource: arn:aws:s3:::pf-in/*
  shared:
    handler: shared.handler
"""


@pytest.mark.parametrize("plugin", [True, False])
def test_roles_per_function_replace_or_inherit_the_providers_statements_only_with_the_plugin(tmp_path, plugin):
    text = PER_FUNCTION.format(default_inherit="false")
    if not plugin:
        text = text.replace("plugins:\n  - serverless-iam-roles-per-function\n", "")
    write(tmp_path, {"serverless.yml": text})
    r = read_paths([tmp_path])
    own, inherits, shared = (role_of(r, fn(r, k)) for k in ("own", "inherits", "shared"))
    if plugin:
        assert len({own.arn, inherits.arn, shared.arn}) == 3
        assert "s3:PutObject" in actions(own) and "sns:Publish" not in actions(own)
        assert {"s3:GetObject", "sns:Publish"} <= actions(inherits)
        assert "logs:PutLogEvents" in actions(own)  # the plugin's role keeps the function's logs
        assert line(tmp_path / "serverless.yml", own.location.line) == "iamRoleStatements:"
    else:  # without the plugin the framework ignores per-function statements: so does the reader
        assert own.arn == inherits.arn == shared.arn
        assert "s3:PutObject" not in actions(own) and "s3:GetObject" not in actions(own)
        assert "sns:Publish" in actions(own)
        assert any("iamRoleStatements take effect only with" in w for w in r.inputs[0].warnings)


def test_the_plugins_default_inherit_keeps_the_providers_statements(tmp_path):
    write(tmp_path, {"serverless.yml": PER_FUNCTION.format(default_inherit="true")})
    r = read_paths([tmp_path])
    assert {"s3:PutObject", "sns:Publish"} <= actions(role_of(r, fn(r, "own")))


EXISTING = """\
service: existing
provider:
  name: aws
  runtime: python3.12
  iam:
    role: arn:aws:iam::123456789012:role/platform-lambda
functions:
  a:
    handler: a.handler
  b:
    handler: b.handler
    role: CustomRole
resources:
  Resources:
    CustomRole:
      Type: AWS::IAM::Role
      Properties:
        RoleName: existing-custom
        AssumeRolePolicyDocument:
          Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
        Policies:
          - PolicyName: work
            PolicyDocument:
              Statement: [{Effect: Allow, Action: 'kms:Decrypt', Resource: '*'}]
"""


def test_an_existing_role_by_arn_or_by_resources_logical_id_generates_no_role(tmp_path):
    write(tmp_path, {"serverless.yml": EXISTING})
    r = read_paths([tmp_path])
    a, b = fn(r, "a"), fn(r, "b")
    assert a.role_arn == "arn:aws:iam::123456789012:role/platform-lambda"
    assert b.role_arn == "arn:aws:iam::123456789012:role/existing-custom"
    roles = [x.location.logical_id for x in r.snapshot.accounts[0].roles]
    assert roles == ["CustomRole"]  # no IamRoleLambdaExecution: no function uses it
    assert actions(role_of(r, b)) == {"kms:Decrypt"}


EVENTS = """\
service: brokers
provider:
  name: aws
  runtime: java17
functions:
  consume:
    handler: Consume
    destinations:
      onSuccess: arn:aws:sqs:us-east-1:123456789012:done
      onFailure: notify
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:123456789012:cluster/main/abc
          topic: orders
          saslScram512: arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka
      - activemq:
          arn: arn:aws:mq:us-east-1:123456789012:broker:amq:b-1
          queue: jobs
          basicAuthArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:amq
      - rabbitmq:
          arn: arn:aws:mq:us-east-1:123456789012:broker:rmq:b-2
          queue: tasks
          basicAuthArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:rmq
      - alb:
          listenerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/2
          priority: 1
          conditions: {path: /consume}
      - websocket: $connect
  notify:
    handler: Notify
"""


def test_broker_sources_destinations_and_alb_add_what_the_framework_adds(tmp_path):
    write(tmp_path, {"serverless.yml": EVENTS})
    r = read_paths([tmp_path])
    consume = fn(r, "consume")
    role = role_of(r, consume)
    grants = {(a, res) for _p, _i, st in statements(role)
              for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
              for res in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])}
    assert ("kafka:GetBootstrapBrokers", "arn:aws:kafka:us-east-1:123456789012:cluster/main/abc") in grants
    assert ("mq:DescribeBroker", "arn:aws:mq:us-east-1:123456789012:broker:rmq:b-2") in grants
    assert ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:amq") in grants
    assert ("ec2:CreateNetworkInterface", "*") in grants
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:done") in grants
    assert ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:brokers-dev-notify") in grants
    assert sorted(m.source_type for m in consume.event_source_mappings) == ["kafka", "mq", "mq"]
    assert "elasticloadbalancing.amazonaws.com" in {i.principal for i in consume.invokers}
    assert [c.on_failure for c in consume.event_invoke_configs] == ["arn:aws:lambda:us-east-1:123456789012:function:brokers-dev-notify"]
    # an event type the reader does not model is said, not silently dropped
    assert any("websocket" in w for w in r.inputs[0].warnings)


@pytest.mark.parametrize("text, expect", [
    ("service: x\nprovider: {name: aws\nfunctions: {}\n", "line"),
    ("service: x\nprovider:\n  name: aws\nfunctions: [a, b]\n", "functions is not a mapping"),
    ("service: x\nprovider: {name: aws}\n" + "custom: " + "[" * 300 + "]" * 300 + "\n", "nested"),
])
def test_a_broken_or_deep_service_is_one_line_naming_file_and_place(tmp_path, text, expect):
    (tmp_path / "serverless.yml").write_text(text)
    r = read_paths([tmp_path / "serverless.yml"])
    (err,) = r.inputs[0].errors
    assert str(tmp_path / "serverless.yml") in err and expect in err and "\n" not in err


def test_variables_that_refer_to_themselves_or_fan_out_are_bounded(tmp_path):
    fan = "".join(f"  v{i}: ['${{self:custom.v{i - 1}}}', '${{self:custom.v{i - 1}}}']\n" for i in range(1, 40))
    text = ("service: x\nprovider:\n  name: aws\n  runtime: python3.12\n"
            "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n  v0: leaf\n" + fan +
            "functions:\n  f:\n    handler: f.h\n    environment:\n      A: ${self:custom.a}\n      BIG: ${self:custom.v39}\n")
    (tmp_path / "serverless.yml").write_text(text)
    r = read_paths([tmp_path / "serverless.yml"])
    (err,) = r.inputs[0].errors
    assert "serverless.yml: line" in err and "refused" in err
    cyc = text.replace("      BIG: ${self:custom.v39}\n", "").replace(fan, "")
    (tmp_path / "serverless.yml").write_text(cyc)
    r = read_paths([tmp_path / "serverless.yml"])
    assert not r.inputs[0].errors and [f.name for f in r.snapshot.functions()] == ["x-dev-f"]
    assert any("refers to itself" in u.what for u in r.unresolved)


def test_a_value_given_for_a_nested_variable_never_reaches_the_placeholder_list(tmp_path):
    write(tmp_path, {"serverless.yml": V2.replace("  stage: staging\n", "  stage: staging\n  environment:\n"
                                                   "    KEY: ${ssm:/legacy/${env:DB_PASSWORD}}\n")})
    r = read_paths([tmp_path], params={"DB_PASSWORD": "hunter2-secret"})
    notes = [u.what for u in r.unresolved]
    assert any(n.startswith("${ssm:/legacy/${env:DB_PASSWORD}}") for n in notes)
    assert not any("hunter2" in n for n in notes + r.warnings + r.inputs[0].warnings)


def test_a_missing_fragment_is_named_and_the_rest_is_read(tmp_path):
    write(tmp_path, {"serverless.yml": EXISTING.replace("resources:\n  Resources:", "resources:\n  - ${file(gone.yml)}\n  - Resources:")})
    r = read_paths([tmp_path])
    assert not r.inputs[0].errors
    assert any("gone.yml" in w for w in r.inputs[0].warnings)
    assert {f.location.logical_id for f in r.snapshot.functions()} == {"a", "b"}


def test_functions_listed_as_file_fragments_and_the_frameworks_api_referenced_by_the_author(tmp_path):
    write(tmp_path, {
        "serverless.yml": """\
            service: split
            provider:
              name: aws
              runtime: nodejs20.x
              iam:
                role:
                  statements:
                    - Effect: Allow
                      Action: execute-api:Invoke
                      Resource: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/${sls:stage}/GET/items
            functions:
              - ${file(functions/items.yml)}
              - ${file(functions/jobs.yml)}
            """,
        "functions/items.yml": """\
            listItems:
              handler: items.list
              events:
                - http: GET items
            """,
        "functions/jobs.yml": """\
            runJob:
              handler: jobs.run
              events:
                - sqs: arn:aws:sqs:us-east-1:123456789012:jobs
            """})
    r = read_paths([tmp_path])
    assert [i.kind for i in r.inputs] == ["serverless"]  # the function fragments are the service's
    assert {f.location.logical_id for f in r.snapshot.functions()} == {"listItems", "runJob"}
    listing = fn(r, "listItems")
    # a function declared in a fragment is located there, where its author wrote it
    assert listing.location.path == str(tmp_path / "functions" / "items.yml")
    assert line(tmp_path / "functions" / "items.yml", listing.location.line) == "listItems:"
    route = listing.triggers[0]
    assert (route.details["method"], route.details["path"]) == ("GET", "/items")
    invoke = next(st for _p, _i, st in statements(role_of(r, listing)) if st["Action"] == "execute-api:Invoke")
    # the author's ${ApiGatewayRestApi} is the API the framework makes for the routes: the same id
    assert invoke["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:split-dev-ApiGatewayRestApi-*/dev/GET/items"
    assert route.source_arn.endswith("/restapis/split-dev-ApiGatewayRestApi-*")
    # the shared role is the service's: a statement made for a fragment's event points into the service
    role = role_of(r, fn(r, "runJob"))
    (poll,) = [(p, i) for p, i, st in statements(role) if "sqs:ReceiveMessage" in st["Action"]]
    assert role.location.path == str(tmp_path / "serverless.yml")
    assert line(tmp_path / "serverless.yml", r.statement_line(poll[0].location, poll[0].name, poll[1])) == "functions:"


def test_a_file_outside_the_service_and_the_working_folder_is_not_read(tmp_path, monkeypatch):
    outside = write(tmp_path / "elsewhere", {"secret.yml": "Effect: Allow\nAction: '*'\nResource: '*'\n"})
    svc = write(tmp_path / "svc", {"serverless.yml": V2.replace(
        "      Resource: arn:aws:s3:::legacy-${self:provider.stage}/*\n",
        "      Resource: arn:aws:s3:::legacy-${self:provider.stage}/*\n    - ${file(" + str(outside / "secret.yml") + ")}\n")})
    monkeypatch.chdir(svc)
    r = read_paths([svc])
    assert any("outside the service's folder" in w for w in r.inputs[0].warnings)
    assert "*" not in actions(role_of(r, fn(r, "worker")))


def test_kinesis_consumers_failure_queues_and_one_statement_source_as_the_framework_writes(tmp_path):
    text = V2.replace("provider:\n", "provider:\n  iam:\n    role:\n      statements:\n"
                      "        - {Effect: Allow, Action: 'kms:Decrypt', Resource: '*'}\n", 1).replace(
        "      - stream: arn:aws:kinesis:us-east-1:123456789012:stream/clicks\n",
        "      - stream:\n          arn: arn:aws:kinesis:us-east-1:123456789012:stream/clicks\n          consumer: true\n"
        "          destinations:\n            onFailure: arn:aws:sqs:us-east-1:123456789012:failed\n")
    write(tmp_path, {"serverless.yml": text})
    r = read_paths([tmp_path])
    worker = fn(r, "worker")
    role = role_of(r, worker)
    by_first = {st["Action"][0] if isinstance(st["Action"], list) else st["Action"]: st for _p, _i, st in statements(role)}
    # v3 statements win: the v1/v2 iamRoleStatements beside them are not used, as in the framework
    assert "kms:Decrypt" in by_first and "s3:GetObject" not in actions(role)
    assert role.inline_policies[0].name == "staging-legacy-lambda"
    assert "kinesis:DescribeStreamSummary" in by_first["kinesis:GetRecords"]["Action"]
    sub = by_first["kinesis:SubscribeToShard"]["Resource"]
    assert sub == "arn:aws:kinesis:us-east-1:123456789012:stream/clicks/consumer/WorkerClicksConsumer:*"
    assert by_first["sqs:ListQueues"]["Resource"] == "arn:aws:sqs:us-east-1:123456789012:failed"
    kinesis = next(m for m in worker.event_source_mappings if m.source_type == "kinesis")
    assert kinesis.event_source_arn.endswith("/consumer/WorkerClicksConsumer:*")
    assert kinesis.destination_on_failure == "arn:aws:sqs:us-east-1:123456789012:failed"


def test_a_secret_read_from_ssm_at_deployment_is_not_a_secret_in_the_file(tmp_path):
    r = read_paths([orders(tmp_path)])
    env = {v.name: v for v in fn(r, "create").environment}
    assert not env["API_KEY"].looks_secret  # ${ssm:/orders/api-key}: the file holds no value
    write(tmp_path, {"serverless.yml": ORDERS.replace("${ssm:/orders/api-key}", "sk_live_51HcQ2eLkdIwHu7ix")})
    r = read_paths([tmp_path])
    assert {v.name: v for v in fn(r, "create").environment}["API_KEY"].looks_secret


def test_a_service_named_beside_its_fragment_reads_the_fragment_once_and_code_services_are_named(tmp_path):
    root = orders(tmp_path)
    r = read_paths([root / "resources" / "dynamodb.yml", root / "serverless.yml"])  # as pre-commit passes them
    assert [(Path(i.path).name, i.kind) for i in r.inputs] == [("serverless.yml", "serverless")]
    ts = write(tmp_path / "ts", {"serverless.ts": "export default {service: 'x'}\n"})
    r = read_paths([ts])
    (rep,) = r.inputs
    assert rep.kind == "unknown" and not rep.errors and "written as code: not read" in rep.warnings[0]
    write(ts, {"serverless.yml": "service: x\nprovider: {name: aws}\nfunctions: {f: {handler: f.h}}\n"})
    assert [i.kind for i in read_paths([ts]).inputs] == ["serverless"]  # the YAML service is the one read
