"""The CI gate on real pull requests (issue #22): real git repositories in tmp_path, SAM apps
shaped like AWS's deployable samples (tests/sam_apps.py), and each false alarm of the issue."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.iac.identity import derived_name, read_samconfig
from iam_analyzer.schema import load
from tests import sam_apps

IAC = Path(__file__).parent / "data" / "iac"


def run(*args) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [*map(str, args)])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def check_json(*args) -> tuple[int, dict]:
    code, out, err = run("check", *args, "--format", "json")
    assert out, err
    assert "Traceback" not in err
    doc = json.loads(out)
    jsonschema.validate(doc, load("check"))
    return code, doc


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def repo_with(tmp_path: Path, files: dict[str, str], name: str = "repo") -> Path:
    repo = tmp_path / name
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def no_change(doc: dict) -> bool:
    return doc["new_access"] == [] and doc["removed_access"] == []


def by_rule(doc: dict, rule: str) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"] == rule]


# -- one identity per resource --------------------------------------------------------------


def test_stack_name_names_are_the_same_against_head(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, {"template.yaml": sam_apps.UPLOADS})
    monkeypatch.chdir(repo)
    code, doc = check_json("template.yaml", "--base", "HEAD", "--fail-on-new-access")
    assert code == 0 and no_change(doc)
    # the bucket name built from AWS::StackName is the repository-derived stack name on both sides
    _, alone = check_json("template.yaml")
    docs = json.dumps(alone["functions"][0]["policies"])
    assert "arn:aws:s3:::template-uploads" in docs and "iam-analyzer-base" not in docs


def test_a_copy_in_another_folder_compares_clean(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, {"app/template.yaml": sam_apps.SQS_WORKER})
    elsewhere = tmp_path / "elsewhere" / "old-copy"
    shutil.copytree(repo / "app", elsewhere)
    monkeypatch.chdir(repo)
    for base in (elsewhere / "template.yaml", elsewhere):
        code, doc = check_json("app/template.yaml", "--base", base, "--fail-on-new-access")
        assert code == 0 and no_change(doc), base
    code, doc = check_json("app", "--base", elsewhere, "--fail-on-new-access")
    assert code == 0 and no_change(doc)


def test_base_from_a_branch_shows_only_the_statement_the_change_adds(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, {"services/uploads/template.yaml": sam_apps.UPLOADS})
    git(repo, "checkout", "-q", "-b", "feature")
    path = repo / "services/uploads/template.yaml"
    path.write_text(path.read_text().replace(
        "        - S3CrudPolicy:", "        - SQSSendMessagePolicy:\n            QueueName: !Sub \"${AWS::StackName}-out\"\n"
        "        - S3CrudPolicy:"))
    git(repo, "commit", "-qam", "send to a queue")
    monkeypatch.chdir(repo / "services")  # run from a subfolder: the names still come from the repository root
    code, doc = check_json("uploads/template.yaml", "--base", "main", "--fail-on-new-access")
    assert code == 1 and doc["removed_access"] == []
    assert [(c["actions"], c["resources"]) for c in doc["new_access"]] == [
        (["sqs:SendMessage"], ["arn:aws:sqs:us-east-1:123456789012:services-uploads-out"])]


def test_samconfig_names_the_stack_and_survives_a_renamed_folder(tmp_path, monkeypatch):
    samconfig = ('version = 0.1\n[default.deploy.parameters]\nstack_name = "photo-app"\n'
                 '[prod.deploy.parameters]\nstack_name = "photo-app-prod"\n')
    repo = repo_with(tmp_path, {"app/template.yaml": sam_apps.UPLOADS, "app/samconfig.toml": samconfig})
    git(repo, "mv", "app", "photos")
    git(repo, "commit", "-qm", "rename the folder")
    monkeypatch.chdir(repo)
    code, doc = check_json("photos/template.yaml", "--base", "HEAD~1", "--fail-on-new-access")
    assert code == 0 and no_change(doc)
    _, alone = check_json("photos/template.yaml")
    assert "arn:aws:s3:::photo-app-uploads" in json.dumps(alone["functions"][0]["policies"])
    _, prod = check_json("photos/template.yaml", "--config-env", "prod")
    assert "arn:aws:s3:::photo-app-prod-uploads" in json.dumps(prod["functions"][0]["policies"])
    _, named = check_json("photos/template.yaml", "--stack-name", "given")
    assert "arn:aws:s3:::given-uploads" in json.dumps(named["functions"][0]["policies"])


def test_samconfig_yaml_and_a_broken_samconfig(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "samconfig.yaml").write_text("version: 0.1\ndefault:\n  deploy:\n    parameters:\n"
                                                   "      stack_name: from-yaml\n      parameter_overrides: Stage=prod\n")
    cfg = read_samconfig(tmp_path / "a")
    assert cfg.stack_name == "from-yaml" and cfg.parameters == {"Stage": "prod"}
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "samconfig.toml").write_text("[default.deploy.parameters\nstack_name = ")
    (tmp_path / "b" / "template.yaml").write_text(sam_apps.UPLOADS)
    code, out, err = run("check", tmp_path / "b" / "template.yaml", "--format", "json")
    assert code == 0 and "Traceback" not in err
    assert any("samconfig.toml: not read" in n for n in json.loads(out)["notes"])


def test_derived_names_follow_the_path_in_the_repository():
    assert derived_name("template.yaml") == "template"
    assert derived_name("services/orders/template.yaml") == "services-orders"
    assert derived_name("infra/api.yml") == "infra-api"
    assert derived_name("2024/my_app/template.yaml") == "s-2024-my-app"


@pytest.mark.parametrize("form", ["cdk", "terraform"])
def test_cdk_and_terraform_unchanged_against_head_in_a_renamed_checkout(tmp_path, monkeypatch, form):
    src = {"cdk": IAC / "cdk" / "cdk.out", "terraform": IAC / "terraform" / "shop.plan.json"}[form]
    repo = tmp_path / "checkout-one"
    target = repo / "deploy" / src.name
    (repo / "deploy").mkdir(parents=True)
    shutil.copytree(src, target) if src.is_dir() else shutil.copy(src, target)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    moved = tmp_path / "another-name"
    repo.rename(moved)
    monkeypatch.chdir(moved)
    code, doc = check_json(f"deploy/{src.name}", "--base", "HEAD", "--fail-on-new-access")
    assert code == 0 and no_change(doc) and doc["summary"]["functions"] == 3


# -- false alarms on SAM's own statements ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(sam_apps.APPS))
def test_each_sample_app_is_unchanged_against_its_own_head(tmp_path, monkeypatch, name):
    repo = repo_with(tmp_path, {"template.yaml": sam_apps.APPS[name], "src/app.py": "def handler(e, c):\n    return e\n"})
    monkeypatch.chdir(repo)
    code, doc = check_json("template.yaml", "--base", "HEAD", "--fail-on-new-access")
    assert code == 0 and no_change(doc) and doc["findings"] == []
    code, alone = check_json("template.yaml")
    blocking = [f for f in alone["findings"] if f["severity"] in ("critical", "high")]
    assert all(f["origin"]["kind"] == "template" for f in blocking), blocking
    assert (code == 1) == (name in sam_apps.MISTAKES)


def test_sqs_poller_policy_batch_actions_are_sams_and_do_not_block(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(sam_apps.SQS_WORKER)
    code, doc = check_json(t)
    assert code == 0
    batch = by_rule(doc, "PL004")
    assert {f["message"].split("'")[1] for f in batch} == {"sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessageBatch"}
    for f in batch:
        assert f["severity"] == "info" and f["origin"] == {"kind": "sam-policy-template", "name": "SQSPollerPolicy"}
        assert "IAM authorises it with sqs:" in f["message"]
    lines = t.read_text().splitlines()
    assert all("SQSPollerPolicy" in lines[f["location"]["line"] - 1] for f in batch)  # the author's line


def test_a_batch_action_in_the_authors_statement_is_low_and_names_the_covering_action(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(sam_apps.SQS_SENDER)
    code, doc = check_json(t)
    assert code == 0
    (f,) = by_rule(doc, "PL004")
    assert f["severity"] == "low" and f["origin"]["kind"] == "template"
    assert "sqs:SendMessageBatch" in f["message"] and "sqs:SendMessage, which this statement also grants" in f["message"]
    t.write_text(sam_apps.SQS_SENDER.replace("sqs:SendMessageBatch", "sqs:SendMesage"))  # a typo stays an error
    code, doc = check_json(t)
    assert code == 1 and [g["severity"] for g in by_rule(doc, "PL004")] == ["high"]


def test_version_missing_in_sams_inline_policies_does_not_block(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(sam_apps.STREAM)
    code, doc = check_json(t)
    pl013 = by_rule(doc, "PL013")
    assert code == 0 and len(pl013) == 2
    assert {f["origin"]["name"] for f in pl013} == {"KinesisStreamReadPolicy", "DynamoDBWritePolicy"}
    assert {f["severity"] for f in pl013} == {"info"}


def _role_template(version_line: str, resource: str, managed: bool) -> str:
    doc = (f"        PolicyDocument:\n{version_line}          Statement:\n            - Effect: Allow\n"
           f"              Action: s3:GetObject\n              Resource: {resource}\n")
    role = ("  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
            "        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n"
            "            Principal: {Service: lambda.amazonaws.com}\n            Action: sts:AssumeRole\n")
    if managed:
        return ("Resources:\n" + role + "  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n"
                "      Roles: [!Ref Role]\n" + doc.replace("        ", "      ", 1).replace("\n          ", "\n        "))
    return ("Resources:\n" + role + "      Policies:\n        - PolicyName: p\n"
            + doc.replace("        PolicyDocument", "          PolicyDocument").replace("\n          ", "\n            "))


@pytest.mark.parametrize("managed,resource,severity", [
    (False, "arn:aws:s3:::b/*", "low"),  # inline: IAM accepts it
    (False, "'arn:aws:s3:::b/${aws:username}/*'", "high"),  # a policy variable read literally
    (True, "arn:aws:s3:::b/*", "high"),  # a managed policy must say 2012-10-17
])
def test_missing_version_severity_follows_the_kind_of_policy(tmp_path, managed, resource, severity):
    t = tmp_path / "stack.yaml"
    t.write_text(_role_template("", resource, managed))
    code, doc = check_json(t)
    assert [f["severity"] for f in by_rule(doc, "PL013")] == [severity]
    assert code == (1 if severity == "high" else 0)


def test_the_authors_real_mistakes_stay_errors(tmp_path):
    for name, wrong in (("firehose-mistake", "firehose:PutRecord"), ("eventbridge-mistake", "events:PutRule")):
        t = tmp_path / name / "template.yaml"
        t.parent.mkdir()
        t.write_text(sam_apps.APPS[name])
        code, doc = check_json(t)
        hits = [f for f in by_rule(doc, "PL005") if wrong in f["message"]]
        assert code == 1 and hits and all(f["severity"] == "high" and f["origin"]["kind"] == "template" for f in hits)


def test_attaching_an_aws_managed_policy_keeps_its_severity_and_names_it(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(sam_apps.SNS_FANOUT.replace("        - SNSPublishMessagePolicy:", "        - AmazonS3FullAccess\n"
                                             "        - SNSPublishMessagePolicy:"))
    code, doc = check_json(t)
    mine = [f for f in doc["findings"] if f["origin"] == {"kind": "aws-managed-policy", "name": "AmazonS3FullAccess"}]
    assert code == 1 and mine and {f["severity"] for f in mine} & {"critical", "high"}
    assert all(f["location"]["path"] and f["location"]["line"] for f in mine)


def test_connector_and_dlq_policies_are_sam_generated(tmp_path):
    from iam_analyzer.collect.iac import read_paths

    for name, text in (("crud", sam_apps.CRUD_API), ("worker", sam_apps.SQS_WORKER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "template.yaml").write_text(text)
    res = read_paths([tmp_path])
    kinds = {(k[2], o["kind"], o["name"]) for k, o in res.statement_origins.items()}
    assert ("WorkerFunctionRolePolicy0", "sam-policy-template", "SQSPollerPolicy") in kinds
    assert ("DeadLetterQueuePolicy", "sam-generated", "DeadLetterQueuePolicy") in kinds
    assert any(kind == "sam-generated" and nm == "connector WriteConnector" for _, kind, nm in kinds)


# -- Fn::If ------------------------------------------------------------------------------------


def test_a_policy_template_under_fn_if_is_read_in_both_branches(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, {"template.yaml": sam_apps.SCHEDULED})
    (repo / "template.yaml").write_text(sam_apps.CONDITIONAL)
    git(repo, "commit", "-qam", "rotation in production")
    monkeypatch.chdir(repo)
    code, doc = check_json("template.yaml", "--base", "HEAD~1", "--fail-on-new-access")
    rotation = [c for c in doc["new_access"] if "secretsmanager:PutSecretValue" in c["actions"]]
    assert code == 1 and rotation, doc["new_access"]
    assert rotation[0]["condition"] == {"condition": "IsProd", "branch": True, "deploys": False}
    assert any("secretsmanager:GetRandomPassword" in c["actions"] for c in doc["new_access"])
    _, prod = check_json("template.yaml", "--base", "HEAD~1", "--param", "Stage=prod")
    assert [c["condition"]["deploys"] for c in prod["new_access"] if c.get("condition")] == [True, True]


USAGE = {"schema_version": 1, "kind": "iam-analyzer-usage", "principals": [
    {"arn": "arn:aws:iam::123456789012:role/template-SenderRole-X1", "type": "role", "session": "sender",
     "actions": [{"action": "sqs:SendMessage", "resource": "arn:aws:sqs:us-east-1:123456789012:outbox", "count": 40,
                  "denied": 0, "last_seen": "2026-11-29T10:00:00Z"}]}],
    "window": {"start": "2026-10-30T00:00:00Z", "end": "2026-11-29T23:59:59Z", "days": 31},
    "events": {"total": 40, "out_of_window": 0},
    "coverage": [{"account": "123456789012", "region": "us-east-1", "files": 30, "management_events": 40,
                  "data_events": 0, "first_day": "2026-10-30", "last_day": "2026-11-29", "days": 31,
                  "services": ["sqs"]}]}

SENDER = """Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Sender:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: sender
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Policies:
POLICY"""


def test_would_break_takes_the_branch_that_deploys(tmp_path, monkeypatch):
    plain = "        - SQSSendMessagePolicy:\n            QueueName: outbox\n"
    conditional = ("        - Fn::If:\n            - IsProd\n            - SQSSendMessagePolicy:\n"
                   "                QueueName: outbox\n            - !Ref AWS::NoValue\n")
    repo = repo_with(tmp_path, {"template.yaml": SENDER.replace("POLICY", plain)})
    (repo / "template.yaml").write_text(SENDER.replace("POLICY", conditional))
    (tmp_path / "usage.json").write_text(json.dumps(USAGE))
    monkeypatch.chdir(repo)
    code, doc = check_json("template.yaml", "--base", "HEAD", "--usage", tmp_path / "usage.json")
    assert code == 1 and [(w["function"], w["action"]) for w in doc["would_break"]] == [("sender", "sqs:SendMessage")]
    # new access and removed access see both branches: the statement is still granted in one
    assert doc["removed_access"] == [] and doc["new_access"] == []
    code, doc = check_json("template.yaml", "--base", "HEAD", "--usage", tmp_path / "usage.json",
                           "--param", "Stage=prod")
    assert doc["would_break"] == []


# -- adopting the gate ----------------------------------------------------------------------------


def test_a_baseline_lets_a_team_adopt_the_gate_and_still_blocks_new_findings(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, {"template.yaml": sam_apps.FIREHOSE_MISTAKE})
    monkeypatch.chdir(repo)
    assert check_json("template.yaml")[0] == 1
    code, _, err = run("check", "template.yaml", "--write-baseline", "baseline.json")
    assert "recorded in baseline.json" in err
    recorded = json.loads((repo / "baseline.json").read_text())
    assert recorded["kind"] == "iam-analyzer-baseline" and recorded["findings"]
    code, doc = check_json("template.yaml", "--baseline", "baseline.json")
    assert code == 0 and doc["findings"] and all(f["baseline"] for f in doc["findings"])
    assert doc["summary"]["baseline"] == len(doc["findings"])
    (repo / "template.yaml").write_text(sam_apps.FIREHOSE_MISTAKE + sam_apps.EVENTBRIDGE_MISTAKE.split("Resources:\n")[1])
    code, doc = check_json("template.yaml", "--baseline", "baseline.json")
    fresh = [f for f in doc["findings"] if not f["baseline"] and f["severity"] == "high"]
    assert code == 1 and fresh and all("events:" in f["message"] for f in fresh)


@pytest.mark.parametrize("content,why", [
    ("{", "line 1"), ('{"kind": "other"}', "not a baseline"), ('{"kind": "iam-analyzer-baseline", "findings": [1]}',
                                                              "findings[0].fingerprint"),
])
def test_a_bad_baseline_is_one_line_naming_the_file(tmp_path, content, why):
    (tmp_path / "b.json").write_text(content)
    (tmp_path / "template.yaml").write_text(sam_apps.UPLOADS)
    code, out, err = run("check", tmp_path / "template.yaml", "--baseline", tmp_path / "b.json")
    assert code == 2 and why in err and "b.json" in err and "Traceback" not in err


def test_a_rule_on_a_managed_policy_sam_attaches_is_info_but_the_authors_choice_keeps_its_severity(tmp_path):
    """No rule of the pack fires on SAM's execution-role policies today, so the finding here is
    made by hand; the attachment's origin is the reader's."""
    from iam_analyzer.analyze.checks.engine import Finding
    from iam_analyzer.analyze.gate import locate_rule_findings
    from iam_analyzer.collect.iac import read_paths

    t = tmp_path / "template.yaml"
    t.write_text(sam_apps.STREAM.replace("        - KinesisStreamReadPolicy:", "        - AmazonS3FullAccess\n"
                                         "        - KinesisStreamReadPolicy:"))
    res = read_paths([t])
    role = res.snapshot.roles()[0]
    sam_arn = next(a for a in role.managed_policy_arns if a.endswith("/AWSLambdaKinesisExecutionRole"))
    mine = next(a for a in role.managed_policy_arns if a.endswith("/AmazonS3FullAccess"))
    made = [Finding("IAM006", "t", "high", "data-access", role.arn, "m", {"policy": arn, "statement": 0})
            for arn in (sam_arn, mine)]
    by_sam, by_author = locate_rule_findings(res.snapshot, made, res.statement_line, res.statement_origin,
                                             res.statement_condition)
    assert (by_sam.severity, by_sam.origin) == ("info", {"kind": "sam-generated", "name": "AWSLambdaKinesisExecutionRole"})
    assert "SAM's AWSLambdaKinesisExecutionRole" in by_sam.message
    assert (by_author.severity, by_author.origin) == ("high", {"kind": "aws-managed-policy", "name": "AmazonS3FullAccess"})


def test_statements_and_managed_arns_under_fn_if_count_in_both_branches():
    head, base = IAC / "conditions" / "stack.yaml", IAC / "conditions" / "base.yaml"
    code, doc = check_json(head, "--base", base, "--fail-on-new-access")
    got = {(c["policy"], tuple(c["actions"][:1]) if c["policy"] == "p" else "managed",
            json.dumps(c.get("condition"), sort_keys=True)) for c in doc["new_access"]}
    prod = json.dumps({"condition": "IsProd", "branch": True, "deploys": False}, sort_keys=True)
    assert code == 1 and got == {
        ("p", ("dynamodb:GetItem",), prod),
        ("p", ("dynamodb:Query",), json.dumps({"condition": "IsProd", "branch": False, "deploys": True}, sort_keys=True)),
        ("AmazonS3ReadOnlyAccess", "managed", prod)}
    lines = head.read_text().splitlines()
    assert all("dynamodb:" in lines[c["location"]["line"] - 1] for c in doc["new_access"] if c["policy"] == "p")


def test_findings_on_sams_statements_never_block_even_at_fail_on_info(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(sam_apps.SQS_WORKER)
    code, doc = check_json(t, "--fail-on", "info")
    assert code == 0 and doc["findings"] and all(f["origin"]["kind"] != "template" for f in doc["findings"])
    t.write_text(sam_apps.SQS_SENDER)  # the author's own low finding blocks at --fail-on low
    assert check_json(t, "--fail-on", "low")[0] == 1


CDK_TEMPLATE = {"Resources": {
    "HandlerServiceRoleFCDC14AE": {
        "Type": "AWS::IAM::Role", "Metadata": {"aws:cdk:path": "App/Handler/ServiceRole/Resource"},
        "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
    "HandlerServiceRoleDefaultPolicyCBD0CC91": {
        "Type": "AWS::IAM::Policy", "Metadata": {"aws:cdk:path": "App/Handler/ServiceRole/DefaultPolicy/Resource"},
        "Properties": {"PolicyName": "HandlerServiceRoleDefaultPolicyCBD0CC91", "Roles": [{"Ref": "HandlerServiceRoleFCDC14AE"}],
                       "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": "sqs:SendMessageBatch", "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}]}}},
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole9741ECFB": {
        "Type": "AWS::IAM::Role",
        "Metadata": {"aws:cdk:path": "App/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/ServiceRole/Resource"},
        "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB": {
        "Type": "AWS::IAM::Policy",
        "Metadata": {"aws:cdk:path": "App/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/ServiceRole/DefaultPolicy/Resource"},
        "Properties": {"PolicyName": "LogRetentionDefaultPolicy",
                       "Roles": [{"Ref": "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole9741ECFB"}],
                       "PolicyDocument": {"Statement": [
                           {"Effect": "Allow", "Action": ["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"],
                            "Resource": "*"}]}}}}}


def test_the_cdks_own_providers_are_cdk_generated_and_the_authors_grants_are_not(tmp_path):
    t = tmp_path / "App.template.json"
    t.write_text(json.dumps(CDK_TEMPLATE, indent=1))
    code, doc = check_json(t)
    retention = [f for f in doc["findings"] if f["subject"].startswith("LogRetention")]
    assert retention and all(f["origin"] == {"kind": "cdk-generated", "name": "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"}
                             and f["severity"] == "info" for f in retention)
    (own,) = [f for f in doc["findings"] if f["rule"] == "PL004"]
    assert own["origin"]["kind"] == "template" and own["severity"] == "low"
