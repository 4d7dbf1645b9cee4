"""Shared helpers for the public-style projects (tests/data/iac/public_style): what a role grants,
read from the reader's model, and the CI gate run in a fresh git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from iam_analyzer.cli import main

from ..paths import DATA

ROOT = DATA / "iac" / "public_style"

# What the Serverless Framework writes into the role it generates (lib/plugins/aws/package/lib/
# mergeIamTemplates.js and the event compilers), and the AWS managed policies' documents, written
# out here by hand from the framework's and AWS's documentation
LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:TagResource"}
BASIC = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}  # AWSLambdaBasicExecutionRole
SQS_POLL = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
KINESIS_POLL = {"kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListStreams"}
DDB_POLL = {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"}
XRAY_WRITE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
XRAY_DAEMON = XRAY_WRITE | {"xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}
VPC_ACCESS = {"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
              "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}
S3_READ_ONLY = {"s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"}


def _listed(st: dict, key: str) -> list[str]:
    v = st.get(key, [])
    return [v] if isinstance(v, str) else list(v)


def documents(result, fn) -> list[dict]:
    """Every identity policy document of the function's role: inline, then attached."""
    role = result.snapshot.find_role(fn.role_arn)
    assert role is not None, f"{fn.name}: its role {fn.role_arn} was not read"
    docs = [p.document for p in role.inline_policies]
    for arn in role.managed_policy_arns:
        pol = result.snapshot.find_policy(arn)
        assert pol is not None, f"{fn.name}: attached policy {arn} has no document"
        docs.append(pol.document)
    return docs


def statements(doc: dict) -> list[dict]:
    st = doc.get("Statement", [])
    return [st] if isinstance(st, dict) else list(st)  # IAM takes one statement object as well as a list


def granted(result, fn) -> set[str]:
    """The actions the function's role allows, as the files write them."""
    return {a for d in documents(result, fn) for st in statements(d)
            if st.get("Effect") == "Allow" for a in _listed(st, "Action")}


def grants(result, fn) -> set[tuple[str, str]]:
    return {(a, r) for d in documents(result, fn) for st in statements(d) if st.get("Effect") == "Allow"
            for a in _listed(st, "Action") for r in _listed(st, "Resource")}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def committed(src: Path, tmp_path: Path) -> Path:
    """The project copied into a fresh git repository with one commit."""
    root = tmp_path / "repo"
    shutil.copytree(src, root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def check(*args) -> tuple[int, dict, str]:
    r = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json"])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert "Traceback" not in r.output
    return r.exit_code, json.loads(r.stdout), r.output


def assert_quiet_against_head(src: Path, tmp_path: Path, monkeypatch, expected_functions) -> None:
    """A project committed unchanged, checked against its own HEAD: every function found, no
    new or removed access, nothing at or above high."""
    root = committed(src, tmp_path)
    monkeypatch.chdir(root)
    code, doc, _ = check(".", "--base", "HEAD", "--fail-on", "high", "--fail-on-new-access")
    assert doc["new_access"] == [] and doc["removed_access"] == []
    assert sorted(f["name"] for f in doc["functions"]) == sorted(expected_functions)
    blocking = [f for f in doc["findings"] if f["severity"] in ("critical", "high")]
    assert code == 0 and blocking == [], blocking
