"""Twenty-four Terraform configurations written in the style of public examples (HashiCorp's Lambda
tutorial, terraform-aws-modules/lambda's module and examples, serverless-patterns): every function
is found, each role grants exactly what the files grant (written out here by hand, AWS managed
policies included), what only apply knows is listed with file and line, and the gate on an
unchanged repository reports no access change and no blocking finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.iac import read_paths

from .common import (
    assert_quiet_against_head,
    BASIC, ROOT, S3_READ_ONLY, SQS_POLL, VPC_ACCESS, XRAY_DAEMON, documents, granted, grants,
    statements,
)

CONFIGS = ROOT / "terraform"
# AWSLambdaENIManagementAccess (the module's attach_network_policy)
ENI_MANAGEMENT = {"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
                  "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}
SESSIONS = {"dynamodb:GetItem", "dynamodb:PutItem"}

# configuration folder (the module read, relative to the project) -> {function name: actions}
EXPECTED: dict[str, dict[str, set[str]]] = {
    "api-gateway": {"Greeter": BASIC},
    "dynamic-doc": {"catalog": {"dynamodb:GetItem", "dynamodb:Query", "sns:Publish", "logs:CreateLogStream",
                                "logs:PutLogEvents"}},
    "eventbridge": {"cleanup-nightly": {"ec2:DescribeSnapshots", "ec2:DeleteSnapshot", "sns:Publish"}},
    "exclusive": {"gatekeeper": BASIC | {"kms:Sign", "kms:GetPublicKey"}},
    "for-each-map": {"billing-default-invoice": BASIC | {"dynamodb:PutItem"},
                     "billing-default-refund": BASIC | {"dynamodb:GetItem", "dynamodb:UpdateItem"}},
    "inline-blocks": {"mailer": BASIC | {"ses:SendEmail", "ses:SendRawEmail", "s3:GetObject"}},
    "local-module": {"resizer": {"s3:GetObject", "s3:PutObject"}, "indexer": XRAY_DAEMON | {"es:ESHttpPost"}},
    "managed-data": {"db-migrator": BASIC | VPC_ACCESS | {"secretsmanager:GetSecretValue"}},
    # the module's logs policy, its policy_statements (dynamic blocks), AWSLambdaSQSQueueExecutionRole
    "module-style": {"queue-consumer": {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage",
                                        "dynamodb:GetItem"} | SQS_POLL | BASIC},
    "s3-notify": {"virus-scan": BASIC | {"s3:GetObject", "s3:PutObjectTagging"}},
    # the override document's "Read" replaces the source's statement of that Sid
    "source-override": {"reports": {"cloudwatch:PutMetricData", "s3:GetObject", "s3:GetObjectVersion",
                                    "sqs:SendMessage"}},
    "splat-count": {"sessions-0": SESSIONS, "sessions-1": SESSIONS},
    "sqs-mapping": {"jobs-worker": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                    "sqs:SendMessage"}},
    "templatefile": {"assets-staging": {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}},
    # for_each over toset(), a dynamic inline_policy, one statement written as an object
    "toset-roles": {"notify-emails": SQS_POLL | {"ses:SendEmail"}, "notify-texts": SQS_POLL | {"sns:Publish"}},
    "external-role-var": {"health-probe": None},  # its role is a variable with no value: nothing is declared
    "policy-attachment": {"etl-runner": {"glue:StartJobRun", "glue:GetJobRun"}},  # heredoc closer with spaces
    "sns-subscription": {"pager": BASIC | {"secretsmanager:GetSecretValue"}},
    # resources split over files, count on a bool, one(), try(); a NotAction statement (not an Action list)
    "multi-file": {"telemetry-worker": {"kinesis:PutRecord", "kinesis:PutRecords"}},
    # terraform-aws-modules/lambda/aws not installed: read through the shipped stand-in (listed)
    "remote-module": {"audit-trail-reader": {"s3:GetObject", "lambda:InvokeFunction"},
                      "image-resizer": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
    # the serverless-patterns style: the registry module with statements, policies, tracing, triggers
    "registry-module": {"orders-consumer": {"dynamodb:PutItem"} | BASIC | SQS_POLL | XRAY_DAEMON},
    # attachments keyed by nested for expressions with basename(), formatlist(), setproduct()
    "nested-for": {"svc-alpha": S3_READ_ONLY | {"dynamodb:GetItem"}, "svc-beta": {"dynamodb:GetItem"}},
    # the registry module called with for_each and the registry host in its source, in a VPC
    "registry-for-each": {f"app-{k}": BASIC | ENI_MANAGEMENT | {a} for k, a in (("thumbs", "s3:GetObject"),
                                                                                 ("mails", "ses:SendEmail"))},
    "try-coalesce": {"orders": {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem",
                                "s3:PutObject"}},
}

# (file relative to the project, line) of each value known only at apply
UNRESOLVED: dict[str, set[tuple[str, int]]] = {
    # random_pet's id, the bucket named by it, filemd5(), the archive's hash, two API ids
    "api-gateway": {("main.tf", 29), ("main.tf", 39), ("main.tf", 42), ("main.tf", 51), ("main.tf", 87),
                    ("main.tf", 102)},
    "managed-data": {("main.tf", 15)},
    "remote-module": {("main.tf", 1)},  # the module call, read through the stand-in
    # another registry module (not read), the stand-in's call, an input the stand-in does not model
    "registry-for-each": {("main.tf", 8), ("main.tf", 28)},  # each instance's call; a submodule (not read)
    "registry-module": {("main.tf", 5), ("main.tf", 11), ("main.tf", 50)},
    "external-role-var": {("main.tf", 1)},  # the variable with no value  # a customer-managed policy looked up in AWS
    "module-style": {("main.tf", 59)},  # replace() with a regular expression (a Sid): not run
    "source-override": {("main.tf", 48)},  # name_prefix: the name is chosen at apply
}


def test_there_are_at_least_fifteen_configurations():
    assert len(EXPECTED) >= 15
    assert sorted(EXPECTED) == sorted(p.name for p in CONFIGS.iterdir() if p.is_dir())


def _read(name):
    return read_paths([CONFIGS / name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_function_is_found_with_every_action_its_role_is_granted(name):
    r = _read(name)
    assert r.inputs and all(i.kind == "terraform" and i.errors == [] for i in r.inputs), r.inputs
    fns = {f.name: f for f in r.snapshot.functions()}
    assert sorted(fns) == sorted(EXPECTED[name])
    for fname, actions in EXPECTED[name].items():
        if actions is None:
            assert r.snapshot.find_role(fns[fname].role_arn) is None
        else:
            assert granted(r, fns[fname]) == actions, fname
        loc = fns[fname].location
        # its resource block, or the module call when a stand-in was read for a registry module
        assert Path(loc.path).read_text().splitlines()[loc.line - 1].startswith(('resource "aws_lambda_function"',
                                                                                 'module "'))
    got = {(Path(u.path).relative_to(CONFIGS / name).as_posix(), u.line) for u in r.unresolved}
    assert got == UNRESOLVED.get(name, set())


def test_expressions_give_the_resources_terraform_would():
    r = _read("try-coalesce")
    (fn,) = r.snapshot.functions()
    g = grants(r, fn)
    assert ("dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders") in g  # coalesce
    assert ("s3:PutObject", "arn:aws:s3:::orders-exports/*") in g  # try() over a missing attribute
    r = _read("splat-count")
    for fn in r.snapshot.functions():
        assert {res for a, res in grants(r, fn) if a == "dynamodb:GetItem"} == {
            "arn:aws:dynamodb:us-east-1:123456789012:table/sessions-eu",
            "arn:aws:dynamodb:us-east-1:123456789012:table/sessions-us"}
    r = _read("source-override")
    (fn,) = r.snapshot.functions()
    assert {res for a, res in grants(r, fn) if a == "s3:GetObject"} == {"arn:aws:s3:::reports/monthly/*"}
    r = _read("module-style")
    (fn,) = r.snapshot.functions()
    # both policy_statements survive although their Sids are not known offline, the condition with them
    (st,) = [s for d in documents(r, fn) for s in statements(d) if s.get("Action") in ("dynamodb:GetItem",
                                                                                        ["dynamodb:GetItem"])]
    assert st["Condition"] == {"StringEquals": {"aws:ResourceTag/team": ["queue"]}}
    # the provider block's region, not --region's default, names what the configuration makes
    assert ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:queue-consumer-failure") in grants(r, fn)
    assert fn.region == "eu-west-1" and "eu-west-1" in r.snapshot.accounts[0].regions


def test_a_not_action_statement_and_a_templated_list_are_kept_whole():
    r = _read("multi-file")
    (fn,) = r.snapshot.functions()
    (na,) = [s for d in documents(r, fn) for s in statements(d) if "NotAction" in s]
    assert na["NotAction"] == ["iam:*", "organizations:*"] and na["Resource"] == "*"
    assert na["Condition"] == {"Bool": {"aws:ViaAWSService": "true"}}
    r = _read("remote-module")
    fn = next(f for f in r.snapshot.functions() if f.name == "audit-trail-reader")
    assert {res for a, res in grants(r, fn) if a == "s3:GetObject"} == {"arn:aws:s3:::trail-a/*",
                                                                        "arn:aws:s3:::trail-b/*"}


def test_the_registry_lambda_module_is_read_through_its_stand_in_and_shown_at_its_call():
    r = _read("registry-module")
    (fn,) = r.snapshot.functions()
    assert fn.location.path == str(CONFIGS / "registry-module" / "main.tf") and fn.location.line == 11
    assert fn.tracing_mode == "Active" and fn.runtime == "python3.12"
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders") in grants(r, fn)
    notes = {u.what for u in r.unresolved}
    assert any("assume_role_policy_statements is not modelled" in n for n in notes)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_gate_on_an_unchanged_repository_shows_no_access_change_and_does_not_block(name, tmp_path, monkeypatch):
    assert_quiet_against_head(CONFIGS / name, tmp_path, monkeypatch, EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_new_role_finds_each_function_of_the_configuration(name):
    for fname in EXPECTED[name]:
        r = CliRunner().invoke(main, ["new-role", "--template", str(CONFIGS / name), "--function", fname,
                                      "--account", "123456789012", "--region", "us-east-1"])
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        # the function's own configuration read through the template: its log group, by its name
        assert f"log-group:/aws/lambda/{fname}:" in r.stdout, r.stdout
