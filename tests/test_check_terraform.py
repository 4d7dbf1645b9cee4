"""The CI gate over Terraform configuration (.tf folders) in real git repositories: base and head
paired by Terraform address, local modules outside the checked folder read on both sides,
--param and --var-file, SARIF at the statement's line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.schema import load

ROLE = '''
resource "aws_iam_role" "worker" {
  name               = "${var.prefix}-worker"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "worker" {
  name = "worker"
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      Resource = module.table.arn
    }]
  })
}
'''

FUNCTION = '''
variable "prefix" {
  default = "jobs"
}

module "table" {
  source = "../../modules/table"
  name   = "${var.prefix}-results"
}

resource "aws_lambda_function" "worker" {
  function_name = "${var.prefix}-worker"
  role          = aws_iam_role.worker.arn
  handler       = "app.handler"
  runtime       = "python3.12"
}
'''

TABLE_MODULE = '''
variable "name" {}

resource "aws_dynamodb_table" "this" {
  name     = var.name
  hash_key = "id"
}

output "arn" {
  value = aws_dynamodb_table.this.arn
}
'''


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def check_json(*args) -> tuple[int, dict, str]:
    r = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json"])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, load("check"))
    return r.exit_code, doc, r.stderr


def repo_with_base(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    write(repo / "envs" / "prod" / "main.tf", FUNCTION)
    write(repo / "envs" / "prod" / "iam.tf", ROLE)
    write(repo / "modules" / "table" / "main.tf", TABLE_MODULE)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def test_an_unchanged_configuration_with_a_resource_moved_to_another_file_adds_nothing(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    # the role moves from iam.tf to main.tf: same address, same resource
    (repo / "envs" / "prod" / "iam.tf").unlink()
    write(repo / "envs" / "prod" / "main.tf", FUNCTION + ROLE)
    monkeypatch.chdir(repo)
    code, doc, _ = check_json("envs/prod", "--base", "HEAD", "--fail-on-new-access")
    assert code == 0 and doc["new_access"] == [] and doc["removed_access"] == []
    assert doc["summary"]["functions"] == 1


def test_a_widened_statement_is_new_access_at_its_line_and_blocks(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    wider = ROLE.replace('["dynamodb:GetItem", "dynamodb:PutItem"]', '["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteTable"]')
    write(repo / "envs" / "prod" / "iam.tf", wider)
    monkeypatch.chdir(repo)
    code, doc, _ = check_json("envs/prod", "--base", "HEAD", "--fail-on-new-access")
    assert code == 1
    (new,) = doc["new_access"]
    assert new["actions"] == ["dynamodb:DeleteTable"]
    # the table ARN came from the local module outside the checked folder, on both sides
    assert new["resources"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/jobs-results"]
    assert new["location"]["path"] == "envs/prod/iam.tf"
    # the line of the statement's object inside jsonencode
    assert wider.splitlines()[new["location"]["line"] - 1].strip() == "Statement = [{"


def test_param_and_var_file_reach_the_configuration(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    write(repo / "prod.tfvars", 'prefix = "billing"\n')
    monkeypatch.chdir(repo)
    _, doc, _ = check_json("envs/prod", "--var-file", "prod.tfvars")
    assert [f["name"] for f in doc["functions"]] == ["billing-worker"]
    _, doc, _ = check_json("envs/prod", "--var-file", "prod.tfvars", "--param", "prefix=ledger")
    assert [f["name"] for f in doc["functions"]] == ["ledger-worker"]


def test_a_broken_tf_file_is_named_with_its_line_blocks_and_exit_2_only_when_nothing_is_usable(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    write(repo / "envs" / "prod" / "broken.tf", 'resource "aws_sqs_queue" "q" {\n  name = \n}\n')
    monkeypatch.chdir(repo)
    code, doc, err = check_json("envs/prod")
    # the gate cannot vouch for an unreadable file (it blocks), and still checks the rest
    assert code == 1 and doc["summary"]["functions"] == 1
    assert [f["rule"] for f in doc["findings"] if f["severity"] == "critical"] == ["IA-INPUT"]
    assert "envs/prod/broken.tf: line 2: invalid HCL" in err and "Traceback" not in err
    write(tmp_path / "only" / "main.tf", "resource {{{\n")
    r = CliRunner().invoke(main, ["check", str(tmp_path / "only")])
    assert r.exit_code == 2 and "main.tf: line 1: invalid HCL" in r.stderr


def test_pre_commit_passes_staged_tf_files_and_each_reads_its_module(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    write(repo / "package.json", "{}")
    monkeypatch.chdir(repo)
    code, doc, _ = check_json("envs/prod/iam.tf", "package.json", "--skip-unrecognised")
    assert code == 0 and [i["path"] for i in doc["inputs"]] == ["envs/prod"]
    assert [f["name"] for f in doc["functions"]] == ["jobs-worker"]  # declared in main.tf, beside iam.tf
    hooks = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert "|tf)$" in hooks


def test_a_module_installed_by_terraform_init_is_read_and_one_not_installed_is_listed(tmp_path):
    root = tmp_path / "app"
    write(root / "main.tf", '''
module "fn" {
  source  = "example/lambda/aws"
  version = "1.0.0"
  name    = "reports"
}
module "other" {
  source = "git::https://example.com/other.git"
}
''')
    write(root / ".terraform" / "modules" / "fn" / "main.tf", '''
variable "name" {}
resource "aws_iam_role" "this" {
  name               = "${var.name}-role"
  assume_role_policy = "{}"
}
resource "aws_lambda_function" "this" {
  function_name = var.name
  role          = aws_iam_role.this.arn
}
''')
    write(root / ".terraform" / "modules" / "modules.json", json.dumps({"Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "fn", "Source": "registry.terraform.io/example/lambda/aws", "Version": "1.0.0",
         "Dir": ".terraform/modules/fn"}]}))
    from iam_analyzer.collect.iac import read_paths

    r = read_paths([root])
    (fn,) = r.snapshot.functions()
    assert (fn.name, fn.location.logical_id) == ("reports", "module.fn.aws_lambda_function.this")
    assert fn.role_arn == "arn:aws:iam::123456789012:role/reports-role"
    (u,) = [u for u in r.unresolved if u.what.startswith("module.other:")]
    assert u.path == str(root / "main.tf") and u.line == 7


def test_new_role_reads_a_terraform_function_with_var_file(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    write(repo / "prod.tfvars", 'prefix = "billing"\n')
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(main, ["new-role", "--template", "envs/prod/main.tf", "--var-file", "prod.tfvars",
                                  "--function", "billing-worker", "--account", "123456789012", "--region", "us-east-1"])
    assert r.exit_code == 0, r.stderr
    # what the function's configuration needs, on its own log group (the name from the var file)
    assert "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/billing-worker:*" in r.stdout
    assert "refused" not in r.stderr and "no function" not in r.stderr
    r = CliRunner().invoke(main, ["new-role", "--template", "envs/prod", "--param", "prefix=ledger",
                                  "--function", "billing-worker"])
    assert r.exit_code == 2 and "ledger-worker" in r.stderr  # the name the variable gives


def test_a_plan_beside_the_configuration_is_said_in_the_report(tmp_path):
    folder = tmp_path / "stack"
    plan = json.loads((Path(__file__).parent / "data" / "iac" / "terraform" / "shop.plan.json").read_text())
    write(folder / "plan.json", json.dumps(plan))
    write(folder / "extra.tf", 'resource "aws_lambda_function" "extra" {\n  function_name = "only-in-config"\n'
                               '  role = "arn:aws:iam::123456789012:role/orders-api-role"\n}\n')
    code, doc, err = check_json(folder)
    assert {i["kind"] for i in doc["inputs"]} == {"terraform-plan", "terraform"}
    assert "only-in-config" in {f["name"] for f in doc["functions"]} and "orders-api" in {f["name"] for f in doc["functions"]}
    assert any("the plan wins" in n for n in doc["notes"]) and "the plan wins" in err


def test_sarif_points_at_the_statement_inside_the_tf_file(tmp_path, monkeypatch):
    repo = repo_with_base(tmp_path)
    star = ROLE.replace('Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]', 'Action   = "*"').replace(
        "Resource = module.table.arn", 'Resource = "*"')
    write(repo / "envs" / "prod" / "iam.tf", star)
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(main, ["check", "envs/prod", "--format", "sarif"])
    assert r.exit_code == 1  # Action "*" on "*" blocks
    results = json.loads(r.stdout)["runs"][0]["results"]
    places = {(x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               x["locations"][0]["physicalLocation"]["region"]["startLine"]) for x in results}
    line = star.splitlines().index("    Statement = [{") + 1
    assert ("envs/prod/iam.tf", line) in places
