"""The CI gate and new-role on Serverless Framework services, in real git repositories."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.schema import load

SERVICE = """\
service: billing
provider:
  name: aws
  runtime: python3.12
  stage: ${opt:stage, 'prod'}
  environment:
    INVOICES: ${self:custom.table}
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:PutItem, dynamodb:GetItem]
          Resource: !GetAtt InvoicesTable.Arn
custom:
  table: invoices-${sls:stage}
functions:
  charge:
    handler: charge.charge
    events:
      - sqs: arn:aws:sqs:us-east-1:123456789012:charges
  report:
    handler: report.report
    events:
      - schedule: cron(0 6 * * ? *)
resources:
  Resources: ${file(resources/table.yml)}
"""

TABLE = """\
InvoicesTable:
  Type: AWS::DynamoDB::Table
  Properties:
    TableName: ${self:custom.table}
    BillingMode: PAY_PER_REQUEST
    KeySchema: [{AttributeName: id, KeyType: HASH}]
    AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
AdminPolicy:
  Type: AWS::IAM::ManagedPolicy
  Properties:
    PolicyDocument:
      Version: '2012-10-17'
      Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::billing-reports/*'}]
"""

CHARGE = """\
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["INVOICES"])


def charge(event, context):
    for record in event["Records"]:
        table.put_item(Item={"id": record["messageId"]})
"""
REPORT = """\
import os
import boto3


def report(event, context):
    return boto3.resource("dynamodb").Table(os.environ["INVOICES"]).get_item(Key={"id": "latest"})
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def repo(tmp_path: Path) -> Path:
    root = write(tmp_path / "repo", {"svc/serverless.yml": SERVICE, "svc/resources/table.yml": TABLE,
                                     "svc/charge.py": CHARGE, "svc/report.py": REPORT})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def check(*args) -> tuple[int, dict]:
    r = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json"])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, load("check"))
    return r.exit_code, doc


def test_check_a_service_file_finds_its_functions_at_their_lines(tmp_path, monkeypatch):
    root = repo(tmp_path)
    monkeypatch.chdir(root)
    code, doc = check("svc/serverless.yml")
    assert code == 0, doc["findings"]
    assert [(Path(i["path"]).name, i["kind"], i["errors"]) for i in doc["inputs"]] == [("serverless.yml", "serverless", [])]
    got = {f["name"]: (f["logical_id"], f["line"]) for f in doc["functions"]}
    assert got == {"billing-prod-charge": ("charge", 17), "billing-prod-report": ("report", 21)}


def test_check_a_folder_reads_the_service_once_and_not_its_fragments(tmp_path, monkeypatch):
    root = repo(tmp_path)
    monkeypatch.chdir(root)
    code, doc = check(".")
    assert [i["kind"] for i in doc["inputs"]] == ["serverless"]
    assert len(doc["functions"]) == 2
    # a fragment is not judged alone: no finding is placed in it as if it were its own template
    assert not [f for f in doc["findings"] if "resources/table.yml" in (f.get("location") or {}).get("path", "")
                and f["source"] == "input"]


def test_check_base_head_pairs_by_function_and_shows_only_the_new_statement(tmp_path, monkeypatch):
    root = repo(tmp_path)
    monkeypatch.chdir(root)
    code, doc = check("svc/serverless.yml", "--base", "HEAD", "--fail-on-new-access")
    # unchanged: nothing new, nothing removed (the base's fragments are exported with the service)
    assert code == 0 and doc["new_access"] == [] and doc["removed_access"] == []
    sls = root / "svc" / "serverless.yml"
    sls.write_text(SERVICE.replace("Action: [dynamodb:PutItem, dynamodb:GetItem]",
                                   "Action: [dynamodb:PutItem, dynamodb:GetItem, dynamodb:DeleteTable]"))
    code, doc = check("svc/serverless.yml", "--base", "HEAD", "--fail-on-new-access")
    assert code == 1
    (na,) = doc["new_access"]
    assert na["actions"] == ["dynamodb:DeleteTable"]
    assert sorted(na["functions"]) == ["billing-prod-charge", "billing-prod-report"]
    assert na["location"]["path"] == "svc/serverless.yml"
    assert sls.read_text().splitlines()[na["location"]["line"] - 1].strip().startswith("- Effect: Allow")


def test_a_new_event_source_adds_the_frameworks_polling_statement_as_new_access(tmp_path, monkeypatch):
    root = repo(tmp_path)
    monkeypatch.chdir(root)
    sls = root / "svc" / "serverless.yml"
    sls.write_text(SERVICE.replace("      - schedule: cron(0 6 * * ? *)\n",
                                   "      - schedule: cron(0 6 * * ? *)\n"
                                   "      - stream: arn:aws:kinesis:us-east-1:123456789012:stream/ledger\n"))
    code, doc = check("svc/serverless.yml", "--base", "HEAD")
    acts = {a for n in doc["new_access"] for a in n["actions"]}
    assert {"kinesis:GetRecords", "kinesis:GetShardIterator"} <= acts
    assert not acts & {"dynamodb:PutItem", "sqs:ReceiveMessage"}  # what the base already granted is not new


def test_new_role_for_a_service_function_reads_its_handler_and_configuration(tmp_path):
    root = repo(tmp_path)
    r = CliRunner().invoke(main, ["new-role", "--template", str(root / "svc" / "serverless.yml"), "--function", "charge",
                                  "--account", "123456789012", "--region", "us-east-1"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    grants = {(a, st["Resource"]) for st in doc["Statement"]
              for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    # the code's call, on the table the environment variable names through the service's variables
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/invoices-prod") in grants
    # the sqs event: Lambda polls the queue with the role
    assert ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:charges") in grants
    assert not any(a == "dynamodb:GetItem" for a, _ in grants)  # report's call, not charge's


def test_what_the_reader_could_not_model_is_said_in_the_notes(tmp_path, monkeypatch):
    root = repo(tmp_path)
    monkeypatch.chdir(root)
    sls = root / "svc" / "serverless.yml"
    sls.write_text(SERVICE.replace("      - schedule: cron(0 6 * * ? *)\n",
                                   "      - schedule: cron(0 6 * * ? *)\n      - websocket: $connect\n"))
    code, doc = check("svc/serverless.yml")
    assert any("event type websocket is not read" in n for n in doc["notes"])
