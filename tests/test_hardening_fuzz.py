"""Issue #18's fuzz suite: every reader, fed mutated valid documents through the real command
line, keeps its promises.

For each reader (snapshot, usage, findings, GAAD, configuration, rules, policy files for lint,
CloudTrail files) hypothesis mutates a valid document, as a structure (a value replaced by any
JSON, a key dropped, null, a wrong type) or as bytes (truncated, junk inserted, non-UTF-8,
deep nesting, a 5,000-digit number), and the command must:

* exit 0, 1 or 2: never 3 (an internal error) and never a traceback;
* name the file in its message when it refuses it;
* still count the good records: the good file beside the mutated one, and the good records
  of a CloudTrail file one of whose records is mutated.

Bounded in time: a few dozen examples per reader, the whole suite well under a minute.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import click
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_analyzer.cli import main

FUZZ = settings(max_examples=int(os.environ.get("IAM_ANALYZER_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:*"], "Resource": "arn:aws:s3:::b/*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/x": "y"}}}]}
SNAPSHOT = {"schema_version": 1, "source": {"kind": "scan"}, "accounts": [{
    "account_id": ACCOUNT, "regions": ["us-east-1"],
    "functions": [{"arn": FN, "name": "app", "account_id": ACCOUNT, "region": "us-east-1", "role_arn": ROLE,
                   "runtime": "python3.12", "environment": [{"name": "TABLE", "references": []}],
                   "invokers": [{"principal": "s3.amazonaws.com", "principal_type": "service"}],
                   "triggers": [{"type": "s3", "source_arn": "arn:aws:s3:::b", "function_arn": FN}]}],
    "roles": [{"arn": ROLE, "name": "app", "trust_policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
               "inline_policies": [{"name": "p", "document": POLICY}]}],
    "coverage": [{"service": "s3", "operation": "list_buckets", "error_code": "AccessDenied", "message": "no"}]}]}
USAGE = {"schema_version": 1, "kind": "iam-analyzer-usage", "catalog": {"source": "x", "version": "1", "date": "2026"},
         "window": {"since": "2026-11-01T00:00:00Z", "until": None, "first_event": None, "last_event": None},
         "sources": [{"type": "folder", "location": "logs"}], "files": {"read": 1, "skipped": []},
         "events": {"total": 3}, "unmapped": [], "data_events": {"present": True, "by_service": {"s3": {"b": 3}}},
         "principals": [{"arn": ROLE, "type": "role", "session": "app", "function": FN, "actions": [
             {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "count": 3, "denied": 0,
              "first_seen": "2026-11-02T00:00:00Z", "last_seen": "2026-11-03T00:00:00Z", "data_event": True}]}]}
GAAD = {"RoleDetailList": [{"Arn": ROLE, "RoleName": "app", "Path": "/", "AssumeRolePolicyDocument":
                            SNAPSHOT["accounts"][0]["roles"][0]["trust_policy"],
                            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": POLICY}],
                            "AttachedManagedPolicies": [{"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/m"}]}],
        "UserDetailList": [{"Arn": f"arn:aws:iam::{ACCOUNT}:user/u", "UserName": "u", "GroupList": ["g"]}],
        "GroupDetailList": [{"Arn": f"arn:aws:iam::{ACCOUNT}:group/g", "GroupName": "g"}],
        "Policies": [{"Arn": f"arn:aws:iam::{ACCOUNT}:policy/m", "PolicyName": "m", "DefaultVersionId": "v1",
                      "PolicyVersionList": [{"Document": POLICY, "IsDefaultVersion": True, "VersionId": "v1"}]}]}
CONFIG = {"select": ["IAM001", "privilege-escalation"], "ignore": ["LAM006"], "severity": {"IAM002": "low"},
          "min_severity": "info", "suppressions": [{"rule": "IAM004", "subject": "arn:aws:iam::*:role/x-*",
                                                    "reason": "reviewed", "expires": "2099-01-31"}]}
RULE = {"id": "CUS100", "title": "Functions without a runtime", "severity": "low", "category": "hygiene",
        "enabled": True, "why": "because", "fix": "set one", "references": [],
        "matcher": {"subject": "function", "where": [{"field": "runtime", "is_null": True}],
                    "message": "{function} has no runtime"}}


def record(i: int) -> dict:
    return {"eventVersion": "1.08", "eventTime": f"2026-11-1{i % 9}T10:00:{i % 60:02d}Z",
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
            "recipientAccountId": ACCOUNT, "managementEvent": False, "eventCategory": "Data",
            "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/app",
                             "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}},
            "requestParameters": {"bucketName": "b", "key": f"k{i}"}}


# -- mutations ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_doc(draw, base):
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        op = draw(st.sampled_from(["replace", "replace", "delete", "null", "stringify", "wrap"]))
        if not path:
            doc = draw(json_values) if op == "replace" else [doc] if op == "wrap" else None if op == "null" else doc
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        key = path[-1]
        if op == "delete":
            del parent[key]
        elif op == "null":
            parent[key] = None
        elif op == "stringify":
            parent[key] = json.dumps(parent[key])
        elif op == "wrap":
            parent[key] = [parent[key]]
        else:
            parent[key] = draw(json_values)
    return doc


@st.composite
def mutated_bytes(draw, data: bytes):
    op = draw(st.sampled_from(["truncate", "insert", "flip", "deep", "bigint", "latin1", "nul", "bom"]))
    at = draw(st.integers(0, len(data)))
    if op == "truncate":
        return data[:at]
    if op == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if op == "flip":
        i = min(at, len(data) - 1)
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
    if op == "deep":
        n = draw(st.sampled_from([200, 5_000, 100_000]))
        return data[:at] + b"[" * n + b"]" * n + data[at:]
    if op == "bigint":
        return data.replace(b'"', b"9" * 5000 + b',"', 1) if at % 2 else data[:at] + b"9" * 5000 + data[at:]
    if op == "latin1":
        return data.replace(b"a", b"\xe9", 3)
    if op == "nul":
        return data[:at] + b"\x00" + data[at:]
    return b"\xef\xbb\xbf" + data


def any_mutation(base, dump=lambda d: json.dumps(d).encode()):
    return st.one_of(mutated_doc(base).map(lambda d: _dump(dump, d)), mutated_bytes(dump(base)))


def _dump(dump, doc) -> bytes:
    try:
        return dump(doc)
    except (ValueError, TypeError, yaml.YAMLError):  # NaN keys and the like: still bytes to feed
        return json.dumps(doc, default=str).encode()


# -- the invariants ---------------------------------------------------------------------------------


def check(res, path: Path | str, allowed=(0, 1, 2)) -> None:
    out = (res.stdout or "") + (res.stderr or "")
    assert "Traceback" not in out, out[-3000:]
    assert res.exit_code in allowed, (res.exit_code, out[-3000:], repr(res.exception))
    if res.exit_code == 2:
        assert str(path) in res.stderr or Path(path).name in res.stderr, res.stderr[-2000:]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def scratch():
    return tempfile.TemporaryDirectory(prefix="iam-fuzz-")


# -- one test per reader --------------------------------------------------------------------------


@FUZZ
@given(any_mutation(SNAPSHOT))
def test_fuzz_snapshot(data):
    with scratch() as d:
        path = Path(d, "snapshot.json")
        path.write_bytes(data)
        check(invoke("inventory", "--snapshot", path, "--format", "json"), path)
        check(invoke("analyze", "--snapshot", path), path)


@FUZZ
@given(any_mutation(USAGE))
def test_fuzz_usage(data):
    with scratch() as d:
        snap, path = Path(d, "s.json"), Path(d, "usage.json")
        snap.write_text(json.dumps(SNAPSHOT))
        path.write_bytes(data)
        check(invoke("analyze", "--snapshot", snap, "--usage", path), path)
        check(invoke("generate", "--snapshot", snap, "--usage", path, "-o", Path(d, "out")), path)


@click.command()
@click.argument("path")
def _read_findings(path):
    from iam_analyzer.cli.common import load_findings

    click.echo(len(load_findings(path)["findings"]))


def _findings_doc() -> dict:
    with scratch() as d:
        snap, out = Path(d, "s.json"), Path(d, "f.json")
        snap.write_text(json.dumps(SNAPSHOT))
        assert invoke("analyze", "--snapshot", snap, "-o", out).exit_code == 0
        return json.loads(out.read_text())


FINDINGS = _findings_doc()


@FUZZ
@given(any_mutation(FINDINGS))
def test_fuzz_findings(data):
    with scratch() as d:
        path = Path(d, "findings.json")
        path.write_bytes(data)
        check(CliRunner().invoke(_read_findings, [str(path)]), path)


@FUZZ
@given(any_mutation(GAAD))
def test_fuzz_gaad(data):
    with scratch() as d:
        path = Path(d, "gaad.json")
        path.write_bytes(data)
        check(invoke("graph", "escalations", "--gaad", path), path)


def _yaml(doc) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True).encode()


@FUZZ
@given(any_mutation(CONFIG, _yaml))
def test_fuzz_config(data):
    with scratch() as d:
        snap, path = Path(d, "s.json"), Path(d, ".iam-analyzer.yaml")
        snap.write_text(json.dumps(SNAPSHOT))
        path.write_bytes(data)
        check(invoke("analyze", "--snapshot", snap, "--config", path, "--fail-on", "low"), path)


@FUZZ
@given(any_mutation(RULE, _yaml))
def test_fuzz_rules(data):
    with scratch() as d:
        rules = Path(d, "rules")
        rules.mkdir()
        path = rules / "CUS100.yaml"
        path.write_bytes(data)
        check(invoke("rules", "list", "--rules", rules), path)
        snap = Path(d, "s.json")
        snap.write_text(json.dumps(SNAPSHOT))
        check(invoke("analyze", "--snapshot", snap, "--rules", rules), path)


def test_a_rule_with_references_left_empty_loads():
    """Found by test_fuzz_rules: `references:` with no value crashed rule loading (exit 3)."""
    with scratch() as d:
        rules = Path(d, "rules")
        rules.mkdir()
        (rules / "CUS100.yaml").write_text(yaml.safe_dump(dict(RULE, references=None)))
        res = invoke("rules", "list", "--rules", rules)
        assert res.exit_code == 0 and "CUS100" in res.stdout, res.output


@FUZZ
@given(any_mutation(POLICY))
def test_fuzz_lint(data):
    with scratch() as d:
        Path(d, "a-good.json").write_text(json.dumps(POLICY))
        path = Path(d, "mutated.json")
        path.write_bytes(data)
        res = invoke("lint", d, "--format", "json")
        check(res, path)
        files = {Path(f["path"]).name for f in json.loads(res.stdout)["files"]}
        assert files == {"a-good.json", "mutated.json"}  # the good file is always linted too


GOOD_RECORDS = 7


def _usage_run(d: str, *files: tuple[str, bytes]) -> tuple:
    logs = Path(d, "logs")
    logs.mkdir()
    Path(logs, "a-good.json").write_text(json.dumps({"Records": [record(i) for i in range(GOOD_RECORDS)]}))
    for name, data in files:
        Path(logs, name).write_bytes(data)
    out = Path(d, "usage.json")
    res = invoke("usage", "--cloudtrail", logs, "--since", "2026-11-01", "--until", "2026-11-29", "--workers", "1",
                 "-o", out)
    return res, (json.loads(out.read_text()) if out.exists() else None)


@FUZZ
@given(st.sampled_from(["mutated.json", "mutated.jsonl"]),
       any_mutation({"Records": [record(i) for i in range(5)]}))
def test_fuzz_cloudtrail_file(name, data):
    with scratch() as d:
        res, doc = _usage_run(d, (name, data))
        check(res, name, allowed=(0,))  # the good file is there: never "nothing usable"
        assert doc["events"]["total"] >= GOOD_RECORDS  # the good file's records are all counted
        listed = {Path(s["path"]).name for s in doc["files"]["skipped"] + doc["files"]["skipped_records"]}
        assert doc["files"]["read"] == 2 or "mutated" in " ".join(listed)  # a refused file is named


@FUZZ
@given(st.data(), st.integers(0, 4), st.sampled_from(["records", "lines", "lookup"]))
def test_fuzz_cloudtrail_record(data, victim, shape):
    """One record of a file is mutated: the file's other records are still counted."""
    records = [record(100 + i) for i in range(5)]
    records[victim] = data.draw(mutated_doc(records[victim]))
    if shape == "records":
        text = json.dumps({"Records": records})
    elif shape == "lines":
        text = "\n".join(json.dumps(r) for r in records) + "\n"
    else:
        text = json.dumps({"Events": [{"EventId": str(i), "CloudTrailEvent": json.dumps(r)} for i, r in enumerate(records)]})
    with scratch() as d:
        res, doc = _usage_run(d, ("mutated.json", text.encode()))
        check(res, "mutated.json", allowed=(0,))
        assert doc["events"]["total"] >= GOOD_RECORDS + 4, doc["files"]


@FUZZ
@given(st.sampled_from(["snapshot", "usage", "findings", "gaad"]), st.data())
def test_fuzz_the_small_validator_agrees_with_jsonschema(name, data):
    import jsonschema

    from iam_analyzer.inputs import shipped_schema
    from iam_analyzer.jsonvalid import first_error

    base = {"snapshot": SNAPSHOT, "usage": USAGE, "findings": FINDINGS, "gaad": GAAD}[name]
    doc = data.draw(mutated_doc(base))
    schema = shipped_schema(name)
    # one deliberate difference: 1.0 is not an integer here (the model's int fields would break on it)
    base_cls = jsonschema.Draft202012Validator
    strict = jsonschema.validators.extend(base_cls, type_checker=base_cls.TYPE_CHECKER.redefine(
        "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool)))
    expected = strict(schema).is_valid(doc)
    assert (first_error(doc, schema) is None) == expected, first_error(doc, schema)


SERVICE = yaml.safe_load("""
service: fuzz
custom: {table: 'fuzz-${sls:stage}', queue: '${cf:infra.QueueArn}'}
provider:
  name: aws
  runtime: python3.12
  stage: "${opt:stage, 'dev'}"
  environment: {TABLE: '${self:custom.table}', KEY: '${ssm:/fuzz/key}'}
  iam:
    role:
      statements:
        - {Effect: Allow, Action: ['dynamodb:GetItem'], Resource: {'Fn::GetAtt': [Table, Arn]}}
        - '${file(extra.yml)}'
plugins: [serverless-iam-roles-per-function]
functions:
  a:
    handler: a.h
    iamRoleStatements: [{Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*'}]
    events:
      - http: {path: x, method: get, authorizer: aws_iam}
      - sqs: '${self:custom.queue}'
      - stream: {type: dynamodb, arn: {'Fn::GetAtt': [Table, StreamArn]}}
  b:
    handler: b.h
    vpc: {subnetIds: [s-1], securityGroupIds: [sg-1]}
    destinations: {onFailure: a}
    events: [{schedule: rate(1 hour)}, {s3: fuzz-bucket}, {sns: topic}, {eventBridge: {pattern: {source: [x]}}}]
resources:
  - '${file(resources/table.yml)}'
""")


@FUZZ
@given(any_mutation(SERVICE, _yaml))
def test_fuzz_serverless(data):
    with scratch() as d:
        root = Path(d)
        (root / "resources").mkdir()
        (root / "resources" / "table.yml").write_text("Resources:\n  Table: {Type: 'AWS::DynamoDB::Table'}\n")
        (root / "extra.yml").write_text("{Effect: Allow, Action: 'sqs:SendMessage', Resource: '*'}\n")
        path = root / "serverless.yml"
        path.write_bytes(data)
        check(invoke("check", root, "--format", "json"), path)
