"""check and the organization's guardrails: new access that the SCPs deny anyway is reported
apart ("new, denied by SCP ...") and does not count for --fail-on-new-access; the rest of the
change is still new access. The base is a real git repository in tmp_path."""

from __future__ import annotations

import json
import subprocess

import jsonschema
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.schema import load

from tests.paths import ROOT
from tests.test_check import CFN, write

GUARD = ROOT / "tests" / "data" / "orgs" / "guard-passrole-createfunction.json"
TABLE = "                Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/results\n"


def _added(actions: str) -> str:
    return CFN.replace(TABLE, TABLE + f"""              - Effect: Allow
                Action: [{actions}]
                Resource: '*'
""")


PASS = _added("iam:PassRole, lambda:CreateFunction")
PASS_AND_DELETE = _added("iam:PassRole, dynamodb:DeleteTable")


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def repo_with(tmp_path, head_text):
    repo = tmp_path / "repo"
    write(repo / "stack.yaml", CFN)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    write(repo / "stack.yaml", head_text)
    return repo


def check(*args):
    r = CliRunner().invoke(main, ["check", *map(str, args)])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


def test_new_access_the_scp_denies_is_listed_apart_and_does_not_block(tmp_path, monkeypatch):
    monkeypatch.chdir(repo_with(tmp_path, PASS))
    plain = check("stack.yaml", "--base", "HEAD", "--fail-on-new-access", "--fail-on", "critical", "--format", "json")
    assert plain.exit_code == 1  # without the organization's SCPs: new access blocks
    r = check("stack.yaml", "--base", "HEAD", "--fail-on-new-access", "--fail-on", "critical", "--format", "json", "--scp", GUARD)
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, load("check"))
    assert r.exit_code == 0 and doc["new_access"] == []
    (denied,) = doc["new_access_denied"]
    assert denied["actions"] == ["iam:PassRole", "lambda:CreateFunction"]
    assert denied["denied_by"] == ["p-guard1234 (guard-lambda-and-passrole)"]
    assert doc["summary"]["new_access_denied"] == 1
    text = check("stack.yaml", "--base", "HEAD", "--scp", GUARD).stdout
    assert "new, denied by p-guard1234 (guard-lambda-and-passrole)" in text
    md = check("stack.yaml", "--base", "HEAD", "--scp", GUARD, "--format", "markdown").stdout
    assert "New access the organization denies anyway" in md
    sarif = json.loads(check("stack.yaml", "--base", "HEAD", "--scp", GUARD, "--format", "sarif").stdout)
    assert not [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "IA-NEW-ACCESS"]  # denied: not new access


def test_the_part_of_a_statement_the_scp_leaves_open_is_still_new_access(tmp_path, monkeypatch):
    monkeypatch.chdir(repo_with(tmp_path, PASS_AND_DELETE))
    r = check("stack.yaml", "--base", "HEAD", "--fail-on-new-access", "--fail-on", "critical", "--format", "json", "--scp", GUARD)
    doc = json.loads(r.stdout)
    assert r.exit_code == 1
    assert [n["actions"] for n in doc["new_access"]] == [["dynamodb:DeleteTable"]]
    assert [n["actions"] for n in doc["new_access_denied"]] == [["iam:PassRole"]]
