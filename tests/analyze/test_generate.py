"""The policy generator: never widen, never break, explain everything."""

from __future__ import annotations

import json
from datetime import date

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.analyze.generate.deployed import INLINE_LIMIT, Options, generate_all
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.compare import allowed_actions, new_access
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.analyze.needs import requirements
from iam_analyzer.model import (Account, EnvVar, EventInvokeConfig, EventSourceMapping, Function, InlinePolicy,
                                ManagedPolicy, Role, Snapshot)

ACCT = "111122223333"
R = "us-east-1"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
TABLE = f"arn:aws:dynamodb:{R}:{ACCT}:table/orders"
QUEUE = f"arn:aws:sqs:{R}:{ACCT}:jobs"
DLQ = f"arn:aws:sqs:{R}:{ACCT}:jobs-dlq"


def doc(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


BROAD = doc({"Effect": "Allow", "Action": ["dynamodb:*", "s3:*", "sqs:*", "logs:*", "ec2:*", "xray:*", "kms:*", "iam:PassRole"],
             "Resource": "*"})


def snapshot(fn: Function, policy: dict = BROAD, boundary: dict | None = None, managed: dict | None = None) -> Snapshot:
    role = Role(arn=ROLE, name="app", inline_policies=[InlinePolicy("inline", policy)])
    policies = []
    if boundary:
        role.permissions_boundary_arn = f"arn:aws:iam::{ACCT}:policy/boundary"
        policies.append(ManagedPolicy(arn=role.permissions_boundary_arn, name="boundary", document=boundary))
    if managed:
        arn = f"arn:aws:iam::{ACCT}:policy/extra"
        role.managed_policy_arns = [arn]
        policies.append(ManagedPolicy(arn=arn, name="extra", document=managed))
    return Snapshot(accounts=[Account(account_id=ACCT, functions=[fn], roles=[role], policies=policies)])


def function(**kw) -> Function:
    return Function(arn=f"arn:aws:lambda:{R}:{ACCT}:function:worker", name="worker", account_id=ACCT, region=R,
                    role_arn=ROLE, **kw)


def coverage(account=ACCT, region=R, first="2026-10-03", last="2026-11-01", services=("dynamodb", "kms", "sqs")) -> dict:
    days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    return {"account": account, "region": region, "files": days * 10, "management_events": 1000, "data_events": 0,
            "first_day": first, "last_day": last, "days": days, "services": sorted(services)}


def usage(*actions, data=None, cover=None, window=None) -> dict:
    """A usage document with 30 days of management events read in the function's region."""
    window = window or {"since": "2026-10-03T00:00:00Z", "until": "2026-11-02T00:00:00Z",
                        "first_event": "2026-10-03T00:01:00Z", "last_event": "2026-11-01T23:58:00Z",
                        "start": "2026-10-03T00:00:00Z", "end": "2026-11-02T00:00:00Z", "days": 30.0}
    return {"kind": "iam-analyzer-usage", "data_events": {"present": bool(data), "by_service": data or {}},
            "window": window, "events": {"total": 30000, "out_of_window": 0}, "files": {"read": 300},
            "coverage": [coverage()] if cover is None else cover,
            "principals": [{"arn": ROLE, "type": "role", "session": "worker", "function": None,
                            "actions": [dict({"count": 3, "denied": 0, "first_seen": "2026-11-01T00:00:00Z",
                                              "last_seen": "2026-11-02T00:59:59Z", "data_event": False}, **a)
                                        for a in actions]}]}


def generated(res) -> list:
    return [parse_policy(d) for d in res.documents]


def test_requirements_are_real_catalog_actions():
    cat = default_catalog()
    fn = function(vpc_id="vpc-1", subnet_ids=["subnet-1"], tracing_mode="Active",
                  kms_key_arn=f"arn:aws:kms:{R}:{ACCT}:key/abc", dead_letter_target=DLQ,
                  event_invoke_configs=[EventInvokeConfig(on_success=f"arn:aws:sns:{R}:{ACCT}:t",
                                                          on_failure=f"arn:aws:lambda:{R}:{ACCT}:function:f")],
                  file_systems=[{"arn": f"arn:aws:elasticfilesystem:{R}:{ACCT}:access-point/fsap-1", "local_mount_path": "/mnt/x"}],
                  event_source_mappings=[EventSourceMapping(uuid=t, event_source_arn=a, source_type=t, function_arn="")
                                         for t, a in (("sqs", QUEUE), ("kinesis", f"arn:aws:kinesis:{R}:{ACCT}:stream/s"),
                                                      ("dynamodb", TABLE + "/stream/x"),
                                                      ("kafka", f"arn:aws:kafka:{R}:{ACCT}:cluster/c/1"),
                                                      ("mq", f"arn:aws:mq:{R}:{ACCT}:broker:b:1"),
                                                      ("docdb", f"arn:aws:rds:{R}:{ACCT}:cluster:d"))])
    reqs = requirements(fn)
    for r in reqs:
        assert cat.get(r.action) is not None, r.action
        assert r.setting
    settings_ = {r.setting.split(" (")[0] for r in reqs}
    assert {"logging", "VPC configuration", "tracing: Active", "dead-letter queue", "on-success destination",
            "on-failure destination", "environment variables encrypted with a customer key"} <= settings_ | {
        "environment variables encrypted with a customer key"}
    actions = {(r.action, r.resource) for r in reqs}
    assert ("sqs:ReceiveMessage", QUEUE) in actions and ("sqs:SendMessage", DLQ) in actions
    assert ("logs:PutLogEvents", f"arn:aws:logs:{R}:{ACCT}:log-group:/aws/lambda/worker:*") in actions
    assert ("dynamodb:GetRecords", TABLE + "/stream/x") in actions


def test_observed_and_required_are_kept_proven_unused_dropped_the_rest_kept_unverified():
    fn = function(event_source_mappings=[EventSourceMapping("u1", QUEUE, "sqs", "")], dead_letter_target=DLQ)
    snap = snapshot(fn)
    u = usage({"action": "dynamodb:GetItem", "resource": TABLE}, {"action": "dynamodb:Query", "resource": TABLE + "/index/by-date"},
              data={"dynamodb": {TABLE: 10}})
    (res,) = generate_all(snap, u)
    assert res.evidence.verdict == "sufficient", res.evidence.reasons
    assert res.verification["ok"] and res.verification["new_access_count"] == 0
    pols = generated(res)
    ok = lambda a, r: evaluate(Request(a, r), pols).result is Result.ALLOW  # noqa: E731
    assert ok("dynamodb:GetItem", TABLE) and ok("dynamodb:Query", TABLE + "/index/by-date")
    assert ok("sqs:ReceiveMessage", QUEUE) and ok("sqs:DeleteMessage", QUEUE) and ok("sqs:SendMessage", DLQ)
    assert ok("logs:PutLogEvents", f"arn:aws:logs:{R}:{ACCT}:log-group:/aws/lambda/worker:log-stream:x")
    # management events of us-east-1 were read for 30 days: their absence proves these unused
    assert not ok("dynamodb:DeleteTable", TABLE) and not ok("ec2:RunInstances", "*") and not ok("kms:CreateKey", "*")
    # absence proves nothing where CloudTrail could not have shown the call: kept, unverified
    assert ok("s3:GetObject", "arn:aws:s3:::any/x")  # no s3 data events
    assert ok("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCT}:table/other")  # data events only for orders
    assert ok("iam:PassRole", f"arn:aws:iam::{ACCT}:role/x")  # never logged
    unverified = {e.action: e.evidence["why"] for e in res.entries if e.origin == "unverified"}
    assert "never records" in unverified["iam:PassRole"] and "data events" in unverified["s3:GetObject"]
    assert not any(a.startswith(("ec2:", "kms:")) for a in unverified)
    assert res.before > 500 and res.after < 80 and res.reduction > 90
    # every kept permission says why
    assert {e.origin for e in res.entries} == {"observed", "required", "unverified"}
    assert all(e.evidence for e in res.entries)
    assert res.unused_by_service["ec2"] > 100
    sids = [s["Sid"] for d in res.documents for s in d["Statement"]]
    assert len(sids) == len(set(sids)) and all(s.isalnum() for s in sids)
    assert any(s.startswith("UnverifiedDynamoDB") for s in sids) and any(s.startswith("RequiredSQS") for s in sids)


def test_never_widens_beyond_todays_grants():
    narrow = doc({"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": TABLE})
    fn = function(event_source_mappings=[EventSourceMapping("u1", QUEUE, "sqs", "")])
    u = usage({"action": "dynamodb:GetItem", "resource": TABLE}, {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"},
              {"action": "dynamodb:GetItem", "resource": f"arn:aws:dynamodb:{R}:{ACCT}:table/other"})
    (res,) = generate_all(snapshot(fn, narrow), u)
    assert res.verification["ok"]
    assert new_access(generated(res), parse_policy(narrow)) == []
    not_granted = {(n["action"], n["resource"]) for n in res.not_granted}
    assert ("s3:GetObject", "arn:aws:s3:::b/k") in not_granted
    assert ("sqs:ReceiveMessage", QUEUE) in not_granted  # required, but the role never had it: reported, not added


def test_unknown_resource_is_narrowed_to_the_original_and_conditions_are_kept():
    original = doc({"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{R}:{ACCT}:parameter/app/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
                   {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{R}:{ACCT}:parameter/app/secret"})
    u = usage({"action": "ssm:GetParameter", "resource": "*"})
    (res,) = generate_all(snapshot(function(), original), u)
    assert res.verification["ok"], res.verification
    stmts = [s for d in res.documents for s in d["Statement"]]
    allow = next(s for s in stmts if s["Effect"] == "Allow" and s["Action"] == "ssm:GetParameter")
    assert allow["Resource"] == f"arn:aws:ssm:{R}:{ACCT}:parameter/app/*"
    assert allow["Condition"] == {"Bool": {"aws:SecureTransport": ["true"]}}
    assert any(s["Effect"] == "Deny" for s in stmts)  # the original's Deny is carried over


def test_unverified_data_plane_grants_follow_the_configuration():
    bucket = "arn:aws:s3:::uploads"
    fn = function(environment=[EnvVar("BUCKET", references=[bucket])])
    snap = snapshot(fn)
    (default,) = generate_all(snap, usage())  # no s3 data events at all
    unverified = {(e.action, e.resource) for e in default.entries if e.origin == "unverified"}
    assert ("s3:GetObject", bucket + "/*") in unverified and ("s3:ListBucket", bucket) in unverified
    # narrowed to the bucket the configuration names, every data-plane action (none proven unused)
    assert all(r.startswith(bucket) for a, r in unverified if a.startswith("s3:"))
    assert ("s3:GetObjectAcl", bucket + "/*") in unverified
    assert not any(a.startswith("s3:PutBucket") for a, _ in unverified)  # management actions are observable
    assert all(e.evidence["referenced_by"] == "environment variable BUCKET" for e in default.entries
               if e.origin == "unverified" and e.action.startswith("s3:"))
    assert default.evidence.verdict == "partial" and any("no s3 data events for uploads" in r for r in default.evidence.reasons)
    (dropped,) = generate_all(snap, usage(), Options(unverified="drop"))
    assert not any(e.origin == "unverified" for e in dropped.entries)
    (kept,) = generate_all(snap, usage(), Options(unverified="keep"))
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::other/x"), generated(kept)).result is Result.ALLOW
    # with s3 data events recorded for the bucket, unseen object access is simply unused
    (seen,) = generate_all(snap, usage(data={"s3": {bucket: 5}}))
    assert not any(e.origin == "unverified" and e.action == "s3:GetObject" for e in seen.entries)


def test_boundary_caps_the_counts():
    boundary = doc({"Effect": "Allow", "Action": ["dynamodb:*", "logs:*"], "Resource": "*"})
    (res,) = generate_all(snapshot(function(), BROAD, boundary=boundary), usage({"action": "dynamodb:GetItem", "resource": TABLE}))
    cap = allowed_actions(parse_policy(boundary))
    assert res.before == len(allowed_actions(parse_policy(BROAD)) & cap)
    assert res.after == len(allowed_actions(generated(res)) & cap)
    assert "dynamodb:deletetable" not in allowed_actions(generated(res))  # a management event never seen
    assert res.after < res.before / 3


def test_large_policies_fit_the_inline_limit_or_split():
    many = [{"action": a.full_name, "resource": f"arn:aws:s3:::bucket-{i}/*"}
            for i, a in enumerate(default_catalog().service_actions("s3")) if a.resource_types]
    (res,) = generate_all(snapshot(function()), usage(*many))
    assert res.verification["ok"]
    for d in res.documents:
        assert len(json.dumps(d, separators=(",", ":"))) <= INLINE_LIMIT


def test_output_formats(tmp_path):
    from click.testing import CliRunner

    from iam_analyzer.cli import main

    fn = function()
    snap = snapshot(fn)
    snap.save(tmp_path / "snap.json")
    (tmp_path / "usage.json").write_text(json.dumps(usage({"action": "dynamodb:GetItem", "resource": TABLE})))
    for fmt, ext in (("json", ".json"), ("cloudformation", ".yaml"), ("terraform", ".tf")):
        out = tmp_path / fmt
        res = CliRunner().invoke(main, ["generate", "--snapshot", str(tmp_path / "snap.json"), "--usage",
                                        str(tmp_path / "usage.json"), "--format", fmt, "-o", str(out)])
        assert res.exit_code == 0, res.output
        text = (out / f"worker{ext}").read_text()
        if fmt == "json":
            assert parse_policy(json.loads(text)).statements
        elif fmt == "cloudformation":
            frag = yaml.safe_load(text)
            assert frag["Policies"][0]["PolicyDocument"]["Statement"]
        else:
            assert 'resource "aws_iam_role_policy"' in text and "jsonencode(" in text and 'role = "app"' in text
        summary = json.loads((out / "summary.json").read_text())
        (s,) = summary["functions"]
        assert summary["all_verified"] and s["file"] == f"worker{ext}" and s["evidence"]["verdict"] == "sufficient"
        assert s["granted_actions_after"] < s["granted_actions_before"] / 10
        explain = json.loads((out / "worker.explain.json").read_text())
        assert {"kept", "dropped_unverified", "verification", "not_granted_today"} <= set(explain)


def test_shared_role_gets_a_union_and_a_note(tmp_path):
    from click.testing import CliRunner

    from iam_analyzer.cli import main

    a, b = function(), function()
    b.name, b.arn = "other", b.arn.replace("worker", "other")
    snap = snapshot(a)
    snap.accounts[0].functions.append(b)
    snap.save(tmp_path / "s.json")
    u = usage({"action": "dynamodb:GetItem", "resource": TABLE})
    u["principals"].append({"arn": ROLE, "type": "role", "session": "other", "function": None, "actions": [
        {"action": "sqs:SendMessage", "resource": QUEUE, "count": 1, "denied": 0, "first_seen": "x", "last_seen": "y",
         "data_event": False}]})
    (tmp_path / "u.json").write_text(json.dumps(u))
    res = CliRunner().invoke(main, ["generate", "--snapshot", str(tmp_path / "s.json"), "--usage", str(tmp_path / "u.json"),
                                    "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    union = json.loads((tmp_path / "out" / "role-app.json").read_text())
    pols = [parse_policy(union)]
    assert evaluate(Request("dynamodb:GetItem", TABLE), pols).result is Result.ALLOW
    assert evaluate(Request("sqs:SendMessage", QUEUE), pols).result is Result.ALLOW
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["shared_roles"][0]["role"] == ROLE and "role per function" in summary["shared_roles"][0]["note"]


# -- the two invariants, on random originals and usage --------------------------------------------

ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "s3:GetObject", "s3:PutObject", "s3:ListBucket",
           "sqs:SendMessage", "sqs:ReceiveMessage", "kms:Decrypt", "ssm:GetParameter", "logs:CreateLogStream",
           "logs:PutLogEvents", "ec2:CreateNetworkInterface", "secretsmanager:GetSecretValue"]
PATTERNS = ["*", "dynamodb:*", "s3:Get*", "sqs:*", "logs:*", "ec2:*Network*"] + ACTIONS
RESOURCES = ["*", TABLE, TABLE + "/index/*", "arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::b/in/*", QUEUE,
             f"arn:aws:sqs:{R}:{ACCT}:*", f"arn:aws:logs:{R}:{ACCT}:log-group:/aws/lambda/worker:*",
             f"arn:aws:ssm:{R}:{ACCT}:parameter/app/*"]
USED = [TABLE, TABLE + "/index/by-date", "arn:aws:s3:::b", "arn:aws:s3:::b/in/x", "arn:aws:s3:::b/out/y", QUEUE, "*",
        f"arn:aws:ssm:{R}:{ACCT}:parameter/app/x"]


@st.composite
def originals(draw):
    sts = []
    for _ in range(draw(st.integers(1, 4))):
        s = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"])),
             "Action": draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3, unique=True)),
             "Resource": draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True))}
        if draw(st.integers(0, 4)) == 0:
            s["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        sts.append(s)
    return doc(*sts)


@settings(max_examples=60, deadline=None)
@given(originals(), st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(USED)), max_size=6),
       st.booleans(), st.sampled_from(["referenced", "keep", "drop"]))
def test_generated_policy_never_widens_and_never_breaks(original, used, with_sqs_source, mode):
    fn = function(event_source_mappings=[EventSourceMapping("u", QUEUE, "sqs", "")] if with_sqs_source else [],
                  environment=[EnvVar("T", references=[TABLE])])
    snap = snapshot(fn, original)
    u = usage(*({"action": a, "resource": r} for a, r in used), data={"s3": {"arn:aws:s3:::b": 1}})
    (res,) = generate_all(snap, u, Options(unverified=mode))
    orig = [parse_policy(original)]
    gen = generated(res)
    # never widen
    assert new_access(gen, orig) == [] if gen else True
    assert res.verification["new_access_count"] == 0
    # never break: everything observed or required that the original allowed is still allowed
    needs = [(a, r) for a, r in used] + [(q.action, q.resource) for q in requirements(fn)]
    for action, resource in needs:
        before = evaluate(Request(action, resource), orig).result
        if before is Result.ALLOW:
            assert evaluate(Request(action, resource), gen).result is Result.ALLOW, (action, resource)
        elif before is Result.CONDITIONAL:
            assert evaluate(Request(action, resource), gen).result in (Result.ALLOW, Result.CONDITIONAL)
    assert not res.verification["replay_failures"]


def test_sam_format_round_trips_through_the_sam_translator(tmp_path):
    """--format sam: a Policies block that, pasted into a SAM function and transformed by the real
    translator, gives its role exactly the generated policy (Version kept: policy variables work)."""
    from click.testing import CliRunner

    from iam_analyzer.cli import main
    from iam_analyzer.collect.iac import read_paths

    fn = function(dead_letter_target=DLQ)
    snap = snapshot(fn, doc({"Effect": "Allow", "Action": ["dynamodb:*", "s3:*", "sqs:*", "logs:*"], "Resource": "*"},
                            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:userid}/*"}))
    snap.save(tmp_path / "snap.json")
    (tmp_path / "usage.json").write_text(json.dumps(usage(
        {"action": "dynamodb:GetItem", "resource": TABLE}, {"action": "s3:GetObject", "resource": "arn:aws:s3:::home/${aws:userid}/a"},
        data={"s3": {"arn:aws:s3:::home": 1}})))
    out = tmp_path / "sam"
    r = CliRunner().invoke(main, ["generate", "--snapshot", str(tmp_path / "snap.json"), "--usage", str(tmp_path / "usage.json"),
                                  "--format", "sam", "-o", str(out)])
    assert r.exit_code == 0, r.output
    block = yaml.safe_load((out / "worker.yaml").read_text())
    assert all(p["Version"] == "2012-10-17" and p["Statement"] for p in block["Policies"])
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Worker": {"Type": "AWS::Serverless::Function", "Properties": {
            "FunctionName": "worker", "Runtime": "python3.12", "Handler": "app.handler", "InlineCode": "x",
            "Policies": block["Policies"]}}}}
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(template))
    read = read_paths([str(tmp_path / "template.yaml")], {}, ACCT, R, None)
    (role,) = read.snapshot.roles()
    assert role.inline_policies and all(p.document["Version"] == "2012-10-17" for p in role.inline_policies)
    pasted = [parse_policy(p.document) for p in role.inline_policies
              if "AWSLambdaBasicExecutionRole" not in json.dumps(p.document)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["functions"][0]["evidence"]["verdict"] in ("sufficient", "partial")
    (res,) = generate_all(snap, json.loads((tmp_path / "usage.json").read_text()))
    gen = generated(res)
    probes = [("dynamodb:GetItem", TABLE), ("dynamodb:DeleteTable", TABLE), ("sqs:SendMessage", DLQ),
              ("sqs:SendMessage", QUEUE), ("s3:PutObject", "arn:aws:s3:::home/x/a"), ("logs:CreateLogGroup", "*")]
    for action, resource in probes:
        assert (evaluate(Request(action, resource), pasted).result is Result.ALLOW) == \
               (evaluate(Request(action, resource), gen).result is Result.ALLOW), (action, resource)
    assert evaluate(Request("sqs:SendMessage", DLQ), pasted).result is Result.ALLOW
    assert evaluate(Request("dynamodb:DeleteTable", TABLE), pasted).result is not Result.ALLOW
