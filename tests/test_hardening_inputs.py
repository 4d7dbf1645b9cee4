"""Issue #18, input families: configuration that silently disables checks, documents of the
wrong shape, one bad file or record losing the good ones, values that are not what they
claim, special files. Each test runs the real command line on files a careless or hostile
user could write."""

from __future__ import annotations

import gzip
import json
import os
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.jsonvalid import first_error
from iam_analyzer.schema import load as load_schema

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SNAPSHOT = {"schema_version": 1, "accounts": [{"account_id": ACCOUNT, "roles": [
    {"arn": ROLE, "name": "app", "inline_policies": [{"name": "p", "document": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}]}]}
GOOD_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                         "Resource": "arn:aws:s3:::b/*"}]}


def write(tmp_path, name, content):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


def run(*args):
    return CliRunner().invoke(main, list(args))


def record(i: int, **kw) -> dict:
    r = {"eventVersion": "1.08", "eventTime": f"2026-11-2{i % 5}T10:00:{i % 60:02d}Z", "eventSource": "s3.amazonaws.com",
         "eventName": "GetObject", "awsRegion": "us-east-1", "recipientAccountId": ACCOUNT,
         "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/fn",
                          "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}},
         "requestParameters": {"bucketName": "b", "key": f"k{i}"}, "managementEvent": False, "eventCategory": "Data"}
    r.update(kw)
    return r


def usage_of(tmp_path, folder, *extra):
    out = tmp_path / "usage-out.json"
    res = run("usage", "--cloudtrail", str(folder), "--since", "2026-11-01", "--until", "2026-11-29",
              "--workers", "1", "-o", str(out), *extra)
    return res, (json.loads(out.read_text()) if out.exists() else None)


# -- configuration that silently disables checks ---------------------------------------------------


@pytest.mark.parametrize("config, message", [
    ("select: [IAM0O1]\n", "select: no rule or category 'IAM0O1'"),
    ("ignore: [NOPE1]\n", "ignore: no rule or category 'NOPE1'"),
    ("severity: [high]\n", "severity must be a mapping, not a list"),
    ("severity: {IAM001: [high]}\n", "severity.IAM001 must be one severity"),
    ("severity: {IAM999: high}\n", "severity: no rule 'IAM999'"),
    ("suppressions:\n - rule: IAM001\n   reason: ok\n   expires: next tuesday\n", "expires must be a date"),
    ("suppressions:\n - rule: IAM0O1\n   reason: ok\n", "suppressions[0].rule: no rule 'IAM0O1'"),
    ("just a string\n", "the configuration must be a mapping"),
    ("selct: [IAM001]\n", "unknown setting 'selct'"),
    ("min_severity: [low]\n", "min_severity must be text"),
    ("select: [" + "9" * 5000 + "]\n", "invalid value: Exceeds the limit"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "YAML nested too deeply"),
])
def test_configuration_typos_are_errors_not_silence(tmp_path, config, message):
    snap = write(tmp_path, "s.json", SNAPSHOT)
    cfg = write(tmp_path, "c.yaml", config)
    res = run("analyze", "--snapshot", snap, "--config", cfg, "--fail-on", "low")
    assert res.exit_code == 2, res.output
    assert cfg in res.stderr and message in res.stderr and "Traceback" not in res.output


def test_a_correct_configuration_still_selects_and_fails(tmp_path):
    snap = write(tmp_path, "s.json", SNAPSHOT)
    cfg = write(tmp_path, "c.yaml", "select: [IAM001]\n")
    res = run("analyze", "--snapshot", snap, "--config", cfg, "--fail-on", "low")
    assert res.exit_code == 1 and "IAM001" in res.output


RULE = """id: {id}
title: A custom rule
severity: high
category: hygiene
why: because
fix: fix it
matcher:
{matcher}
"""


@pytest.mark.parametrize("rule_id, matcher, message", [
    ("CUS001", "  check: no_such_check", "no check named 'no_such_check'"),
    ("CUS001", "  subject: lambda\n  where: []", "matcher.subject: 'lambda' is not one of"),
    ("CUS001", "  subject: function\n  where:\n  - field: runtme\n    equals: x", "function has no field 'runtme'"),
    ("CUS001", "  subject: function\n  where:\n  - field: runtime\n    eqals: x", "give exactly one of"),
    ("CUS001", "  subject: function\n  where: []\n  message: '{fn} is bad'", "unknown placeholder(s) {fn}"),
    ("IAM001", "  subject: function\n  where: []", "IAM001 is already taken"),
])
def test_custom_rules_are_validated_when_loaded(tmp_path, rule_id, matcher, message):
    rules = tmp_path / "rules"
    write(rules, "r.yaml", RULE.format(id=rule_id, matcher=matcher))
    listed = run("rules", "list", "--rules", str(rules))
    assert listed.exit_code == 2 and message in listed.stderr and "r.yaml" in listed.stderr
    snap = write(tmp_path, "s.json", SNAPSHOT)
    analyzed = run("analyze", "--snapshot", snap, "--rules", str(rules))
    assert analyzed.exit_code == 2 and message in analyzed.stderr and "Traceback" not in analyzed.output


def test_a_custom_rule_may_override_a_built_in_one_when_it_says_so(tmp_path):
    rules = tmp_path / "rules"
    write(rules, "r.yaml", RULE.format(id="IAM001", matcher="  subject: function\n  where: []") + "overrides: true\n")
    res = run("rules", "list", "--rules", str(rules), "--format", "json")
    assert res.exit_code == 0
    assert next(r for r in json.loads(res.output) if r["id"] == "IAM001")["title"] == "A custom rule"


# -- input documents of the wrong shape ------------------------------------------------------------

BAD_SHAPES = [
    ('"a string"', "no schema_version"),
    ({"schema_version": 1, "accounts": "x"}, "$.accounts: must be array, not a string"),
    ({"schema_version": 1, "accounts": [{"account_id": ACCOUNT, "roles": None}]}, "$.accounts[0].roles: must be array"),
    ({"schema_version": 1, "accounts": [{"account_id": ACCOUNT, "functions": [{"name": "f"}]}]},
     "$.accounts[0].functions[0]: missing required field 'arn'"),
    ({"schema_version": 1, "accounts": [{"account_id": 5}]}, "$.accounts[0].account_id: must be string, not an integer"),
    (b"\xff\xfe\x00{", "invalid"),
    (b'{"schema_version": 1, "accounts": [{"account_id": "\xc3\x28"}]}', "not UTF-8"),
    ("[" * 100_000 + "]" * 100_000, "nested more than"),
    ('{"schema_version": 1, "accounts": [{"account_id": "1", "x": ' + "9" * 5000 + "}]}", "a number of more than"),
    ("", "the file is empty"),
    ('{"schema_version": 1, "accounts": [', "line 1 column 36: invalid JSON: the document ends early"),
]


@pytest.mark.parametrize("content, message", BAD_SHAPES)
def test_a_snapshot_of_the_wrong_shape_is_one_line_naming_file_and_place(tmp_path, content, message):
    snap = write(tmp_path, "snap.json", content)
    for cmd in (["inventory", "--snapshot", snap], ["analyze", "--snapshot", snap], ["generate", "--snapshot", snap,
                                                                                       "-o", str(tmp_path / "out")]):
        res = run(*cmd)
        assert res.exit_code == 2, (cmd, res.output)
        assert "Traceback" not in res.output and snap in res.stderr and message in res.stderr, res.stderr


@pytest.mark.parametrize("doc, message", [
    ({"kind": "iam-analyzer-usage", "principals": "all"}, "$.principals: must be array"),
    ({"kind": "iam-analyzer-usage", "principals": [{"arn": ROLE}]}, "$.principals[0]: missing required field 'actions'"),
    ({"kind": "iam-analyzer-usage", "files": {"read": "1", "skipped": []}}, "$.files.read: must be integer"),
    ({"kind": "something else"}, "not a usage file"),
])
def test_usage_of_the_wrong_shape(tmp_path, doc, message):
    snap = write(tmp_path, "s.json", SNAPSHOT)
    usage = write(tmp_path, "u.json", doc)
    res = run("analyze", "--snapshot", snap, "--usage", usage)
    assert res.exit_code == 2 and usage in res.stderr and message in res.stderr, res.stderr


@pytest.mark.parametrize("doc, message", [
    ({"RoleDetailList": "x"}, "$.RoleDetailList: must be array"),
    ({"RoleDetailList": [{"RoleName": "r"}]}, "$.RoleDetailList[0]: missing required field 'Arn'"),
    ({"RoleDetailList": [{"Arn": ROLE, "RoleName": "r", "RolePolicyList": [{"PolicyName": 1, "PolicyDocument": {}}]}]},
     "$.RoleDetailList[0].RolePolicyList[0].PolicyName: must be string"),
    ({"Policies": None}, "$.Policies: must be array, not null"),
    ({"RoleDetailList": [{"Arn": ROLE, "RoleName": "r", "RolePolicyList": [
        {"PolicyName": "p", "PolicyDocument": "[" * 50_000 + "]" * 50_000}]}]}, "policy document: JSON nested more than"),
])
def test_gaad_of_the_wrong_shape(tmp_path, doc, message):
    gaad = write(tmp_path, "gaad.json", doc)
    res = run("graph", "escalations", "--gaad", gaad)
    assert res.exit_code == 2 and gaad in res.stderr and message in res.stderr, res.stderr


def test_findings_documents_are_validated_by_the_shared_loader(tmp_path):
    import click

    from iam_analyzer.cli.common import load_findings

    @click.command()
    @click.argument("path")
    def read(path):
        click.echo(len(load_findings(path)["findings"]))

    snap = write(tmp_path, "s.json", SNAPSHOT)
    out = tmp_path / "findings.json"
    assert run("analyze", "--snapshot", snap, "-o", str(out)).exit_code == 0
    assert CliRunner().invoke(read, [str(out)]).exit_code == 0
    doc = json.loads(out.read_text())
    doc["findings"][0]["severity"] = ["high"]
    bad = write(tmp_path, "bad.json", doc)
    res = CliRunner().invoke(read, [bad])
    assert res.exit_code == 2 and bad in res.stderr and "$.findings[0].severity" in res.stderr


def test_the_small_validator_agrees_with_jsonschema_on_the_shipped_schemas(tmp_path):
    schema = load_schema("snapshot")
    cases = [SNAPSHOT] + [c for c, _ in BAD_SHAPES if isinstance(c, dict)]
    for doc in cases:
        assert (first_error(doc, schema) is None) == jsonschema.Draft202012Validator(schema).is_valid(doc), doc


# -- one bad file must not lose the good ones, nor one bad record its file --------------------------


def test_lint_folder_with_a_deep_and_a_big_integer_file_still_lints_the_rest(tmp_path):
    folder = tmp_path / "policies"
    write(folder, "a-good.json", GOOD_POLICY)
    write(folder, "deep.json", "[" * 100_000 + "]" * 100_000)
    write(folder, "bigint.json", '{"Version": "2012-10-17", "Statement": [], "X": ' + "1" * 5000 + "}")
    res = run("lint", str(folder), "--format", "json")
    assert "Traceback" not in res.output and res.exit_code in (0, 1)
    files = {os.path.basename(f["path"]): f for f in json.loads(res.stdout)["files"]}
    assert set(files) == {"a-good.json", "deep.json", "bigint.json"}
    assert [f["id"] for f in files["deep.json"]["findings"]] == ["PL001"]
    assert "nested more than" in files["deep.json"]["findings"][0]["message"]
    assert "more than 400 digits" in files["bigint.json"]["findings"][0]["message"]
    assert not any(f["id"] == "PL001" for f in files["a-good.json"]["findings"])
    write(folder, "wrapped.json", {"PolicyDocument": "[" * 50_000 + "]" * 50_000})  # a document inside a string
    res = run("lint", str(folder), "--format", "json")
    assert res.exit_code in (0, 1) and "Traceback" not in res.output and "internal error" not in res.stderr


def test_one_bad_record_does_not_lose_its_file(tmp_path):
    logs = tmp_path / "logs"
    sample = [record(i) for i in range(461)]
    sample[7]["managementEvent"] = "false"  # a public sample wrote it as a string: coerced
    write(logs, "sample.json", {"Records": sample})
    lines = [json.dumps(record(i)) for i in range(10)]
    lines[3] = '{"eventTime": "2026-11-2'
    write(logs, "lines.jsonl", "\n".join(lines) + "\n")
    events = [{"EventId": str(i), "CloudTrailEvent": json.dumps(record(i))} for i in range(5)]
    events[2]["CloudTrailEvent"] = "{not json"
    write(logs, "lookup.json", {"Events": events})
    bad_one = [record(i) for i in range(4)]
    bad_one[1]["userIdentity"] = "not an object"
    (logs / "gz").mkdir()
    (logs / "gz" / "x.json.gz").write_bytes(gzip.compress(json.dumps({"Records": bad_one}).encode()))
    res, doc = usage_of(tmp_path, logs)
    assert res.exit_code == 0, res.output
    assert doc["files"]["read"] == 4 and doc["files"]["skipped"] == []
    assert doc["events"]["total"] == 461 + 9 + 4 + 3
    skipped = {os.path.basename(s["path"]): s for s in doc["files"]["skipped_records"]}
    assert {k: v["count"] for k, v in skipped.items()} == {"lines.jsonl": 1, "lookup.json": 1, "x.json.gz": 1}
    assert skipped["lines.jsonl"]["reason"].startswith("line 4")
    assert skipped["lookup.json"]["reason"].startswith("Events[2].CloudTrailEvent")
    assert doc["events"]["records_skipped"] == 3
    assert "lines.jsonl: 1 record(s) skipped" in res.stderr
    one, _ = usage_of(tmp_path, logs, "--workers", "2")
    two = json.loads((tmp_path / "usage-out.json").read_text())
    for d in (doc, two):
        d.pop("created_at")
    assert two == doc  # 1 and N workers: the same document


# -- values that are not what they claim --------------------------------------------------------------


def test_event_times_that_are_not_times_never_become_the_window(tmp_path):
    logs = tmp_path / "logs"
    recs = [record(i) for i in range(5)]
    recs[0]["eventTime"] = "garbage"
    recs[1]["eventTime"] = "9999-12-31T00:00:00Z"
    recs[2]["eventTime"] = "9999-12-31"
    write(logs, "t.json", {"Records": recs})
    res = run("usage", "--cloudtrail", str(logs), "--since", "2026-11-01", "--workers", "1", "-o", str(tmp_path / "u.json"))
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "u.json").read_text())
    assert doc["window"]["last_event"] < "2027" and doc["window"]["first_event"] >= "2026"
    assert doc["events"]["total"] == 2 and doc["files"]["skipped_records"][0]["count"] == 3


def test_graphml_of_names_with_control_characters_is_valid_xml(tmp_path):
    snap = json.loads(json.dumps(SNAPSHOT))
    snap["accounts"][0]["roles"][0]["name"] = "app\x01\x1b[31m\x0b"
    snap["accounts"][0]["roles"][0]["arn"] = ROLE + "\x00x"
    path = write(tmp_path, "s.json", snap)
    out = tmp_path / "g.graphml"
    res = run("graph", "export", "--snapshot", path, "--format", "graphml", "-o", str(out))
    assert res.exit_code == 0, res.output
    ET.fromstring(out.read_bytes())  # raises on invalid XML


@pytest.mark.parametrize("text, finding, message", [
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", '
     '"Condition": {"NumericLessThan": {"s3:max-keys": NaN}}}]}', "PL001", "NaN is not a JSON number"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "s3:GetObject", '
     '"Resource": "*"}]}', "PL002", "duplicate key 'Effect'"),
])
def test_lint_says_a_word_about_nan_and_duplicate_keys(tmp_path, text, finding, message):
    res = run("lint", write(tmp_path, "p.json", text), "--format", "json")
    found = json.loads(res.stdout)["files"][0]["findings"]
    assert any(f["id"] == finding and message in f["message"] for f in found), found


def test_lint_an_invalid_version_is_not_called_missing(tmp_path):
    res = run("lint", write(tmp_path, "p.json", {**GOOD_POLICY, "Version": "2099-01-01"}), "--format", "json")
    found = json.loads(res.stdout)["files"][0]["findings"]
    assert any(f["id"] == "PL002" and "2099-01-01" in f["message"] for f in found)
    assert not any("no Version" in f["message"] for f in found)


# -- special files ----------------------------------------------------------------------------------


def test_fifos_are_reported_never_waited_on(tmp_path):
    logs = tmp_path / "logs"
    write(logs, "good.json", {"Records": [record(i) for i in range(3)]})
    os.mkfifo(logs / "pipe.json")
    res, doc = usage_of(tmp_path, logs)
    assert res.exit_code == 0 and doc["events"]["total"] == 3
    assert doc["files"]["skipped"] == [{"path": str(logs / "pipe.json"),
                                        "reason": "not a regular file (a named pipe (FIFO)): not read"}]
    res, _ = usage_of(tmp_path, logs / "pipe.json")
    assert res.exit_code == 2 and "pipe.json" in res.stderr
    fifo = tmp_path / "snap.json"
    os.mkfifo(fifo)
    res = run("inventory", "--snapshot", str(fifo))
    assert res.exit_code == 2 and "a named pipe (FIFO), not a regular file" in res.stderr
    pol = tmp_path / "policies"
    write(pol, "good.json", GOOD_POLICY)
    os.mkfifo(pol / "pipe.json")
    res = run("lint", str(pol))
    assert res.exit_code == 2 and "pipe.json: cannot read: a named pipe (FIFO)" in res.stderr
    assert "2 file(s), 1 finding(s)" in res.stderr  # the good file was linted beside it
    cfg = tmp_path / "c.yaml"
    os.mkfifo(cfg)
    res = run("analyze", "--snapshot", write(tmp_path, "s.json", SNAPSHOT), "--config", str(cfg))
    assert res.exit_code == 2 and "not a regular file" in res.stderr


def test_a_gzip_bomb_is_refused_and_the_other_files_read(tmp_path, monkeypatch):
    from iam_analyzer.collect.cloudtrail import sources

    monkeypatch.setattr(sources, "MAX_DECOMPRESSED", 1 << 20)  # 2 GiB in real runs; 1 MiB keeps the test small
    logs = tmp_path / "logs"
    write(logs, "good.json", {"Records": [record(i) for i in range(3)]})
    (logs / "bomb.json.gz").write_bytes(gzip.compress(b" " * (4 << 20)))
    (logs / "cut.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [record(1)]}).encode())[:-6])
    res, doc = usage_of(tmp_path, logs)
    assert res.exit_code == 0 and doc["events"]["total"] == 3
    reasons = {os.path.basename(s["path"]): s["reason"] for s in doc["files"]["skipped"]}
    assert "gzip bomb" in reasons["bomb.json.gz"] and reasons["cut.json.gz"] == "truncated gzip file"
