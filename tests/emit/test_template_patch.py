"""generate --template / --patch: the generated policy written into the template that owns
the role, every patch proved by the CI gate against the original.

The "deployed" snapshot is the template read by the IaC reader, renamed as CloudFormation
names physical resources and tagged as it tags functions (stack name, logical id), so the
functions are found by their tags, not by name.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.iac import read_paths
from iam_analyzer.emit.inventory_view import role_policies
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from tests.analyze.test_generate import usage
from tests.paths import DATA

ACCT, REGION = "111122223333", "us-east-1"
TEMPLATE = DATA / "patch" / "template.yaml"
NAMES = {"Api": "orders-Api-1A2B3C", "ApiRole": "orders-ApiRole-4D5E6F",
         "Worker": "orders-Worker-7G8H9I", "WorkerRole": "orders-WorkerRole-0J1K2L"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "template.yaml").write_text(TEMPLATE.read_text())
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    snap = read_paths([TEMPLATE], account=ACCT, region=REGION).snapshot
    text = json.dumps(snap.to_json())
    for logical, name in NAMES.items():  # the reader's "<stack>-<logical id>-*" becomes a physical name
        text = re.sub(rf'[A-Za-z0-9]+-{logical}-\*(?=[":])', name, text)
    data = json.loads(text)
    for f in data["accounts"][0]["functions"]:
        f["tags"] = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": f["location"]["logical_id"]}
        f.pop("location")
    for r in data["accounts"][0]["roles"]:
        r.pop("location")
    (tmp_path / "snapshot.json").write_text(json.dumps(data))
    table = f"arn:aws:dynamodb:{REGION}:{ACCT}:table/orders"
    topic = f"arn:aws:sns:{REGION}:{ACCT}:alerts"
    doc = usage({"action": "dynamodb:GetItem", "resource": table}, {"action": "sns:Publish", "resource": topic},
                data={"dynamodb": {table: 10}, "sns": {topic: 3}})
    api_role = f"arn:aws:iam::{ACCT}:role/{NAMES['ApiRole']}"
    worker_role = f"arn:aws:iam::{ACCT}:role/{NAMES['WorkerRole']}"
    doc["principals"] = [dict(doc["principals"][0], arn=api_role, session=NAMES["Api"]),
                         dict(doc["principals"][0], arn=worker_role, session=NAMES["Worker"],
                              actions=[dict(doc["principals"][0]["actions"][0], action="sqs:GetQueueUrl",
                                            resource=f"arn:aws:sqs:{REGION}:{ACCT}:jobs")])]
    doc["coverage"][0]["services"] = ["dynamodb", "sqs", "sns", "s3"]
    (tmp_path / "usage.json").write_text(json.dumps(doc))
    return repo


def _generate(repo: Path, *extra) -> tuple[int, str]:
    tmp = repo.parent
    r = CliRunner().invoke(main, ["generate", "--snapshot", str(tmp / "snapshot.json"), "--usage", str(tmp / "usage.json"),
                                  "-o", str(tmp / "out"), "--template", str(repo / "infra"), *map(str, extra)])
    return r.exit_code, r.output


def _check(repo: Path, patched: Path, original: Path) -> dict:
    r = CliRunner().invoke(main, ["check", str(patched), "--base", str(original), "--account", ACCT, "--format", "json"])
    return json.loads(r.output)


def test_the_template_is_patched_in_place_and_passes_the_gate_against_its_original(repo):
    code, output = _generate(repo)
    assert code == 0, output
    path = repo / "infra" / "template.yaml"
    new, old = path.read_text(), TEMPLATE.read_text()
    assert new != old
    assert "patched in" in output
    # comments, short-form tags and untouched resources stay exactly as written
    for line in ("Description: orders service   # kept as written", "  # the API handler", "          TABLE: !Ref Orders",
                 "      Role: !GetAtt WorkerRole.Arn", "      KeySchema: [{AttributeName: id, KeyType: HASH}]",
                 "  Stage: {Type: String, Default: prod}"):
        assert line in new.splitlines(), line
    # the SAM function keeps the policy template it uses fully, loses the one it does not
    assert "        - SNSPublishMessagePolicy:   # every grant of it is used: it stays" in new.splitlines()
    assert "DynamoDBReadPolicy" not in new
    # the worker's role: its broad policy, managed policy and the separate policy resource are gone
    assert "ManagedPolicyArns" not in new and "Extra:" not in new and '"sqs:*"' not in new
    doc = _check(repo, path, TEMPLATE)
    assert doc["new_access"] == []
    assert not [f for f in doc["findings"] if f.get("source") == "lint" and f["severity"] == "high"]
    assert doc["removed_access"], "the generator dropped unused grants"
    # every permission the generator kept (observed, required, unverified) is still allowed on the patched roles
    head = read_paths([path], account=ACCT, region=REGION).snapshot
    explains = {json.loads(p.read_text())["function"]: json.loads(p.read_text())
                for p in (repo.parent / "out").glob("*.explain.json")}
    for fn in head.functions():
        deployed = next(a for a in explains if a.endswith(fn.location.logical_id + "-" + a.rsplit("-", 1)[-1]))
        policies = role_policies(head, head.find_role(fn.role_arn))
        for e in explains[deployed]["kept"]:
            if "conditions" not in e:
                assert evaluate(Request(e["action"], e["resource"]), policies).result is Result.ALLOW, e
    # so the removed access (original minus patched) holds nothing the generator kept: only what it dropped


def test_patch_writes_a_diff_that_git_applies_and_leaves_the_template_alone(repo):
    diff = repo.parent / "change.patch"
    code, output = _generate(repo, "--patch", diff)
    assert code == 0, output
    assert (repo / "infra" / "template.yaml").read_text() == TEMPLATE.read_text()
    text = diff.read_text()
    assert text.startswith("--- a/infra/template.yaml\n+++ b/infra/template.yaml\n")
    git(repo, "apply", "--check", str(diff))
    git(repo, "apply", str(diff))
    doc = _check(repo, repo / "infra" / "template.yaml", TEMPLATE)
    assert doc["new_access"] == []
    # only the lines of the two functions' permissions changed
    removed = [line for line in text.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert all(any(w in line for w in ("Policies", "Statement", "Effect", "Action", "Resource", "PolicyName",
                                        "PolicyDocument", "Version", "ManagedPolicyArns", "AWSLambdaBasic",
                                        "Extra", "Type: AWS::IAM::Policy", "Properties", "Roles", "TableName",
                                        "DynamoDBReadPolicy", "- {Effect")) for line in removed), removed


def test_terraform_blocks_address_the_role_and_list_what_to_remove(repo):
    infra = repo / "infra"
    (infra / "template.yaml").unlink()
    (infra / "main.tf").write_text(
        'resource "aws_iam_role" "worker" {\n'
        f'  name = "{NAMES["WorkerRole"]}"\n'
        '  assume_role_policy = jsonencode({})\n'
        '  managed_policy_arns = [\n    "arn:aws:iam::aws:policy/AdministratorAccess",\n  ]\n'
        '}\n\n'
        'resource "aws_iam_role_policy" "broad" {\n'
        '  name = "broad"\n  role = aws_iam_role.worker.id\n'
        '  policy = <<EOF\n{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\nEOF\n'
        '}\n')
    code, output = _generate(repo)
    assert code == 0, output
    text = (repo.parent / "out" / "terraform" / f"{NAMES['WorkerRole']}.tf").read_text()
    assert 'data "aws_iam_policy_document"' in text
    assert "role   = aws_iam_role.worker.id" in text
    assert f"{infra / 'main.tf'}:9-15  aws_iam_role_policy.broad" in text
    assert f"{infra / 'main.tf'}:4-6  managed_policy_arns of aws_iam_role.worker" in text
    # a role no .tf file declares is named by its name
    api = (repo.parent / "out" / "terraform" / f"{NAMES['ApiRole']}.tf").read_text()
    assert f'role   = "{NAMES["ApiRole"]}"' in api


def test_a_json_template_keeps_its_key_order_and_indentation(repo):
    from iam_analyzer.collect.iac.loader import load_file, plain

    infra = repo / "infra"
    original = json.dumps(plain(load_file(TEMPLATE)), indent=4) + "\n"
    (infra / "template.yaml").unlink()
    (infra / "template.json").write_text(original)
    code, output = _generate(repo)
    assert code == 0, output
    new = (infra / "template.json").read_text()
    assert new.startswith('{\n    "AWSTemplateFormatVersion": "2010-09-09",\n    "Transform"')
    assert list(json.loads(new)["Resources"]) == [k for k in json.loads(original)["Resources"] if k != "Extra"]
    base = repo.parent / "base" / "template.json"
    base.parent.mkdir()
    base.write_text(original)
    doc = _check(repo, infra / "template.json", base)
    assert doc["new_access"] == [] and doc["removed_access"]


def test_functions_the_templates_cannot_take_are_named_with_why(repo):
    path = repo / "infra" / "template.yaml"
    path.write_text(TEMPLATE.read_text().replace("      Role: !GetAtt WorkerRole.Arn",
                                                 f"      Role: arn:aws:iam::{ACCT}:role/made-elsewhere"))
    (repo / "infra" / "broken.yaml").write_text("Resources: [unclosed\n")
    code, output = _generate(repo)
    assert code == 0, output
    assert f"{NAMES['Worker']}: no patch: its role is not declared in the template" in output
    assert f"{NAMES['Api']}: patched in" in output
    assert "broken.yaml" in output and "Traceback" not in output
    r = CliRunner().invoke(main, ["generate", "--snapshot", str(repo.parent / "snapshot.json"), "--usage",
                                  str(repo.parent / "usage.json"), "-o", str(repo.parent / "o2"), "--patch", "x.diff"])
    assert r.exit_code == 2 and "--patch needs --template" in r.output


def test_a_patch_that_would_grant_more_than_the_template_is_not_written(repo):
    """Drift: the deployed role grants s3:* but the template in the repository no longer does.
    The policy generated from the account keeps S3 grants it cannot prove unused; written into
    this template they would be new access, so the gate refuses that patch."""
    path = repo / "infra" / "template.yaml"
    drifted = TEMPLATE.read_text().replace('Action: ["dynamodb:*", "s3:*"]', 'Action: ["dynamodb:*"]')
    path.write_text(drifted)
    code, output = _generate(repo)
    assert code == 1, output
    assert f"{NAMES['Api']}: no patch: the patch failed the gate: new access: s3:" in output
    assert "1 patch(es) failed the gate and were not written" in output
    new = path.read_text()
    assert 'Action: ["dynamodb:*"]' in new and "DynamoDBReadPolicy" in new  # the function's part is untouched
    assert "ManagedPolicyArns" not in new  # the worker's role was patched


def test_a_role_declared_without_its_function_is_found_by_the_roles_own_stack_tags(repo):
    path = repo / "infra" / "template.yaml"
    text = TEMPLATE.read_text()
    worker = text[text.index("  Worker:\n"):text.index("  WorkerRole:\n")]
    path.write_text(text.replace(worker, ""))  # the function is deployed from another stack
    snap_path = repo.parent / "snapshot.json"
    data = json.loads(snap_path.read_text())
    for f in data["accounts"][0]["functions"]:
        if f["name"] == NAMES["Worker"]:
            f["tags"] = {}
    for r in data["accounts"][0]["roles"]:
        if r["name"] == NAMES["WorkerRole"]:
            r["tags"] = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": "WorkerRole"}
    snap_path.write_text(json.dumps(data))
    code, output = _generate(repo)
    assert code == 0, output
    assert f"{NAMES['Worker']}: patched in {path} (role stack tags)" in output
    new = path.read_text()
    assert "ManagedPolicyArns" not in new and f"PolicyName: {NAMES['Worker']}-least-privilege" in new
