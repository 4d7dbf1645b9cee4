"""The evidence verdict and proof of absence, as pure functions; usage's record of coverage."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.analyze.evidence import EvidenceOptions, verdict, why_kept
from iam_analyzer.analyze.generate.deployed import Options, generate_all
from iam_analyzer.analyze.schedule import longest_gap
from iam_analyzer.cli import main
from iam_analyzer.collect.cloudtrail.pipeline import Window, run, to_document
from iam_analyzer.collect.cloudtrail.sources import FolderSource
from iam_analyzer.collect.cloudtrail.synth import Caller, record, write_log_file
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.iam.trail_coverage import DATA, MANAGEMENT, NEVER, event_regions, needs_own_events, observability
from iam_analyzer.model import Role, Trigger

from .test_generate import ACCT, R, ROLE, TABLE, coverage, doc, function, generated, snapshot, usage


@pytest.mark.parametrize("expr,days", [
    ("rate(5 minutes)", 5 / 1440), ("rate(1 day)", 1), ("rate(3 days)", 3), ("cron(0 2 * * ? *)", 1),
    ("cron(0 9 ? * MON *)", 7), ("cron(0 9 ? * MON-FRI *)", 3), ("cron(0 9 1 * ? *)", 31), ("cron(0 8 1,15 * ? *)", 17),
    ("cron(0 12 L * ? *)", 31), ("cron(0 */6 * * ? *)", 0.25), ("at(2026-01-01T00:00:00)", None), ("cron(bad)", None),
])
def test_schedule_rhythm(expr, days):
    assert longest_gap(expr) == (pytest.approx(days) if days is not None else None)


def fn_in(region: str, **kw):
    f = function(**kw)
    f.region, f.arn = region, f.arn.replace(f":{R}:", f":{region}:")
    return f


def monthly(fn):
    fn.triggers = [Trigger("eventbridge-rule", f"arn:aws:events:{R}:{ACCT}:rule/m", fn.arn,
                           {"schedule": "cron(0 3 1 * ? *)"})]
    return fn


def window(days: float, end="2026-11-02T00:00:00Z") -> dict:
    e = datetime.fromisoformat(end.replace("Z", "+00:00"))
    s = (e - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"since": s, "until": end, "first_event": s, "last_event": end, "start": s, "end": end, "days": days}


def test_verdicts():
    fn = function()
    role = Role(arn=ROLE, name="app")
    assert verdict(fn, role, usage()).verdict == "sufficient"
    assert verdict(fn, role, None).verdict == "insufficient"
    empty = dict(usage(), events={"total": 0, "out_of_window": 0})
    assert "no CloudTrail events were read" in verdict(fn, role, empty).reasons[0]
    other = verdict(fn_in("eu-west-1"), role, usage())
    assert other.verdict == "insufficient" and "does not cover account" in other.reasons[0]
    short = usage(window=window(10), cover=[coverage(first="2026-10-23")])
    ev = verdict(fn, role, short)
    assert ev.verdict == "insufficient" and "shorter than the minimum window of 14 days" in ev.reasons[0]
    assert verdict(fn, role, short, EvidenceOptions(min_window_days=7)).verdict == "sufficient"
    assert verdict(monthly(function()), role, usage()).verdict == "insufficient"  # 30 days < two months
    long = usage(window=window(70), cover=[coverage(first="2026-08-24")])
    assert verdict(monthly(function()), role, long).verdict == "sufficient"
    used = Role(arn=ROLE, name="app", last_used="2026-10-20T10:00:00+00:00", last_used_region=R)
    unseen = dict(usage(), principals=[])
    ev = verdict(fn, used, unseen)
    assert ev.verdict == "insufficient" and "IAM records role app as last used on 2026-10-20" in ev.reasons[0]
    assert verdict(fn, used, usage({"action": "ssm:GetParameter", "resource": "*"})).verdict == "sufficient"
    assert verdict(fn, Role(arn=ROLE, name="app", last_used="2026-09-01"), unseen).verdict == "sufficient"  # before
    fresh = verdict(function(last_modified="2026-10-25T08:00:00.000+0000"), role, usage())
    assert fresh.verdict == "partial" and "only 7.7 of the window's 30 day(s)" in fresh.reasons[0]
    late = verdict(fn, role, usage(cover=[coverage(first="2026-10-10")]))
    assert late.verdict == "partial" and "read only from 2026-10-10" in late.reasons[0] and late.days == 23


def test_proof_of_absence_per_grant():
    fn = fn_in("eu-west-1")
    ev = verdict(fn, None, usage(cover=[coverage(region="eu-west-1", services=("dynamodb",))],
                                 data={"s3": {"arn:aws:s3:::b": 3}}))
    assert ev.verdict == "partial"  # us-east-1, where IAM logs, was not read
    assert why_kept("dynamodb:DeleteTable", "*", ev) is None
    assert "never records" in why_kept("iam:PassRole", "*", ev)
    assert "in us-east-1" in why_kept("iam:GetRole", "*", ev)  # a global service
    assert "in us-east-1" in why_kept("sts:GetCallerIdentity", "*", ev)  # global endpoint too
    assert "a trail can exclude them" in why_kept("kms:Decrypt", "*", ev)
    assert why_kept("s3:GetObject", "arn:aws:s3:::b/k/*", ev) is None
    assert "data events" in why_kept("s3:GetObject", "*", ev)
    assert "data events" in why_kept("s3:GetObject", "arn:aws:s3:::c/*", ev)
    assert event_regions("iam:PassRole", "eu-west-1") == ("us-east-1",) and needs_own_events("KMS:Decrypt")


# -- for any snapshot and usage: no action dropped whose service the evidence did not cover -------------------

ACTIONS = ["dynamodb:GetItem", "dynamodb:DescribeTable", "dynamodb:DeleteTable", "s3:GetObject", "s3:PutBucketPolicy",
           "sqs:SendMessage", "sqs:CreateQueue", "kms:Decrypt", "ssm:GetParameter", "iam:PassRole", "iam:GetRole",
           "sts:GetCallerIdentity", "logs:PutLogEvents", "ec2:DescribeInstances"]
PATTERNS = ["*", "dynamodb:*", "s3:*", "sqs:*", "kms:*", "iam:*", "sts:*", "ec2:Describe*"] + ACTIONS
RESOURCES = ["*", TABLE, "arn:aws:s3:::b/*", "arn:aws:s3:::c/*", f"arn:aws:sqs:{R}:{ACCT}:*"]
PROBES = [TABLE, f"arn:aws:dynamodb:{R}:{ACCT}:table/other", "arn:aws:s3:::b/k", "arn:aws:s3:::c/k",
          f"arn:aws:sqs:{R}:{ACCT}:q", f"arn:aws:iam::{ACCT}:role/x", "*"]


@st.composite
def cases(draw):
    sts = [{"Effect": "Allow", "Action": draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3, unique=True)),
            "Resource": draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True))}
           for _ in range(draw(st.integers(1, 3)))]
    region = draw(st.sampled_from(["us-east-1", "eu-west-1"]))
    regions = draw(st.lists(st.sampled_from(["us-east-1", "eu-west-1"]), unique=True, max_size=2))
    if draw(st.integers(0, 3)) and region not in regions:
        regions.append(region)  # mostly a trail that covers the function: that is where tightening happens
    services = draw(st.lists(st.sampled_from(["dynamodb", "kms", "sqs", "iam"]), unique=True))
    cover = [coverage(region=r, services=services) for r in regions]
    data = {svc: {res: 1} for svc, res in draw(st.lists(st.sampled_from(
        [("s3", "arn:aws:s3:::b"), ("dynamodb", TABLE)]), unique=True))}
    used = draw(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(PROBES[:5])), max_size=4))
    return doc(*sts), region, cover, data, used, draw(st.sampled_from(["referenced", "keep"]))


def covered(action: str, resource: str, region: str, cover: list[dict], data: dict) -> bool:
    """An oracle written apart from analyze/evidence.py: could the usage have shown this call?"""
    kind = observability(action)
    if kind == NEVER:
        return False
    svc = action.split(":")[0].lower()
    if kind == DATA:
        containers = {r.split("/")[0] if svc == "s3" else r for r in data.get(svc, {})}
        return resource != "*" and (resource.split("/")[0] if svc == "s3" else resource) in containers
    assert kind == MANAGEMENT
    read = {c["region"]: set(c["services"]) for c in cover}
    need = {"iam": ["us-east-1"], "sts": sorted({region, "us-east-1"})}.get(svc, [region])
    return all(r in read and (svc not in ("kms",) or svc in read[r]) for r in need)


@settings(max_examples=80, deadline=None)
@given(cases())
def test_nothing_is_dropped_that_the_evidence_did_not_cover(case):
    original, region, cover, data, used, mode = case
    fn = fn_in(region)
    u = usage(*({"action": a, "resource": r} for a, r in used), data=data, cover=cover)
    (res,) = generate_all(snapshot(fn, original), u, Options(unverified=mode))
    if not res.tightened:
        assert res.documents == [] or not res.evidence.tightens
        return
    orig, gen = [parse_policy(original)], generated(res)
    for action in ACTIONS:
        for resource in PROBES:
            if evaluate(Request(action, resource), orig).result is not Result.ALLOW:
                continue
            if not covered(action, resource, region, cover, data):
                assert evaluate(Request(action, resource), gen).result is Result.ALLOW, (action, resource, res.evidence)


# -- usage records what it read -------------------------------------------------------------------


T0 = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)


def _trail(root, days=3):
    rng = random.Random(2)
    c = Caller(ACCT, "app", "worker")
    for d in range(days):
        when = T0 + timedelta(days=d)
        write_log_file(root, ACCT, "us-east-1", when, [
            record(c, when, "ssm.amazonaws.com", "GetParameter", {"name": "/a"}, rng=rng),
            record(c, when, "s3.amazonaws.com", "GetObject", {"bucketName": "b", "key": "k"},
                   [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k"}], rng=rng)])


def test_usage_records_per_account_and_region_what_was_read(tmp_path):
    _trail(tmp_path)
    w = Window("2026-10-31T00:00:00Z", "2026-11-05T00:00:00Z")
    docs = [to_document(run(FolderSource(tmp_path).units(), w, workers=n), w, []) for n in (1, 2)]
    for d in docs:
        d.pop("created_at")
    assert docs[0] == docs[1]
    (cov,) = docs[0]["coverage"]
    assert cov == {"account": ACCT, "region": "us-east-1", "files": 3, "management_events": 3, "data_events": 3,
                   "first_day": "2026-11-01", "last_day": "2026-11-03", "days": 3, "services": ["ssm"]}
    assert docs[0]["window"]["start"] == "2026-10-31T00:00:00Z" and docs[0]["window"]["days"] == 5.0


def test_every_file_outside_the_window_is_said_plainly(tmp_path):
    _trail(tmp_path / "logs")
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in (tmp_path / "logs").rglob("*.json.gz"):
        (flat / p.name).write_bytes(p.read_bytes())
    empty = tmp_path / "empty"
    empty.mkdir()
    codes = {}
    for name, loc in (("dated", tmp_path / "logs"), ("flat", flat), ("empty", empty)):
        r = CliRunner().invoke(main, ["usage", "--cloudtrail", str(loc), "--since", "2026-11-20", "--until", "2026-11-25",
                                      "-o", str(tmp_path / f"{name}.json")])
        codes[name] = r.exit_code
        assert "no CloudTrail file could be read" not in r.stderr, r.stderr
        if name == "dated":
            assert "all 3 CloudTrail file(s) found dated 2026-11-01 to 2026-11-03 lie outside the window " \
                   "2026-11-20 to 2026-11-25" in r.stderr
        elif name == "flat":
            assert "all 6 event(s) of the 3 file(s) read lie outside the window 2026-11-20 to 2026-11-25" in r.stderr
        else:
            assert "no CloudTrail files in the window" in r.stderr
        written = json.loads((tmp_path / f"{name}.json").read_text())
        assert written["events"]["total"] - written["events"]["out_of_window"] == 0
    assert codes == {"dated": 0, "flat": 0, "empty": 0}  # one exit code for "nothing in the window"
