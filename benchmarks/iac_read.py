"""Reading a monorepo of templates: 200 SAM/CloudFormation templates with 1,000 functions.

    python benchmarks/iac_read.py [--templates 200] [--functions-per-template 5] [--sam-share 0.5]
                                  [--terraform-modules 100]

Generates the monorepo in a temporary folder (half SAM with policy templates, events and
Globals, half plain CloudFormation with roles, inline policies, permissions and triggers),
then times what ``iam-analyzer check`` does with it: read the base, then read the head (the
same templates but one changed). The head read reuses SAM translations of unchanged templates.
Target (issue 13): 200 templates / 1,000 functions checked against a base in under 20 s on
2 cores; the reader's share must stay well inside that.

Then reads ``--services`` Serverless Framework services (issue 23: variables with fallbacks, a
``${file()}`` fragment in ``resources:``, five event types per service) as one folder, and
``--terraform-modules`` Terraform root modules (two .tf files each, five functions with roles,
jsonencode and policy-document policies, queues and mappings, a local module called with
for_each), read as base and head; each in files per second beside the templates'.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from iam_analyzer.collect.iac import read_paths

SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {{Type: String, Default: prod}}
Globals:
  Function: {{Runtime: python3.12, Timeout: 10}}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub 'svc{n}-${{Stage}}'
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
  Queue: {{Type: AWS::SQS::Queue}}
  Bucket: {{Type: AWS::S3::Bucket, Properties: {{BucketName: !Sub 'svc{n}-uploads-${{Stage}}'}}}}
{functions}"""

SAM_FN = """  Fn{i}:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler{i}
      CodeUri: src/
      Environment: {{Variables: {{TABLE: !Ref Table, QUEUE: !Ref Queue}}}}
      Policies:
        - DynamoDBCrudPolicy: {{TableName: !Ref Table}}
        - SQSSendMessagePolicy: {{QueueName: !GetAtt Queue.QueueName}}
        - Statement: [{{Effect: Allow, Action: ['s3:GetObject'], Resource: !Sub 'arn:${{AWS::Partition}}:s3:::svc{n}-uploads-${{Stage}}/*'}}]
      Events:
        {event}
"""
SAM_EVENTS = ["Api: {{Type: Api, Properties: {{Path: /p{i}, Method: get}}}}",
              "Q: {{Type: SQS, Properties: {{Queue: !GetAtt Queue.Arn}}}}",
              "Cron: {{Type: Schedule, Properties: {{Schedule: 'rate(1 hour)'}}}}"]

CFN = """AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Stage: {{Type: String, Default: prod}}
Resources:
  Topic: {{Type: AWS::SNS::Topic, Properties: {{TopicName: !Sub 'svc{n}-${{Stage}}'}}}}
{functions}"""

CFN_FN = """  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
      ManagedPolicyArns: [!Sub 'arn:${{AWS::Partition}}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']
      Policies:
        - PolicyName: work
          PolicyDocument:
            Statement:
              - {{Effect: Allow, Action: [sns:Publish], Resource: !Ref Topic}}
              - {{Effect: Allow, Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: !Sub 'arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/t{i}'}}
  Fn{i}:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub 'svc{n}-fn{i}-${{Stage}}'
      Role: !GetAtt Role{i}.Arn
      Runtime: python3.12
      Handler: app.handler
      Code: {{ZipFile: 'def handler(e, c): return 1'}}
      Environment: {{Variables: {{TOPIC: !Ref Topic}}}}
  Sub{i}:
    Type: AWS::SNS::Subscription
    Properties: {{Protocol: lambda, TopicArn: !Ref Topic, Endpoint: !GetAtt Fn{i}.Arn}}
  Perm{i}:
    Type: AWS::Lambda::Permission
    Properties: {{FunctionName: !Ref Fn{i}, Action: lambda:InvokeFunction, Principal: sns.amazonaws.com, SourceArn: !Ref Topic}}
"""


SLS = """service: svc{n}
provider:
  name: aws
  runtime: python3.12
  stage: ${{opt:stage, 'prod'}}
  environment:
    TABLE: ${{self:custom.table}}
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:GetItem, dynamodb:PutItem]
          Resource: !GetAtt Table.Arn
custom:
  table: svc{n}-${{sls:stage}}
functions:
{functions}resources:
  - ${{file(resources/table.yml)}}
"""
SLS_FN = """  fn{i}:
    handler: app.fn{i}
    events:
      - {event}
"""
SLS_EVENTS = ["http: {{path: p{i}, method: get}}", "sqs: arn:aws:sqs:us-east-1:123456789012:q{i}",
              "schedule: rate(1 hour)", "s3: svc{n}-uploads-{i}", "stream: {{type: dynamodb, arn: !GetAtt Table.StreamArn}}"]
SLS_TABLE = """Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: ${self:custom.table}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
"""


def generate_services(root: Path, services: int, per: int) -> None:
    for n in range(services):
        d = root / f"sls/svc{n}"
        (d / "resources").mkdir(parents=True)
        fns = "".join(SLS_FN.format(i=i, event=SLS_EVENTS[i % 5].format(i=i, n=n)) for i in range(per))
        (d / "serverless.yml").write_text(SLS.format(n=n, functions=fns))
        (d / "resources" / "table.yml").write_text(SLS_TABLE)


def generate(root: Path, templates: int, per: int, sam_share: float) -> None:
    n_sam = int(templates * sam_share)
    for n in range(templates):
        d = root / f"services/svc{n}"
        d.mkdir(parents=True)
        if n < n_sam:
            fns = "".join(SAM_FN.format(i=i, n=n, event=SAM_EVENTS[i % 3].format(i=i)) for i in range(per))
            (d / "template.yaml").write_text(SAM.format(n=n, functions=fns))
        else:
            fns = "".join(CFN_FN.format(i=i, n=n) for i in range(per))
            (d / "stack.yaml").write_text(CFN.format(n=n, functions=fns))


TF_MAIN = """variable "stage" {{
  default = "prod"
}}
locals {{
  prefix = "svc{n}-${{var.stage}}"
  fns    = {{ {fns} }}
}}
data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }}
  }}
}}
resource "aws_dynamodb_table" "t" {{
  name     = "${{local.prefix}}-table"
  hash_key = "id"
}}
module "workers" {{
  source    = "../../modules/worker"
  for_each  = local.fns
  name      = "${{local.prefix}}-${{each.key}}"
  timeout   = each.value
  table_arn = aws_dynamodb_table.t.arn
  trust     = data.aws_iam_policy_document.trust.json
}}
"""
TF_MODULE = """variable "name" {}
variable "timeout" {}
variable "table_arn" {}
variable "trust" {}
resource "aws_sqs_queue" "q" {
  name = "${var.name}-q"
}
resource "aws_iam_role" "r" {
  name               = "${var.name}-role"
  assume_role_policy = var.trust
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [var.table_arn, "${var.table_arn}/index/*"]
  }
}
resource "aws_iam_role_policy" "p" {
  name   = "data"
  role   = aws_iam_role.r.id
  policy = data.aws_iam_policy_document.p.json
}
resource "aws_iam_role_policy" "q" {
  name = "queue"
  role = aws_iam_role.r.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource = aws_sqs_queue.q.arn }]
  })
}
resource "aws_lambda_function" "f" {
  function_name = var.name
  role          = aws_iam_role.r.arn
  timeout       = var.timeout
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_sqs_queue.q.arn
  function_name    = aws_lambda_function.f.arn
}
"""


def generate_terraform(root: Path, modules: int, per: int) -> int:
    """Root modules under ``root/envs`` calling one local module; returns the number of .tf files."""
    (root / "modules" / "worker").mkdir(parents=True)
    (root / "modules" / "worker" / "main.tf").write_text(TF_MODULE)
    for n in range(modules):
        d = root / "envs" / f"svc{n}"
        d.mkdir(parents=True)
        fns = ", ".join(f"fn{i} = {10 + i}" for i in range(per))
        (d / "main.tf").write_text(TF_MAIN.format(n=n, fns=fns))
        (d / "outputs.tf").write_text('output "table" {\n  value = aws_dynamodb_table.t.arn\n}\n')
    return 2 * modules + 1


def bench_terraform(modules: int, per: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="tf-bench-"))
    try:
        files = generate_terraform(root, modules, per)
        t0, c0 = time.perf_counter(), time.process_time()
        base = read_paths([root])
        t1, c1 = time.perf_counter(), time.process_time()
        changed = root / "envs" / "svc0" / "main.tf"
        changed.write_text(changed.read_text().replace('default = "prod"', 'default = "live"'))
        head = read_paths([root])
        t2, c2 = time.perf_counter(), time.process_time()
        errors = [e for r in (base, head) for i in r.inputs for e in i.errors]
        print(f"terraform modules: {modules}, .tf files: {files}, functions: {len(head.snapshot.functions())}, "
              f"errors: {len(errors)}")
        print(f"read base (cold):        {t1 - t0:6.2f} s wall, {c1 - c0:6.2f} s CPU, {files / (t1 - t0):7.1f} files/s")
        print(f"read head (one changed): {t2 - t1:6.2f} s wall, {c2 - c1:6.2f} s CPU, {files / (t2 - t1):7.1f} files/s")
        for e in errors[:5]:
            print("  error:", e)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--templates", type=int, default=200)
    ap.add_argument("--functions-per-template", type=int, default=5)
    ap.add_argument("--sam-share", type=float, default=0.5)
    ap.add_argument("--services", type=int, default=200, help="Serverless Framework services")
    ap.add_argument("--terraform-modules", type=int, default=100, help="Terraform root modules (0: none)")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="iac-bench-"))
    try:
        generate(root, args.templates, args.functions_per_template, args.sam_share)
        t0, c0 = time.perf_counter(), time.process_time()
        base = read_paths([root])
        t1, c1 = time.perf_counter(), time.process_time()
        changed = next(root.glob("services/svc0/*.yaml"))
        changed.write_text(changed.read_text().replace("rate(1 hour)", "rate(2 hours)").replace("s3:GetObject", "s3:GetObject*"))
        head = read_paths([root])
        t2, c2 = time.perf_counter(), time.process_time()
        errors = [e for r in (base, head) for i in r.inputs for e in i.errors]
        fns = len(head.snapshot.functions())
        print(f"templates: {args.templates} ({int(args.templates * args.sam_share)} SAM), functions: {fns}, errors: {len(errors)}")
        print(f"read base (cold):        {t1 - t0:6.2f} s wall, {c1 - c0:6.2f} s CPU, "
              f"{args.templates / (t1 - t0):7.1f} files/s")
        print(f"read head (one changed): {t2 - t1:6.2f} s wall, {c2 - c1:6.2f} s CPU, "
              f"{args.templates / (t2 - t1):7.1f} files/s")
        print(f"base + head:             {t2 - t0:6.2f} s wall, {c2 - c0:6.2f} s CPU   "
              "target for the whole check: < 20 s on 2 cores")
        for e in errors[:5]:
            print("  error:", e)
        print(f"templates:               {args.templates / (t1 - t0):6.0f} files/s (cold read)")
        if args.services:
            generate_services(root, args.services, args.functions_per_template)
            t3, c3 = time.perf_counter(), time.process_time()
            sls = read_paths([root / "sls"])
            t4, c4 = time.perf_counter(), time.process_time()
            bad = [e for i in sls.inputs for e in i.errors]
            print(f"serverless services:     {args.services}, functions: {len(sls.snapshot.functions())}, "
                  f"errors: {len(bad)}, inputs: {len(sls.inputs)} (fragments are part of their service)")
            print(f"serverless (cold):       {t4 - t3:6.2f} s wall, {c4 - c3:6.2f} s CPU, "
                  f"{args.services / (t4 - t3):6.0f} files/s")
            for e in bad[:5]:
                print("  error:", e)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.terraform_modules:
        bench_terraform(args.terraform_modules, args.functions_per_template)


if __name__ == "__main__":
    main()
