from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.iam.compare import allowed_actions, new_access
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy

from .strategies import CONCRETE_ACTIONS, CONCRETE_RESOURCES, policies, statements

CONTEXTS = [
    {},
    {"aws:PrincipalTag/team": "a", "aws:SecureTransport": "true", "s3:prefix": "logs/x"},
    {"aws:PrincipalTag/team": "b", "aws:SecureTransport": "false", "s3:prefix": "etc/x"},
]


def P(*sts):
    return parse_policy({"Version": "2012-10-17", "Statement": list(sts)})


def test_identical_policies_add_nothing():
    p = P({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"})
    assert new_access(p, p) == []


def test_finds_a_new_action_exactly_and_in_catalog_casing():
    ref = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    cand = P({"Effect": "Allow", "Action": ["s3:getobject", "s3:putobject"], "Resource": "arn:aws:s3:::b/*"})
    found = new_access(cand, ref)
    assert [(f.action, f.resource) for f in found] == [("s3:PutObject", "arn:aws:s3:::b/*")]


def test_wider_resource_is_new_and_narrower_is_not():
    ref = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/data/*"})
    wider = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    narrower = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/data/2024/*"})
    assert new_access(wider, ref)
    assert new_access(narrower, ref) == []
    assert new_access(ref, wider) == []


def test_wildcards_are_compared_action_by_action():
    ref = P({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    cand = P({"Effect": "Allow", "Action": ["s3:Get*", "s3:Put*"], "Resource": "*"})
    assert new_access(cand, ref) == []
    back = new_access(ref, cand)
    assert back and all(f.action.startswith("s3:") for f in back)
    assert not any(f.action.startswith(("s3:Get", "s3:Put")) for f in back)


def test_reference_deny_and_conditions_are_respected():
    ref = P({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"})
    cand = P({"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/x"})
    assert new_access(cand, ref)
    with_deny = P({"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/x"},
                  {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"})
    assert new_access(with_deny, ref) == []
    cond_ref = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    uncond = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert new_access(uncond, cond_ref)
    assert new_access(cond_ref, uncond) == []


def test_not_action_in_the_candidate_is_expanded():
    ref = P({"Effect": "Allow", "Action": "*", "Resource": "*"})
    cand = P({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert new_access(cand, ref) == []
    assert {f.action.split(":")[0] for f in new_access(ref, cand)} == {"iam"}


@given(policies())
def test_new_access_of_a_policy_with_itself_is_empty(p):
    assert new_access(p, p) == []


@settings(max_examples=60, deadline=None)
@given(policies(), statements(effect="Allow", allow_not=False, conditions=False),
       st.sampled_from(CONCRETE_ACTIONS), st.sampled_from(CONCRETE_RESOURCES))
def test_an_extra_statement_that_grants_more_is_found(p, extra, action, resource):
    widened = p.with_statements(list(p.statements) + list(P(extra).statements))
    r = Request(action, resource, context=CONTEXTS[1])
    before = evaluate(r, [p]).result
    after = evaluate(r, [widened]).result
    found = new_access(widened, p)
    if after is Result.ALLOW and before is not Result.ALLOW:
        assert found, "a request newly allowed must show up in new_access"


@settings(max_examples=150, deadline=None)
@given(policies(), policies())
def test_empty_new_access_means_nothing_new_is_allowed(cand, ref):
    """Soundness: whenever new_access says nothing is new, no concrete request proves it wrong."""
    if new_access(cand, ref):
        return
    for action in CONCRETE_ACTIONS:
        for resource in CONCRETE_RESOURCES:
            for ctx in CONTEXTS:
                for complete in (False, True):
                    r = Request(action, resource, context=ctx, context_complete=complete)
                    if evaluate(r, [cand]).result is Result.ALLOW:
                        assert evaluate(r, [ref]).result is Result.ALLOW, (action, resource, ctx)


def test_allowed_actions_counts_expanded_actions():
    p = P({"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectAcl", "nosuch:Thing"], "Resource": "*"})
    assert allowed_actions(p) == {"s3:getobject", "s3:getobjectacl", "nosuch:thing"}
