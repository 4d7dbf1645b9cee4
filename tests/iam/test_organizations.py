"""The organization's layer of the one evaluator: SCPs at every level of the chain, RCPs on
the resources of the services they cover, conditions decided where the context is known."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.guardrail_grants import blocked_grant, requested_region
from iam_analyzer.iam.organizations import Guardrails, is_service_linked_role, rcp_covers, read_org_policy
from iam_analyzer.iam.policy import parse_policy

from .strategies import policies, policy_docs, requests

A = "111122223333"
ALLOW_ALL = parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
FULL = ("p-FullAWSAccess", ALLOW_ALL)


def P(*sts):
    return parse_policy({"Version": "2012-10-17", "Statement": list(sts)})


def scps(*levels):
    return Guardrails(scp_levels=tuple((f"level{i}", tuple(lvl)) for i, lvl in enumerate(levels)), own_account=A)


DENY_IAM_EXCEPT_PLATFORM = ("p-deny-iam", P({"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                                             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/platform"}}}))


def test_a_deny_list_scp_denies_and_its_principal_exemption_holds():
    org = scps([FULL, DENY_IAM_EXCEPT_PLATFORM])
    dev = Request("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/x", context={"aws:PrincipalArn": f"arn:aws:iam::{A}:role/dev"})
    plat = Request("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/x", context={"aws:PrincipalArn": f"arn:aws:iam::{A}:role/platform"})
    d = evaluate(dev, [ALLOW_ALL], org=org)
    assert d.result is Result.EXPLICIT_DENY and d.guardrails_block == ["p-deny-iam"]
    assert evaluate(plat, [ALLOW_ALL], org=org).result is Result.ALLOW
    # the principal unknown: the exemption cannot be decided, so neither allowed nor cleared
    unknown = evaluate(Request("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/x"), [ALLOW_ALL], org=org)
    assert unknown.result is Result.CONDITIONAL and [m.policy for m in unknown.guardrails_uncertain] == ["p-deny-iam"]


def test_an_allow_list_scp_blocks_what_it_omits_at_any_level():
    allow_list = ("p-allow", P({"Effect": "Allow", "Action": ["s3:*", "lambda:*"], "Resource": "*"}))
    org = scps([FULL], [allow_list], [FULL])  # root, an OU with the allow-list, the account
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k"), [ALLOW_ALL], org=org).result is Result.ALLOW
    d = evaluate(Request("iam:CreateUser", f"arn:aws:iam::{A}:user/u"), [ALLOW_ALL], org=org)
    assert d.result is Result.IMPLICIT_DENY
    assert d.guardrails_block == ["level1: no SCP attached there allows it"]


def test_scps_grant_nothing_the_identity_policies_do_not():
    org = scps([FULL])
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k"), [], org=org).result is Result.IMPLICIT_DENY


def test_a_region_condition_is_decided_only_when_the_region_is_known():
    region = ("p-region", P({"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}))
    org = scps([FULL, region])
    r = "arn:aws:dynamodb:eu-west-1:111122223333:table/t"
    assert evaluate(Request("dynamodb:GetItem", r, context={"aws:RequestedRegion": "eu-west-1"}), [ALLOW_ALL], org=org).allowed
    assert evaluate(Request("dynamodb:GetItem", r, context={"aws:RequestedRegion": "us-east-1"}), [ALLOW_ALL],
                    org=org).result is Result.EXPLICIT_DENY
    assert evaluate(Request("dynamodb:GetItem", r), [ALLOW_ALL], org=org).result is Result.CONDITIONAL


def test_called_via_is_known_absent_for_a_direct_call():
    deny = ("p-cfn-only", P({"Effect": "Deny", "Action": "lambda:CreateFunction", "Resource": "*",
                             "Condition": {"ForAnyValue:StringNotEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}}}))
    org = scps([FULL, deny])
    direct = Request("lambda:CreateFunction", "*", absent=frozenset({"aws:calledvia"}))
    # an absent key makes ForAnyValue false: the deny does not apply to a direct call
    assert evaluate(direct, [ALLOW_ALL], org=org).allowed
    assert evaluate(Request("lambda:CreateFunction", "*"), [ALLOW_ALL], org=org).result is Result.CONDITIONAL


RCP_ORG_ONLY = ("p-rcp", P({"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*", "sts:AssumeRole"], "Resource": "*",
                            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}}))


def test_rcps_limit_the_resources_of_covered_services_in_the_accounts_they_protect():
    org = Guardrails(rcps={A: (RCP_ORG_ONLY,)}, own_account="999988887777")
    outsider = {"aws:PrincipalOrgID": "o-other"}
    q = f"arn:aws:sqs:us-east-1:{A}:q"
    assert evaluate(Request("sqs:SendMessage", q, context=outsider), [ALLOW_ALL], org=org).result is Result.EXPLICIT_DENY
    assert evaluate(Request("sqs:SendMessage", q, context={"aws:PrincipalOrgID": "o-abc"}), [ALLOW_ALL], org=org).allowed
    # another account's queue: this RCP does not protect it
    other = "arn:aws:sqs:us-east-1:444455556666:q"
    assert evaluate(Request("sqs:SendMessage", other, context=outsider), [ALLOW_ALL], org=org).allowed
    # a bucket's ARN names no account: the owner is not certain, so neither is the deny
    b = evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k", context=outsider), [ALLOW_ALL],
                 org=Guardrails(rcps={A: (RCP_ORG_ONLY,)}, own_account=A))
    assert b.result is Result.CONDITIONAL


def test_rcps_do_not_touch_services_they_do_not_cover():
    deny_all = ("p-rcp-all", P({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}))
    org = Guardrails(rcps={A: (deny_all,)}, own_account=A)
    assert not rcp_covers("dynamodb:GetItem") and rcp_covers("kms:Decrypt") and rcp_covers("logs:PutLogEvents")
    assert evaluate(Request("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{A}:table/t"), [ALLOW_ALL], org=org).allowed
    assert evaluate(Request("kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:key/k"), [ALLOW_ALL],
                    org=org).result is Result.EXPLICIT_DENY


def test_service_linked_roles_are_recognised_by_their_path():
    assert is_service_linked_role(f"arn:aws:iam::{A}:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda")
    assert not is_service_linked_role(f"arn:aws:iam::{A}:role/app/aws-service-role-like")


def test_describe_policy_output_is_read_with_its_id_name_and_organization():
    out = {"Policy": {"PolicySummary": {"Id": "p-123", "Name": "deny-iam", "Type": "SERVICE_CONTROL_POLICY",
                                        "Arn": f"arn:aws:organizations::{A}:policy/o-abc/service_control_policy/p-123",
                                        "AwsManaged": False},
                      "Content": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})}}
    t = read_org_policy(out)
    assert (t.id, t.name, t.organization_id, t.management_account) == ("p-123", "deny-iam", "o-abc", A)
    assert t.document["Statement"][0]["Action"] == "iam:*"
    with pytest.raises(ValueError, match="Policy.Content"):
        read_org_policy({"Policy": {"Content": "not json"}})


def test_a_grant_is_blocked_only_when_every_resource_it_covers_is_denied():
    deny_one = ("p-one", P({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::prod"}))
    deny_all = ("p-all", P({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}))
    allow_some = ("p-allow", P({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::logs-*"}))
    assert blocked_grant(scps([FULL, deny_one]), "s3:DeleteBucket", "arn:aws:s3:::*", {}) == []
    assert blocked_grant(scps([FULL, deny_all]), "s3:DeleteBucket", "arn:aws:s3:::*", {}) == ["p-all"]
    # an Allow that names the action with resources may allow part of the grant
    assert blocked_grant(scps([allow_some]), "s3:DeleteBucket", "*", {}) == []
    assert blocked_grant(scps([allow_some]), "iam:PassRole", "*", {}) == ["level0: no SCP attached there allows iam:PassRole"]
    # a Deny whose condition cannot be decided blocks nothing for sure; decided, it does
    tagged = ("p-tag", P({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*",
                          "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "platform"}}}))
    assert blocked_grant(scps([FULL, tagged]), "s3:DeleteBucket", "*", {}) == []
    assert blocked_grant(scps([FULL, tagged]), "s3:DeleteBucket", "*", {"aws:PrincipalTag/team": "apps"}) == ["p-tag"]
    assert blocked_grant(scps([FULL, tagged]), "s3:DeleteBucket", "*", {}, frozenset({"aws:principaltag/"})) == ["p-tag"]


def test_requested_region_follows_the_service_and_the_resource():
    assert requested_region("iam:PassRole", "*", "eu-west-1") == "us-east-1"
    assert requested_region("sqs:SendMessage", f"arn:aws:sqs:eu-central-1:{A}:q", "eu-west-1") == "eu-central-1"
    assert requested_region("s3:GetObject", "arn:aws:s3:::b/*", "eu-west-1") == "eu-west-1"


RANK = {Result.ALLOW: 2, Result.CONDITIONAL: 1, Result.IMPLICIT_DENY: 0, Result.EXPLICIT_DENY: 0}
CTX = {"aws:PrincipalTag/team": "a", "aws:SecureTransport": "true", "s3:prefix": "logs/a"}


@settings(max_examples=150, deadline=None)
@given(policies(), st.lists(st.lists(policy_docs(max_size=3), min_size=1, max_size=2), min_size=1, max_size=3),
       st.lists(policy_docs(max_size=2), max_size=2), requests, st.booleans())
def test_adding_scps_and_rcps_never_adds_access(identity, scp_levels, rcp_docs, req, with_context):
    action, resource = req
    r = Request(action, resource, context=CTX if with_context else {})
    levels = [[(f"p{i}{j}", parse_policy(d)) for j, d in enumerate(lvl)] for i, lvl in enumerate(scp_levels)]
    rcps = tuple((f"r{i}", parse_policy(_with_principal(d))) for i, d in enumerate(rcp_docs))
    org = Guardrails(scp_levels=tuple((f"l{i}", tuple(lvl)) for i, lvl in enumerate(levels)), rcps={A: rcps}, own_account=A)
    before = evaluate(r, [identity]).result
    after = evaluate(r, [identity], org=org).result
    assert RANK[after] <= RANK[before]
    if before is Result.EXPLICIT_DENY:
        assert after is Result.EXPLICIT_DENY


@settings(max_examples=100, deadline=None)
@given(policies(), policies(), requests)
def test_no_guardrails_give_todays_answers(identity, boundary, req):
    r = Request(*req, context=CTX)
    today = evaluate(r, [identity], boundary=boundary)
    for org in (None, Guardrails(), Guardrails(rcps={A: ()}, own_account=A)):
        d = evaluate(r, [identity], boundary=boundary, org=org)
        assert d.result is today.result and d.allows == today.allows and d.denies == today.denies


def _with_principal(doc):
    return {**doc, "Statement": [{**s, "Principal": "*"} for s in doc["Statement"]]}


from .strategies import CONCRETE_ACTIONS, CONCRETE_RESOURCES, RESOURCE_PATTERNS  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(policy_docs(max_size=3), min_size=1, max_size=2), min_size=1, max_size=2),
       st.sampled_from(CONCRETE_ACTIONS), st.sampled_from(RESOURCE_PATTERNS), st.booleans())
def test_a_grant_said_blocked_is_denied_on_every_resource_it_covers(scp_levels, action, pattern, with_context):
    """What the generator drops as denied-by-scp can never be used: never break."""
    from iam_analyzer.iam import arn as arnlib

    levels = tuple((f"l{i}", tuple((f"p{i}{j}", parse_policy(d)) for j, d in enumerate(lvl)))
                   for i, lvl in enumerate(scp_levels))
    org = Guardrails(scp_levels=levels, own_account=A)
    ctx = CTX if with_context else {}
    if not blocked_grant(org, action, pattern, ctx):
        return
    for r in CONCRETE_RESOURCES:
        if pattern == "*" or (r != "*" and arnlib.matches(pattern, r)):
            got = evaluate(Request(action, r, context=ctx), [ALLOW_ALL], org=org).result
            assert got in (Result.EXPLICIT_DENY, Result.IMPLICIT_DENY), (r, got)
