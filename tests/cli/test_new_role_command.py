"""The new-role command: exit codes, formats, --explain, problems as one line each."""

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from iam_analyzer.cli import main
from tests.paths import DATA as TEST_DATA

DATA = TEST_DATA / "handlers"
TEMPLATE = str(DATA / "template.yaml")


def run(*args):
    return CliRunner().invoke(main, ["new-role", *args])


def test_json_verified_exit_0_and_explain_cites_file_line_and_template(tmp_path):
    out, explain = tmp_path / "p.json", tmp_path / "e.json"
    r = run("--code", str(DATA / "python" / "thumbnail_worker.py"), "--template", TEMPLATE, "--function", "thumbnail-worker",
            "--account", "111122223333", "--region", "us-east-1", "-o", str(out), "--explain", str(explain))
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["Version"] == "2012-10-17" and doc["Statement"]
    ex = json.loads(explain.read_text())
    assert ex["verification"]["ok"] is True
    code = [e for s in ex["statements"] for e in s["evidence"] if e["kind"] == "code"]
    assert {(Path(e["file"]).name, e["line"], e["operation"]) for e in code} == {
        ("thumbnail_worker.py", 16, "s3:GetObject"), ("thumbnail_worker.py", 17, "s3:PutObject")}
    tmpl = [e for s in ex["statements"] for e in s["evidence"] if e["kind"] == "template"]
    assert {e["resource"] for e in tmpl} == {"ThumbnailWorker"} and all(e["line"] for e in tmpl)
    assert any("event source mapping" in e["setting"] for e in tmpl)


def test_sam_and_cloudformation_fill_account_and_region_from_the_stack():
    args = ("--code", str(DATA / "python" / "order_stream.py"), "--template", TEMPLATE, "--function", "OrderStream")
    r = run(*args, "--format", "sam")
    assert r.exit_code == 0, r.output
    body = yaml.safe_load(r.stdout)
    (doc,) = body["Policies"]
    pub = next(s for s in doc["Statement"] if s["Action"] == "sns:Publish")
    assert pub["Resource"] == {"Ref": "OrderEvents"}  # as the template names its topic, under any stack name
    logs = next(s for s in doc["Statement"] if s["Sid"] == "TemplateLogsWrites")
    assert logs["Resource"] == {"Fn::Sub": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/order-stream:*"}
    r = run(*args, "--format", "cloudformation")
    assert r.exit_code == 0 and yaml.safe_load(r.stdout)["Policies"][0]["PolicyName"] == "order-stream-least-privilege"
    r = run(*args, "--format", "terraform")
    assert r.exit_code == 0 and 'data "aws_caller_identity" "current"' in r.stdout
    assert "${data.aws_caller_identity.current.account_id}" in r.stdout
    r = run(*args)  # json cannot fill them in: a warning and exit 1
    assert r.exit_code == 1 and "<ACCOUNT_ID>" in r.stdout and "give --account" in r.stderr


def test_unresolved_resource_exits_1_naming_file_and_line(tmp_path):
    h = tmp_path / "h.py"
    h.write_text("import os, boto3\nboto3.client('sns').publish(TopicArn=os.environ['T'], Message='m')\n")
    r = run("--code", str(h), "--account", "111122223333", "--region", "eu-west-1")
    assert r.exit_code == 1
    assert f"{h}:2: sns:Publish: resource not resolved, left as <T>" in r.stderr
    # TopicArn holds the whole ARN: one placeholder for the whole resource, not one inside an ARN
    assert json.loads(r.stdout)["Statement"][0]["Resource"] == "<T>"
    # no template: the log group every function writes to, named after the function, and said so
    logs = next(s for s in json.loads(r.stdout)["Statement"] if s["Sid"] == "TemplateLogsWrites")
    assert logs["Resource"] == "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/<FUNCTION_NAME>:*"
    assert "no template: logs:CreateLogGroup, CreateLogStream and PutLogEvents added" in r.stderr


def test_intent_file_alone_with_a_bad_line_reported(tmp_path):
    intent = tmp_path / "intent.yaml"
    intent.write_text("reads:\n  - dynamodb:table/orders\ninvokes: [sqs:jobs]\nbogus: [x]\n")
    r = run("--intent", str(intent), "--account", "111122223333", "--region", "us-east-1", "--function", "reader")
    assert r.exit_code == 0, r.output  # --function names the log group
    assert f"{intent}:3: " in r.stderr and "cannot be 'invokes'" in r.stderr
    assert f"{intent}:4: unknown key 'bogus'" in r.stderr
    actions = {a for s in json.loads(r.stdout)["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "dynamodb:GetItem" in actions and not any(a.startswith("dynamodb:Put") for a in actions)


def test_nothing_usable_exits_2_without_traceback(tmp_path):
    r = run("--code", str(tmp_path / "missing.py"))
    assert r.exit_code == 2 and "no such file" in r.stderr and "Traceback" not in r.output
    r = run("--template", TEMPLATE)  # five functions, none chosen
    assert r.exit_code == 2 and "choose one with --function" in r.stderr
    r = run("--template", TEMPLATE, "--function", "nope")
    assert r.exit_code == 2 and "no function 'nope'" in r.stderr
    r = run()
    assert r.exit_code == 2
    r = run("--code", str(DATA), "--account", "12")
    assert r.exit_code == 2
    bad = tmp_path / "intent.yaml"
    bad.write_text("reads: [dynamodb:table/x\n")
    r = run("--intent", str(bad))
    assert r.exit_code == 2 and f"{bad}:" in r.stderr and "invalid YAML" in r.stderr


def test_kms_only_where_the_template_encrypts_with_a_customer_key():
    r = run("--code", str(DATA / "python" / "nightly_report.py"), "--template", TEMPLATE, "--function", "nightly-report",
            "--format", "sam")
    assert r.exit_code == 0, r.output  # SAM fills the key's id in
    (doc,) = yaml.safe_load(r.stdout)["Policies"]
    kms = next(s for s in doc["Statement"] if s["Sid"].startswith("TemplateKMS"))
    assert kms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]  # PutObject on an SSE-KMS bucket
    assert kms["Resource"] == {"Fn::Sub": "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${ReportsKey.KeyId}"}
    r = run("--code", str(DATA / "python" / "order_stream.py"), "--template", TEMPLATE, "--function", "order-stream",
            "--format", "sam")
    assert r.exit_code == 0 and "kms:" not in r.stdout  # alias/aws/sns: an AWS managed key needs nothing


def test_code_found_through_the_template_handler_and_its_local_imports(tmp_path):
    # CodeUri python/ holds every handler of the folder: only thumbnail_worker.py and what it imports count
    r = run("--template", TEMPLATE, "--function", "thumbnail-worker", "--format", "sam")
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "s3:GetObject" in text and "s3:PutObject" in text and "dynamodb:" not in text
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "app.py").write_text("import os, boto3\nfrom lib.q import send\nsqs = boto3.client('sqs')\n\n"
                                "def handler(e, c):\n    url = sqs.get_queue_url(QueueName=os.environ['QUEUE_NAME'])['QueueUrl']\n"
                                "    send(sqs, url)\n")
    (src / "lib" / "__init__.py").write_text("")
    (src / "lib" / "q.py").write_text("def send(client, url):\n    client.send_message(QueueUrl=url, MessageBody='x')\n")
    (src / "unused.py").write_text("import boto3\nboto3.client('s3').delete_bucket(Bucket='x')\n")
    (tmp_path / "t.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: jobs}\n"
        "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n"
        "      CodeUri: src/\n      Environment:\n        Variables:\n          QUEUE_NAME: !GetAtt Q.QueueName\n"
        "  G:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n"
        "      Role: arn:aws:iam::111122223333:role/r\n      Code:\n        ZipFile: |\n"
        "          const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');\n"
        "          exports.handler = async () => new SNSClient({}).send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:111122223333:t', Message: 'm' }));\n")
    r = run("--template", str(tmp_path / "t.yaml"), "--function", "F", "--account", "111122223333", "--region", "us-east-1")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    sqs = next(s for s in doc["Statement"] if s["Sid"].startswith("CodeSQS"))
    assert sorted(sqs["Action"]) == ["sqs:GetQueueUrl", "sqs:SendMessage"]  # the URL GetQueueUrl returned
    assert sqs["Resource"] == "arn:aws:sqs:us-east-1:111122223333:jobs"
    assert "s3:" not in r.stdout  # unused.py is not imported by the handler
    r = run("--template", str(tmp_path / "t.yaml"), "--function", "G", "--account", "111122223333", "--region", "us-east-1")
    assert r.exit_code == 0, r.output
    assert any(s["Action"] == "sns:Publish" for s in json.loads(r.stdout)["Statement"])  # inline Code.ZipFile


def test_a_terraform_plan_resolves_environment_variables_too():
    plan = TEST_DATA / "iac" / "terraform" / "shop.plan.json"
    r = run("--code", str(DATA / "python" / "order_stream.py"), "--template", str(plan), "--function", "orders-api",
            "--account", "111122223333", "--region", "us-east-1")
    assert r.exit_code == 0, r.output  # TOPIC_ARN comes from the plan's topic
    pub = next(s for s in json.loads(r.stdout)["Statement"] if s["Action"] == "sns:Publish")
    assert pub["Resource"].startswith("arn:aws:sns:us-east-1:111122223333:")


def test_intent_may_name_the_templates_own_resources(tmp_path):
    intent = tmp_path / "intent.yaml"
    intent.write_text("reads: [OrdersTable]\nwrites: [UploadsBucket/thumbnails/*]\npublishes: [OrderEvents]\n")
    r = run("--template", TEMPLATE, "--function", "order-stream", "--intent", str(intent),
            "--account", "111122223333", "--region", "us-east-1")
    assert r.exit_code == 0, r.output
    by_sid = {s["Sid"]: s for s in json.loads(r.stdout)["Statement"]}
    assert by_sid["IntentDynamoDBReads"]["Resource"] == "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
    assert by_sid["IntentS3Writes"]["Resource"] == "arn:aws:s3:::demo-uploads/thumbnails/*"
    assert "arn:aws:sns:us-east-1:111122223333:order-events" in json.dumps(by_sid)
