"""The generator and the organization's guardrails: a grant that no evidence speaks for and
that the SCPs/RCPs deny on every resource it covers is dropped as denied-by-scp (it can never
be used); what was observed or is required stays whatever the SCPs say."""

from __future__ import annotations

from iam_analyzer.analyze.generate.deployed import Options, generate_all
from iam_analyzer.analyze.org import attach_files
from iam_analyzer.iam.organizations import SCP
from iam_analyzer.model_org import OrgPolicy

from .test_generate import ACCT, ROLE, doc, function, snapshot, usage

GUARD = doc({"Sid": "PlatformPassesRoles", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/platform-*"}}},
            {"Sid": "EuOnly", "Effect": "Deny", "Action": ["s3:PutObject", "dynamodb:GetItem"], "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}})


def _run(snap, use, scp=None):
    if scp is not None:
        attach_files(snap, [OrgPolicy(id="p-guard", name="guard", type=SCP, document=scp)])
    (res,) = generate_all(snap, use, Options())
    return res


def _actions(res) -> set[str]:
    return {e.action for e in res.entries}


def test_grants_the_scps_deny_everywhere_are_dropped_and_named():
    use = usage({"action": "dynamodb:GetItem", "resource": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"})
    before = _run(snapshot(function()), use)
    after = _run(snapshot(function()), use, GUARD)
    assert {"iam:PassRole", "s3:PutObject"} <= _actions(before)  # unverified: kept without an SCP
    assert "iam:PassRole" not in _actions(after) and "s3:PutObject" not in _actions(after)
    reasons = {a: d.reason for d in after.dropped for a in d.actions}
    assert reasons["iam:PassRole"] == "denied-by-scp: p-guard (guard)"
    assert reasons["s3:PutObject"].startswith("denied-by-scp: p-guard")
    explain = [d.as_dict() for d in after.dropped]
    assert any(d["reason"].startswith("denied-by-scp") and "iam:PassRole" in d["actions"] for d in explain)
    # what the function was seen calling stays although the SCP's region guard would deny it
    assert "dynamodb:GetItem" in _actions(after)
    # s3:GetObject is not named by the SCP: still kept as unverified
    assert "s3:GetObject" in _actions(after)
    assert after.verification["ok"]


def test_an_exempted_role_and_the_management_account_keep_their_grants():
    use = usage({"action": "dynamodb:GetItem", "resource": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"})
    region_free = doc(GUARD["Statement"][0])
    snap = snapshot(function())
    snap.accounts[0].roles[0].arn = ROLE.replace("role/app", "role/platform-app")
    snap.accounts[0].functions[0].role_arn = snap.accounts[0].roles[0].arn
    assert "iam:PassRole" in _actions(_run(snap, _usage_for(use, snap.accounts[0].roles[0].arn), region_free))
    mgmt = snapshot(function())
    attach_files(mgmt, [OrgPolicy(id="p-guard", name="guard", type=SCP, document=region_free)],
                 {"management_account_id": ACCT})
    (res,) = generate_all(mgmt, use, Options())
    assert "iam:PassRole" in _actions(res)


def test_an_undecidable_condition_keeps_the_grant():
    unknown = doc({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}})
    use = usage({"action": "dynamodb:GetItem", "resource": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"})
    assert "iam:PassRole" in _actions(_run(snapshot(function()), use, unknown))


def _usage_for(use: dict, role_arn: str) -> dict:
    return {**use, "principals": [{**p, "arn": role_arn} for p in use["principals"]]}
