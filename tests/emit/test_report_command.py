"""iam-analyzer report: the same reports from files, offline (snapshot or GAAD alone)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from iam_analyzer import stages
from iam_analyzer.cli import main
from tests.emit.account import A, TRUST, snapshot, usage


def files(tmp_path):
    snap = snapshot()
    use = usage(snap)
    snap.save(tmp_path / "snapshot.json")
    (tmp_path / "usage.json").write_text(json.dumps(use))
    analysis = stages.analyze(snap, use)
    (tmp_path / "findings.json").write_text(json.dumps(analysis.document({"snapshot": "snapshot.json"})))
    stages.write_policies(stages.generate(snap, use), tmp_path / "policies")
    return snap, analysis


def test_report_from_the_files_an_audit_leaves(tmp_path):
    snap, analysis = files(tmp_path)
    out = tmp_path / "review"
    res = CliRunner().invoke(main, ["report", "--snapshot", str(tmp_path / "snapshot.json"), "--usage", str(tmp_path / "usage.json"),
                                    "--findings", str(tmp_path / "findings.json"), "--policies", str(tmp_path / "policies"),
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("report.html", "report.json", "report.sarif", "report.md"):
        assert (out / name).stat().st_size > 0
    model = json.loads((out / "report.json").read_text())
    assert [f["fingerprint"] for f in model["findings"]] == [f.fingerprint for f in analysis.reported]
    worker = next(f for f in model["functions"] if f["name"] == "worker-a")
    assert worker["policy"] and worker["verified"] is True and worker["diff"]["added"]
    assert any("read from" in n for n in model["notes"])
    html = (out / "report.html").read_text()
    assert 'id="overview"' in html and "Escalation path: deployer-role" in html


def test_findings_come_from_the_file_not_from_the_rules(tmp_path):
    files(tmp_path)
    doc = json.loads((tmp_path / "findings.json").read_text())
    doc["findings"] = [dict(doc["findings"][0], message="only this one", rule_id="ORG001", title="An in-house rule")]
    doc["rules"]["ORG001"] = {"title": "An in-house rule", "severity": "low", "category": "house"}
    (tmp_path / "findings.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["report", "--snapshot", str(tmp_path / "snapshot.json"), "--findings",
                                    str(tmp_path / "findings.json"), "-o", str(tmp_path / "o"), "--format", "json,md"])
    assert res.exit_code == 0, res.output
    model = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [f["message"] for f in model["findings"]] == ["only this one"]
    assert model["rules"]["ORG001"]["title"] == "An in-house rule"
    assert not (tmp_path / "o" / "report.html").exists() and (tmp_path / "o" / "report.md").exists()


def test_report_from_a_gaad_file_alone_shows_roles_escalations_and_findings(tmp_path):
    snap = snapshot()
    gaad = {"RoleDetailList": [{"RoleName": r.name, "Arn": r.arn, "Path": "/", "AssumeRolePolicyDocument": TRUST,
                                "RolePolicyList": [{"PolicyName": p.name, "PolicyDocument": p.document} for p in r.inline_policies],
                                "AttachedManagedPolicies": []} for r in snap.roles()]
            + [{"RoleName": "ci", "Arn": f"arn:aws:iam::{A}:role/ci", "Path": "/", "AssumeRolePolicyDocument": TRUST,
                "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
                     "Resource": "*"}]}}], "AttachedManagedPolicies": []}],
            "UserDetailList": [], "GroupDetailList": [], "Policies": []}
    (tmp_path / "gaad.json").write_text(json.dumps(gaad))
    res = CliRunner().invoke(main, ["report", "--gaad", str(tmp_path / "gaad.json"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    model = json.loads((tmp_path / "o" / "report.json").read_text())
    assert {r["name"] for r in model["overview"]["rows"]} == {"admin-role", "deployer-role", "shared-role", "ci"}
    assert any(e["principal"].endswith("role/ci") and e["yields"].startswith("administrator") for e in model["escalations"])
    assert {"IAM004", "IAM005"} <= {f["rule_id"] for f in model["findings"]}
    html = (tmp_path / "o" / "report.html").read_text()
    assert "Escalation path: ci can reach administrator" in html and ">ci<" in html


def test_a_path_through_any_role_lambda_can_be_passed_names_roles_only(tmp_path):
    # alice assumes ci, which may pass any role to Lambda (a class of roles in the graph)
    snap = snapshot()
    role_list = [{"RoleName": r.name, "Arn": r.arn, "Path": "/", "AssumeRolePolicyDocument": TRUST,
                  "RolePolicyList": [{"PolicyName": p.name, "PolicyDocument": p.document} for p in r.inline_policies],
                  "AttachedManagedPolicies": []} for r in snap.roles()]
    ci = f"arn:aws:iam::{A}:role/ci"
    role_list.append({"RoleName": "ci", "Arn": ci, "Path": "/", "AttachedManagedPolicies": [],
                      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                          {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"}, "Action": "sts:AssumeRole"}]},
                      "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                          {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
                           "Resource": "*"}]}}]})
    alice = {"UserName": "alice", "Arn": f"arn:aws:iam::{A}:user/alice", "Path": "/", "GroupList": [],
             "AttachedManagedPolicies": [], "UserPolicyList": [{"PolicyName": "a", "PolicyDocument": {
                 "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ci}]}}]}
    (tmp_path / "gaad.json").write_text(json.dumps({"RoleDetailList": role_list, "UserDetailList": [alice],
                                                    "GroupDetailList": [], "Policies": []}))
    res = CliRunner().invoke(main, ["report", "--gaad", str(tmp_path / "gaad.json"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    model = json.loads((tmp_path / "o" / "report.json").read_text())
    assert not [r for r in model["overview"]["rows"] if r["arn"].startswith("class:")]
    assert not [e for e in model["overview"]["edges"] if "class:" in e["from"] + e["to"]]
    path = next(e for e in model["escalations"] if e["principal"].endswith("user/alice"))["path"]
    assert [h["to"] for h in path] == [ci, f"arn:aws:iam::{A}:role/admin-role"]
    for name in ("report.html", "report.md"):
        assert "class:" not in (tmp_path / "o" / name).read_text(), name
    assert "Escalation path: alice can reach administrator in 2 step(s)" in (tmp_path / "o" / "report.html").read_text()
    md = (tmp_path / "o" / "report.md").read_text()
    assert "Escalation paths: 3" in md
    assert "| alice (user) | alice \u2014AssumeRole\u2192 ci \u2014PassRoleLambdaInvoke\u2192 admin-role" in md
    assert "deployer-role \u2014UpdateFunctionCode\u2192 admin-role (first step: 2 targets)" in md
    assert "conditional: needs an existing Lambda function that runs as admin-role" in md


def test_unusable_input_exits_2_with_one_line_naming_the_file(tmp_path):
    files(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "iam-analyzer-findings", "findings": [')
    base = ["report", "--snapshot", str(tmp_path / "snapshot.json"), "-o", str(tmp_path / "o")]
    for extra, needle in ((["--findings", str(bad)], "bad.json: line 1"),
                          (["--findings", str(tmp_path / "usage.json")], "not a findings file"),
                          (["--policies", str(tmp_path / "nowhere")], "summary.json: no such file"),
                          (["--format", "html,pdf"], "pdf")):
        res = CliRunner().invoke(main, base + extra)
        assert res.exit_code == 2, (extra, res.output)
        assert needle in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["report", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "exactly one of --snapshot or --gaad" in res.output


def test_entries_that_cannot_be_used_are_named_and_the_rest_is_reported(tmp_path):
    files(tmp_path)
    summary = json.loads((tmp_path / "policies" / "summary.json").read_text())
    summary["functions"].append(dict(summary["functions"][0], function=f"arn:aws:lambda:us-east-1:{A}:function:gone"))
    (tmp_path / "policies" / "summary.json").write_text(json.dumps(summary))
    doc = json.loads((tmp_path / "findings.json").read_text())
    doc["findings"].append({"rule_id": "IAM001", "severity": "urgent"})
    (tmp_path / "findings.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["report", "--snapshot", str(tmp_path / "snapshot.json"), "--findings",
                                    str(tmp_path / "findings.json"), "--policies", str(tmp_path / "policies"),
                                    "-o", str(tmp_path / "o"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "findings.json: findings[" in res.stderr and "function not in the snapshot; skipped" in res.stderr
    model = json.loads((tmp_path / "o" / "report.json").read_text())
    assert len(model["findings"]) == len(doc["findings"]) - 1
    assert sum(1 for f in model["functions"] if f["policy"]) == 4


def test_a_cloudformation_policies_folder_is_read_too(tmp_path):
    snap = snapshot()
    use = usage(snap)
    snap.save(tmp_path / "snapshot.json")
    stages.write_policies(stages.generate(snap, use), tmp_path / "cfn", "cloudformation")
    res = CliRunner().invoke(main, ["report", "--snapshot", str(tmp_path / "snapshot.json"), "--policies", str(tmp_path / "cfn"),
                                    "-o", str(tmp_path / "o"), "--format", "json"])
    assert res.exit_code == 0, res.output
    model = json.loads((tmp_path / "o" / "report.json").read_text())
    worker = next(f for f in model["functions"] if f["name"] == "worker-a")
    assert worker["policy"][0]["Statement"] and worker["diff"]["added"]
