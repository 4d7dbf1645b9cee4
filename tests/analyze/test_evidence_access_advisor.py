"""IAM Access Advisor in the evidence verdict: a service it saw used that the trail never showed
makes the evidence insufficient; a service it saw unused since before the window is proof of
absence, data plane included. Pure: dataclasses and small usage documents."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.analyze.evidence import verdict, why_kept
from iam_analyzer.analyze.generate.deployed import Options, generate_all
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.model import AccessAdvisor, EventSourceMapping, Role, ServiceLastAccessed

from .test_evidence_core import ACTIONS, PROBES, cases, covered, fn_in
from .test_generate import BROAD, QUEUE, ROLE, TABLE, function, generated, snapshot, usage

FRESH = "2026-11-03T00:00:00Z"  # the usage window ends 2026-11-02
STALE = "2026-10-20T00:00:00Z"
OLD_ROLE = "2024-01-01T00:00:00+00:00"
IN_WINDOW = "2026-10-20T10:00:00Z"
BEFORE = "2026-09-01T00:00:00Z"


def report(*services, generated_at=FRESH, error=None) -> AccessAdvisor:
    return AccessAdvisor(generated_at=generated_at, error=error, services=[
        ServiceLastAccessed(service_namespace=ns, last_authenticated=t, last_authenticated_region="eu-west-1" if t else None)
        for ns, t in services])


def role(aa: AccessAdvisor | None, created=OLD_ROLE) -> Role:
    return Role(arn=ROLE, name="app", create_date=created, access_advisor=aa)


def allows(res, action, resource) -> bool:
    return evaluate(Request(action, resource), generated(res)).result is Result.ALLOW


def test_a_service_used_in_the_window_that_the_trail_never_showed_is_insufficient():
    u = usage({"action": "dynamodb:GetItem", "resource": TABLE})
    aa = report(("dynamodb", IN_WINDOW), ("s3", IN_WINDOW))
    ev = verdict(function(), role(aa), u)
    assert ev.verdict == "insufficient"
    assert "IAM Access Advisor saw role app use s3 on 2026-10-20 in eu-west-1" in ev.reasons[0]
    assert "turn on data events for s3" in ev.what_to_do[0] and "region and account" in ev.what_to_do[0]
    snap = snapshot(function())
    snap.accounts[0].roles[0].access_advisor = aa
    (res,) = generate_all(snap, u)
    assert not res.tightened and res.documents == []  # never break: no tightened policy at all
    # the same report, with the trail showing S3: nothing missing
    assert verdict(function(), role(aa), usage({"action": "s3:ListAllMyBuckets", "resource": "*"},
                                               {"action": "dynamodb:GetItem", "resource": TABLE})).verdict == "sufficient"
    # a report that failed says nothing
    assert verdict(function(), role(report(("s3", IN_WINDOW), error="AccessDenied: no")), u).verdict == "sufficient"


def test_what_lambda_itself_calls_with_the_role_is_no_gap():
    fn = function(event_source_mappings=[EventSourceMapping("u1", QUEUE, "sqs", "")], tracing_mode="Active")
    aa = report(("sqs", IN_WINDOW), ("xray", IN_WINDOW), ("logs", IN_WINDOW))  # polling, traces, log delivery
    assert verdict(fn, role(aa), usage()).verdict == "sufficient"
    assert verdict(function(), role(aa), usage()).verdict == "insufficient"  # no queue, no tracing: unexplained


def test_a_service_unused_since_before_the_window_is_proof_of_absence_data_plane_included():
    aa = report(("s3", None), ("sqs", BEFORE), ("iam", None), ("dynamodb", IN_WINDOW))
    u = usage({"action": "dynamodb:GetItem", "resource": TABLE})
    ev = verdict(function(), role(aa), u)
    assert ev.verdict == "sufficient"
    assert ev.as_dict()["access_advisor_unused"] == {
        "iam": "Access Advisor: service not used in 400 days (report of 2026-11-03)",
        "s3": "Access Advisor: service not used in 400 days (report of 2026-11-03)",
        "sqs": "Access Advisor: service not used since 2026-09-01 (report of 2026-11-03)"}
    assert why_kept("s3:GetObject", "*", ev) is None  # a data event no trail read could show
    assert why_kept("sqs:SendMessage", QUEUE, ev) is None
    assert "never records" in why_kept("iam:PassRole", "*", ev)  # a permission, not a call Access Advisor sees
    assert "data events" in why_kept("dynamodb:GetItem", "*", ev)  # used in the window: only the trail decides

    def generate(aa_, created=OLD_ROLE):
        snap = snapshot(function(), BROAD)
        snap.accounts[0].roles[0].access_advisor, snap.accounts[0].roles[0].create_date = aa_, created
        (res,) = generate_all(snap, u, Options(unverified="keep"))
        assert res.tightened and res.verification["ok"]
        return res

    res = generate(aa)
    assert not allows(res, "s3:GetObject", "arn:aws:s3:::b/k") and not allows(res, "sqs:SendMessage", QUEUE)
    assert allows(res, "iam:PassRole", "*") and allows(res, "dynamodb:GetItem", TABLE)
    # without a usable report the data plane stays, unverified
    for unusable in (None, report(("s3", None), ("sqs", BEFORE), generated_at=STALE),
                     report(("s3", None), ("sqs", BEFORE), generated_at="2026-12-01T00:00:00Z"),
                     report(("s3", None), ("sqs", BEFORE), error="AccessDenied: no")):
        res = generate(unusable)
        assert allows(res, "s3:GetObject", "arn:aws:s3:::b/k") and allows(res, "sqs:SendMessage", QUEUE), unusable
    # a role younger than the window: "never used" may only mean "not yet"
    res = generate(aa, created="2026-10-25T00:00:00+00:00")
    assert allows(res, "s3:GetObject", "arn:aws:s3:::b/k") and not allows(res, "sqs:SendMessage", QUEUE)


# -- for any snapshot, usage and report: nothing dropped that neither the trail nor Access Advisor vouched for

SERVICES = sorted({a.split(":")[0] for a in ACTIONS} - {"logs"})  # logs: Lambda's own log delivery


@st.composite
def with_reports(draw):
    case = draw(cases())
    statuses = draw(st.dictionaries(st.sampled_from(SERVICES), st.sampled_from([None, BEFORE, IN_WINDOW]), max_size=4))
    return case, statuses, draw(st.sampled_from([FRESH, STALE])), draw(st.sampled_from([OLD_ROLE, "2026-10-25T00:00:00+00:00"]))


@settings(max_examples=80, deadline=None)
@given(with_reports())
def test_nothing_is_dropped_that_neither_the_trail_nor_access_advisor_vouched_for(args):
    (original, region, cover, data, used, mode), statuses, made, created = args
    fn = fn_in(region)
    u = usage(*({"action": a, "resource": r} for a, r in used), data=data, cover=cover)
    snap = snapshot(fn, original)
    r = snap.accounts[0].roles[0]
    r.access_advisor, r.create_date = report(*statuses.items(), generated_at=made), created
    (res,) = generate_all(snap, u, Options(unverified=mode))
    shown = {a.split(":")[0] for a, _ in used}
    if any(t == IN_WINDOW and s not in shown for s, t in statuses.items()):
        assert not res.tightened  # the trail missed the role's activity: no tightened policy
    if not res.tightened:
        return
    fresh = made == FRESH

    def vouched(action, resource):
        svc = action.split(":")[0]
        unused = fresh and svc in statuses and (statuses[svc] == BEFORE or (statuses[svc] is None and created == OLD_ROLE))
        return covered(action, resource, region, cover, data) or (unused and action != "iam:PassRole")

    orig, gen = [parse_policy(original)], generated(res)
    for action in ACTIONS:
        for resource in PROBES:
            if evaluate(Request(action, resource), orig).result is Result.ALLOW and not vouched(action, resource):
                assert evaluate(Request(action, resource), gen).result is Result.ALLOW, (action, resource, statuses)
