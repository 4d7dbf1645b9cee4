"""The rule pack: every rule fires on its planted case and stays quiet on the near miss."""

from __future__ import annotations

import json
from datetime import date, timedelta

import jsonschema
import pytest
from click.testing import CliRunner

from iam_analyzer.analyze.checks.detect import analyze
from iam_analyzer.cli import main
from iam_analyzer.collect.invokers import invokers_from_policy
from iam_analyzer.model import (Account, EnvVar, Function, FunctionUrl, InlinePolicy, Invoker, Role,
                                Snapshot)
from iam_analyzer.analyze.checks.engine import Config, RuleError, load_rules
from tests.paths import ROOT

A = "111122223333"
R = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
RULES = load_rules()


def doc(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


def allow(actions, resource="*", **kw):
    return dict({"Effect": "Allow", "Action": actions, "Resource": resource}, **kw)


TABLE = f"arn:aws:dynamodb:{R}:{A}:table/t"
GOOD = doc(allow(["dynamodb:GetItem"], TABLE),
           allow(["logs:CreateLogStream", "logs:PutLogEvents"], f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/fn:*"))


def snap(policy=GOOD, trust=TRUST, fn_kw=None, extra_fns=0, roles=()) -> Snapshot:
    role = Role(arn=f"arn:aws:iam::{A}:role/fn-role", name="fn-role", trust_policy=trust,
                inline_policies=[InlinePolicy("p", policy)])
    fns = [Function(arn=f"arn:aws:lambda:{R}:{A}:function:fn", name="fn", account_id=A, region=R, role_arn=role.arn,
                    runtime="python3.12", **(fn_kw or {}))]
    for i in range(extra_fns):
        fns.append(Function(arn=f"arn:aws:lambda:{R}:{A}:function:fn{i}", name=f"fn{i}", account_id=A, region=R,
                            role_arn=role.arn, runtime="python3.12"))
    return Snapshot(accounts=[Account(account_id=A, roles=[role, *roles], functions=fns)])


def usage(actions=(), data=None, denied=False):
    """30 days of management events read in the function's account and region."""
    return {"kind": "iam-analyzer-usage",
            "window": {"since": "2026-10-01T00:00:00Z", "until": "2026-10-31T00:00:00Z",
                       "start": "2026-10-01T00:00:00Z", "end": "2026-10-31T00:00:00Z", "days": 30.0},
            "events": {"total": 500, "out_of_window": 0},
            "coverage": [{"account": A, "region": R, "files": 300, "management_events": 400, "data_events": 100,
                          "first_day": "2026-10-01", "last_day": "2026-10-30", "days": 30, "services": ["dynamodb"]}],
            "data_events": {"present": bool(data), "by_service": data or {}},
            "principals": [{"arn": f"arn:aws:iam::{A}:role/fn-role", "type": "role", "session": "fn",
                            "function": f"arn:aws:lambda:{R}:{A}:function:fn",
                            "actions": [{"action": a, "resource": r, "count": 0 if denied else 5, "denied": 3 if denied else 0,
                                         "first_seen": "2026-10-02T00:00:00Z", "last_seen": "2026-10-03T00:59:59Z",
                                         "data_event": False} for a, r in actions]}]}


def ids(snapshot, u=None, cfg=None):
    reported, _, _ = analyze(snapshot, u, RULES, cfg or Config(select=list(RULES)))
    return {f.rule_id for f in reported}


def invokers_of(condition: dict) -> list:
    """The invokers of a resource policy letting Principal "*" invoke under ``condition``."""
    st = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": condition}
    return invokers_from_policy({"Version": "2012-10-17", "Statement": [st]})[0]


def inv(**kw):
    base = dict(principal="s3.amazonaws.com", principal_type="service", actions=["lambda:InvokeFunction"])
    base.update(kw)
    return Invoker(**base)


ESC_ROLE = Role(arn=f"arn:aws:iam::{A}:role/admin", name="admin", trust_policy=TRUST,
                inline_policies=[InlinePolicy("a", doc(allow("*")))])
USED = usage([("dynamodb:GetItem", TABLE), ("logs:CreateLogStream", "x")], data={"dynamodb": {TABLE: 1}})

# rule -> (planted instance, near-miss control); each is (snapshot, usage)
CASES = {
    "IAM001": ((snap(doc(allow("*"))), None), (snap(), None)),
    "IAM002": ((snap(doc(allow("s3:*", "arn:aws:s3:::b/*"))), None), (snap(doc(allow("s3:Get*", "arn:aws:s3:::b/*"))), None)),
    "IAM003": ((snap(doc(allow("sqs:SendMessage"))), None), (snap(doc(allow(["xray:PutTraceSegments", "ec2:DescribeInstances"]))), None)),
    "IAM004": ((snap(doc(allow("*"))), None), (snap(doc(allow("s3:*"))), None)),
    "IAM005": ((snap(doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])), roles=[ESC_ROLE]), None),
               (snap(doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]),
                         {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}), roles=[ESC_ROLE]), None)),
    "IAM006": ((snap(doc(allow("secretsmanager:GetSecretValue"))), None),
               (snap(doc(allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{R}:{A}:secret:app-*"))), None)),
    "IAM007": ((snap(doc(allow("s3:PutBucketPolicy"))), None), (snap(doc(allow("s3:PutBucketPolicy", "arn:aws:s3:::b"))), None)),
    "IAM008": ((snap(doc(allow("iam:CreateAccessKey", f"arn:aws:iam::{A}:user/*"))), None), (snap(doc(allow("iam:ListAccessKeys"))), None)),
    "IAM009": ((snap(doc(allow("iam:PassRole"))), None),
               (snap(doc(allow("iam:PassRole", f"arn:aws:iam::{A}:role/task",
                               Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}))), None)),
    "IAM010": ((snap(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})), None),
               (snap(doc({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}, allow("dynamodb:GetItem", TABLE))), None)),
    "IAM011": ((snap(doc({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"})), None),
               (snap(doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))), None)),
    "IAM012": ((snap(doc(allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"], TABLE))), USED), (snap(), USED)),
    "IAM013": ((snap(doc(allow("dynamodb:GetItem", TABLE), allow("sns:Publish", f"arn:aws:sns:{R}:{A}:t"))), USED), (snap(), USED)),
    "IAM014": ((snap(), usage([])), (snap(), USED)),
    "IAM015": ((snap(doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))), USED),
               (snap(doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))), usage([("dynamodb:GetItem", TABLE)], data={"s3": {"arn:aws:s3:::b": 1}}))),
    "IAM016": ((snap(), usage([("dynamodb:PutItem", TABLE)], denied=True)), (snap(), USED)),
    "LAM001": ((snap(fn_kw={"urls": [FunctionUrl("https://x.lambda-url.us-east-1.on.aws", "NONE")]}), None),
               (snap(fn_kw={"urls": [FunctionUrl("https://x.lambda-url.us-east-1.on.aws", "AWS_IAM")]}), None)),
    # read from real policy text: a condition the caller sets itself (User-Agent) pins nobody;
    # an organisation condition does
    "LAM002": ((snap(fn_kw={"invokers": invokers_of({"StringLike": {"aws:UserAgent": "curl*"}})}), None),
               (snap(fn_kw={"invokers": invokers_of({"StringEquals": {"aws:PrincipalOrgID": "o-1"}})}), None)),
    "LAM003": ((snap(fn_kw={"invokers": [inv(principal="210987654321", principal_type="account")]}), None),
               (snap(fn_kw={"invokers": [inv(source_arn="arn:aws:s3:::b", source_account=A)]}), None)),
    "LAM004": ((snap(fn_kw={"invokers": [inv(source_arn="arn:aws:s3:::b")]}), None),
               (snap(fn_kw={"invokers": [inv(source_arn="arn:aws:s3:::b", source_account=A)]}), None)),
    "LAM005": ((snap(trust={"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com", "AWS": f"arn:aws:iam::{A}:root"},
                    "Action": "sts:AssumeRole"}]}), None), (snap(), None)),
    "LAM006": ((snap(extra_fns=1), None), (snap(), None)),
    "LAM007": ((snap(fn_kw={"environment": [EnvVar("API_TOKEN", looks_secret=True, secret_pattern="secret-like-name")]}), None),
               (snap(fn_kw={"environment": [EnvVar("TABLE", references=[TABLE])]}), None)),
    "LAM008": ((snap(fn_kw={}), None), (snap(), None)),  # runtime set below
    "LAM009": ((snap(doc(*[allow("s3:GetObject", f"arn:aws:s3:::bucket-with-a-long-name-{i:04d}/prefix/*") for i in range(160)])), None),
               (snap(), None)),
    "LAM010": ((snap(), None), (snap(fn_kw={"vpc_id": "vpc-1", "subnet_ids": ["s"]}), None)),
    "LAM011": ((snap(), None), (snap(fn_kw={"dead_letter_target": f"arn:aws:sqs:{R}:{A}:dlq"}), None)),
    "LAM012": ((snap(), None), (snap(fn_kw={"reserved_concurrency": 5}), None)),
}
CASES["LAM008"][0][0].accounts[0].functions[0].runtime = "python3.8"


def test_the_pack_has_at_least_25_rules_and_every_one_has_cases():
    assert len(RULES) >= 25
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_its_planted_case(rule_id):
    (s, u), _ = CASES[rule_id]
    assert rule_id in ids(s, u)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_is_quiet_on_its_near_miss(rule_id):
    _, (s, u) = CASES[rule_id]
    assert rule_id not in ids(s, u)


def test_a_service_invoker_pinned_by_source_account_alone_is_no_confused_deputy():
    """SAM's S3 events write a permission with SourceAccount and no SourceArn: only that
    account's buckets can invoke. An account known only at deployment pins nobody."""
    assert "LAM004" not in ids(snap(fn_kw={"invokers": [inv(source_account=A)]}), None)
    assert "LAM004" in ids(snap(fn_kw={"invokers": [inv(source_account="*")]}), None)
    assert "LAM004" in ids(snap(fn_kw={"invokers": [inv()]}), None)


def test_a_lambda_at_edge_trust_is_no_extra_principal_but_anything_else_is():
    """Lambda@Edge needs its role to trust edgelambda.amazonaws.com beside lambda.amazonaws.com."""
    def trust(*services):
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": list(services)},
                                                        "Action": "sts:AssumeRole"}]}
    assert "LAM005" not in ids(snap(trust=trust("lambda.amazonaws.com", "edgelambda.amazonaws.com")), None)
    assert "LAM005" in ids(snap(trust=trust("lambda.amazonaws.com", "ec2.amazonaws.com")), None)


def test_noisy_rules_are_off_by_default():
    off = {r.id for r in RULES.values() if not r.enabled}
    assert {"LAM010", "LAM011", "LAM012"} <= off
    assert "LAM010" not in ids(snap(), None, Config())  # default config: enabled rules only


def test_findings_have_stable_fingerprints_and_validate_against_the_schema(tmp_path):
    s = snap(doc(allow("*")), fn_kw={"urls": [FunctionUrl("https://x", "NONE")]})
    s.save(tmp_path / "s.json")
    out1, out2 = tmp_path / "f1.json", tmp_path / "f2.json"
    for out in (out1, out2):
        res = CliRunner().invoke(main, ["analyze", "--snapshot", str(tmp_path / "s.json"), "-o", str(out)])
        assert res.exit_code == 0, res.output
    d1, d2 = json.loads(out1.read_text()), json.loads(out2.read_text())
    assert [f["fingerprint"] for f in d1["findings"]] == [f["fingerprint"] for f in d2["findings"]]
    assert len({f["fingerprint"] for f in d1["findings"]}) == len(d1["findings"])
    from iam_analyzer.schema import load

    jsonschema.validate(d1, load("findings"))
    res = CliRunner().invoke(main, ["analyze", "--snapshot", str(tmp_path / "s.json"), "--fail-on", "critical"])
    assert res.exit_code == 1
    res = CliRunner().invoke(main, ["analyze", "--snapshot", str(tmp_path / "s.json"), "--fail-on", "critical",
                                    "--config", str(_cfg(tmp_path, {"ignore": ["IAM001", "IAM004", "privilege-escalation"]}))])
    assert res.exit_code == 0, res.output


def _cfg(tmp_path, data) -> str:
    import yaml

    p = tmp_path / "cfg.yaml"
    p.write_text(yaml.safe_dump(data))
    return str(p)


def test_configuration_selects_overrides_and_suppresses(tmp_path):
    s = snap(doc(allow("*")))
    fn_role = f"arn:aws:iam::{A}:role/fn-role"
    cfg = Config.load(_cfg(tmp_path, {"select": ["IAM001", "IAM004"], "severity": {"IAM001": "low"},
                                      "suppressions": [{"rule": "IAM004", "subject": "arn:aws:iam::*:role/fn-*",
                                                        "reason": "break-glass role, reviewed 2026-11"}]}))
    reported, suppressed, notes = analyze(s, None, RULES, cfg)
    assert [(f.rule_id, f.severity) for f in reported] == [("IAM001", "low")]
    assert [(f.rule_id, f.suppressed["reason"]) for f in suppressed] == [("IAM004", "break-glass role, reviewed 2026-11")]
    expired = Config.load(_cfg(tmp_path, {"select": ["IAM004"], "suppressions": [
        {"rule": "IAM004", "subject": fn_role, "reason": "temporary", "expires": str(date.today() - timedelta(days=1))}]}))
    reported, suppressed, notes = analyze(s, None, RULES, expired)
    assert [f.rule_id for f in reported] == ["IAM004"] and not suppressed and "expired" in notes[0]
    with pytest.raises(RuleError, match="reason"):
        Config.load(_cfg(tmp_path, {"suppressions": [{"rule": "IAM004"}]}))
    min_sev = Config.load(_cfg(tmp_path, {"min_severity": "high"}))
    assert all(f.severity in ("critical", "high") for f in analyze(snap(doc(allow("s3:*"))), None, RULES, min_sev)[0])


def test_user_rules_folder_adds_a_rule_without_python(tmp_path):
    (tmp_path / "ORG001.yaml").write_text(
        "id: ORG001\ntitle: Functions must be tagged with a team\nseverity: low\ncategory: hygiene\n"
        "why: Ownership.\nfix: Add a team tag.\nmatcher:\n  subject: function\n  where:\n    - {field: tags, is_null: true}\n"
        "  message: '{function} has no tags'\n")
    rules = load_rules([tmp_path])
    reported, _, _ = analyze(snap(), None, rules, Config(select=["ORG001"]))
    assert [f.message for f in reported] == ["fn has no tags"]
    (tmp_path / "BAD.yaml").write_text("id: BAD\ntitle: x\n")
    with pytest.raises(RuleError, match="BAD.yaml: missing"):
        load_rules([tmp_path])


def test_rule_docs_are_generated_and_current():

    from iam_analyzer.emit.rules_docs import render_all

    folder = ROOT / "docs" / "rules"
    for name, text in render_all().items():
        assert (folder / name).read_text() == text, f"docs/rules/{name} is stale: run python -m iam_analyzer.emit.rules_docs"


def test_rules_commands():
    res = CliRunner().invoke(main, ["rules", "list", "--format", "json"])
    assert {r["id"] for r in json.loads(res.stdout)} == set(RULES)
    res = CliRunner().invoke(main, ["rules", "show", "lam001"])
    assert res.exit_code == 0 and "# LAM001" in res.stdout and "How to fix" in res.stdout
    assert CliRunner().invoke(main, ["rules", "show", "NOPE1"]).exit_code == 2


def test_unused_rules_stay_quiet_without_evidence_of_absence():
    broad = snap(doc(allow(["dynamodb:*", "sns:*"], "*")))
    assert {"IAM012", "IAM013", "IAM014"} <= ids(broad, usage([]))  # 30 days of the region read: absence is evidence
    nothing_read = dict(usage([]), events={"total": 0, "out_of_window": 0})
    other_region = dict(usage([]), coverage=[dict(usage([])["coverage"][0], region="eu-west-1")])
    too_short = dict(usage([]), window=dict(usage([])["window"], start="2026-10-28T00:00:00Z"))
    for u in (nothing_read, other_region, too_short):
        assert not ids(broad, u) & {"IAM012", "IAM013", "IAM014"}
