"""Escalation, who-can and blast radius on a GAAD combined with real-world SCP and RCP files
(deny-list with aws:PrincipalArn exemptions, allow-list, region guard, data-perimeter RCP):
paths the guardrails block are cleared, the others are still found, exempted principals keep
theirs, and the management account is never restricted."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main

from tests.paths import ROOT

A = "111122223333"
ORGS = ROOT / "tests" / "data" / "orgs"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _pol(*sts):
    return {"Version": "2012-10-17", "Statement": [dict({"Effect": "Allow", "Resource": "*"}, **s) for s in sts]}


def _trust(principal):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def _user(name, doc=None, managed=()):
    return {"UserName": name, "Arn": f"arn:aws:iam::{A}:user/{name}", "Path": "/", "GroupList": [],
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": doc}] if doc else [],
            "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in managed]}


def _role(name, trust, doc, path="/"):
    return {"RoleName": name, "Arn": f"arn:aws:iam::{A}:role{path}{name}", "Path": path, "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": doc}], "AttachedManagedPolicies": []}


@pytest.fixture(scope="module")
def gaad(tmp_path_factory):
    versioned = f"arn:aws:iam::{A}:policy/versioned"
    doc = {
        "UserDetailList": [
            _user("put-self", _pol({"Action": "iam:PutUserPolicy", "Resource": f"arn:aws:iam::{A}:user/put-self"})),
            _user("pass-lambda", _pol({"Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]})),
            _user("policy-version", managed=[versioned]),
            _user("assume-admin"),
        ],
        "GroupDetailList": [],
        "RoleDetailList": [
            _role("lambda-admin", _trust({"Service": "lambda.amazonaws.com"}), ADMIN),
            _role("admin-target", _trust({"AWS": f"arn:aws:iam::{A}:user/assume-admin"}), ADMIN),
            # the platform team's deployer, exempted by the SCPs' aws:PrincipalArn conditions
            _role("platform-deployer", _trust({"Service": "codebuild.amazonaws.com"}),
                  _pol({"Action": "iam:AttachRolePolicy", "Resource": f"arn:aws:iam::{A}:role/platform-deployer"})),
        ],
        "Policies": [{"PolicyName": "versioned", "Arn": versioned, "DefaultVersionId": "v1", "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": True,
             "Document": _pol({"Action": "iam:CreatePolicyVersion", "Resource": versioned})}]}],
    }
    path = tmp_path_factory.mktemp("gaad") / "gaad.json"
    path.write_text(json.dumps(doc))
    return path


def paths(gaad, *args) -> dict[str, list[dict]]:
    res = CliRunner().invoke(main, ["graph", "escalations", "--gaad", str(gaad), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    out: dict[str, list[dict]] = {}
    for e in json.loads(res.stdout)["escalations"]:
        out.setdefault(e["principal"].rsplit("/", 1)[-1], []).append(e)
    return out


def complete(found: dict, name: str) -> bool:
    return any(not e["conditional"] for e in found.get(name, []))


EVERYONE = ("put-self", "pass-lambda", "policy-version", "assume-admin", "platform-deployer")


def test_without_guardrails_every_path_is_found(gaad):
    found = paths(gaad)
    assert all(complete(found, n) for n in EVERYONE), sorted(found)


def test_a_deny_list_scp_clears_what_it_denies_and_keeps_the_exempted_platform_role(gaad):
    found = paths(gaad, "--scp", str(ORGS / "deny-iam-except-platform.json"))
    for cleared in ("put-self", "pass-lambda", "policy-version"):
        assert cleared not in found, found.get(cleared)
    assert complete(found, "assume-admin")  # sts:AssumeRole is not iam:*
    assert complete(found, "platform-deployer")  # exempted by aws:PrincipalArn


def test_a_guard_on_passrole_and_createfunction_clears_only_that_path(gaad):
    found = paths(gaad, "--scp", str(ORGS / "guard-passrole-createfunction.json"))
    assert "pass-lambda" not in found
    assert all(complete(found, n) for n in ("put-self", "policy-version", "assume-admin", "platform-deployer"))


def test_an_allow_list_scp_blocks_every_action_it_omits_even_for_the_platform_role(gaad):
    # the list keeps what functions and deployments need (iam:PassRole among them) and omits
    # IAM's writes: whoever holds everything the list allows is an administrator within it
    found = paths(gaad, "--scp", str(ORGS / "allow-list.json"))
    for cleared in ("put-self", "policy-version", "platform-deployer"):
        assert cleared not in found, found.get(cleared)
    assert complete(found, "pass-lambda")  # PassRole and Lambda stay open: the path to lambda-admin too
    assert complete(found, "assume-admin")


def test_an_administrator_under_an_exempting_deny_list_reaches_the_exempted_role(tmp_path):
    """The SCP denies IAM to everyone but role/platform-*: an administrator that can assume
    the platform role escapes the guardrail, and that path is found."""
    doc = {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [
        _role("ops-admin", _trust({"Service": "lambda.amazonaws.com"}), ADMIN),
        _role("platform-tools", _trust({"AWS": f"arn:aws:iam::{A}:role/ops-admin"}),
              _pol({"Action": "iam:PutRolePolicy", "Resource": f"arn:aws:iam::{A}:role/platform-tools"}))]}
    g = tmp_path / "g.json"
    g.write_text(json.dumps(doc))
    assert "ops-admin" not in paths(g)  # an administrator gains nothing
    found = paths(g, "--scp", str(ORGS / "deny-iam-except-platform.json"))
    assert any(e["path"][0]["to"].endswith("role/platform-tools") and not e["conditional"] for e in found["ops-admin"])
    # an undecidable region guard does not turn administrators into escalation sources
    assert "ops-admin" not in paths(g, "--scp", str(ORGS / "region-deny.json"))


def test_the_management_account_is_never_restricted(gaad, tmp_path):
    text = json.loads((ORGS / "guard-passrole-createfunction.json").read_text())
    # the same SCP, read from describe-policy in an organization whose management account is this one
    text["Policy"]["PolicySummary"]["Arn"] = f"arn:aws:organizations::{A}:policy/o-exampleorg/service_control_policy/p-guard1234"
    (tmp_path / "mgmt.json").write_text(json.dumps(text))
    deny_all = tmp_path / "deny-all.json"
    deny_all.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}))
    found = paths(gaad, "--scp", str(tmp_path / "mgmt.json"), "--scp", str(deny_all))
    assert all(complete(found, n) for n in EVERYONE)


def test_an_undecidable_scp_condition_makes_the_path_conditional_and_names_the_statement(gaad):
    found = paths(gaad, "--scp", str(ORGS / "region-deny.json"))
    assert complete(found, "put-self")  # iam is outside the region guard
    (e,) = [e for e in found["pass-lambda"] if e["method"] == "PassRoleLambdaInvoke"]
    assert e["conditional"] and "DenyOutsideEu" in e["requires"] and "Statement[0]" in e["requires"]


def test_an_rcp_on_sts_is_decided_by_the_principals_organization(gaad):
    rcp = str(ORGS / "rcp-org-only.json")
    alone = paths(gaad, "--rcp", rcp)
    # the organization is unknown: whether the caller is inside it cannot be told
    assert "assume-admin" in alone and not complete(alone, "assume-admin")
    # the describe-policy file names the organization: the caller is inside it, the RCP lets it through
    with_org = paths(gaad, "--rcp", rcp, "--scp", str(ORGS / "guard-passrole-createfunction.json"))
    assert complete(with_org, "assume-admin")


def test_who_can_and_blast_radius_use_the_same_guardrails(gaad):
    scp = str(ORGS / "deny-iam-except-platform.json")
    res = CliRunner().invoke(main, ["graph", "who-can", "iam:AttachRolePolicy", f"arn:aws:iam::{A}:role/platform-deployer",
                                    "--gaad", str(gaad), "--format", "json", "--scp", scp])
    who = {r["principal"].rsplit("/", 1)[-1] for r in json.loads(res.stdout)["principals"]}
    assert who == {"platform-deployer"}  # the administrators are denied iam:* by the SCP
    res = CliRunner().invoke(main, ["graph", "who-can", "iam:AttachRolePolicy", f"arn:aws:iam::{A}:role/platform-deployer",
                                    "--gaad", str(gaad), "--format", "json"])
    assert {"lambda-admin", "admin-target", "platform-deployer"} <= {
        r["principal"].rsplit("/", 1)[-1] for r in json.loads(res.stdout)["principals"]}
    before = json.loads(CliRunner().invoke(main, ["graph", "blast-radius", "lambda-admin", "--gaad", str(gaad),
                                                  "--format", "json"]).stdout)
    after = json.loads(CliRunner().invoke(main, ["graph", "blast-radius", "lambda-admin", "--gaad", str(gaad),
                                                 "--format", "json", "--scp", scp]).stdout)
    assert after["granted_actions"] == before["granted_actions"] - after["denied_by_guardrails"]
    assert after["denied_by_guardrails"] > 100  # every iam action
    assert "iam" not in after["direct"] or after["direct"]["iam"]["actions"] == 0


def test_a_bad_scp_file_is_one_line_naming_it_and_the_rest_is_used(gaad, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Statement": [{"Effect": "Deny", "Action": 5}]}')
    res = CliRunner().invoke(main, ["graph", "escalations", "--gaad", str(gaad), "--format", "json",
                                    "--scp", str(bad), "--scp", str(ORGS / "guard-passrole-createfunction.json")])
    assert res.exit_code == 0
    assert "Traceback" not in res.output and f"--scp {bad}: Statement[0].Action" in res.stderr
    names = {e["principal"].rsplit("/", 1)[-1] for e in json.loads(res.stdout)["escalations"]}
    assert "pass-lambda" not in names and "put-self" in names


def test_an_organization_whose_scps_allow_everything_changes_no_answer(gaad, tmp_path):
    full = tmp_path / "full.json"
    full.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    assert paths(gaad, "--scp", str(full)) == paths(gaad)
