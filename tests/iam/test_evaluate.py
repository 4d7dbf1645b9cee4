from hypothesis import assume, given
from hypothesis import strategies as st

from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy

from .strategies import CONCRETE_ACTIONS, policies, requests, statements

BUCKET_OBJ = "arn:aws:s3:::bucket/x"


def P(*sts):
    return parse_policy({"Version": "2012-10-17", "Statement": list(sts)})


def test_basic_allow_and_implicit_deny():
    p = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"})
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ), [p]).result is Result.ALLOW
    assert evaluate(Request("s3:PutObject", BUCKET_OBJ), [p]).result is Result.IMPLICIT_DENY
    assert evaluate(Request("s3:getobject", BUCKET_OBJ), [p]).result is Result.ALLOW  # actions ignore case


def test_decision_names_the_statements_that_decided():
    p = P({"Sid": "Read", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
          {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"})
    d = evaluate(Request("s3:DeleteObject", BUCKET_OBJ), [("inline/app", p)])
    assert d.result is Result.EXPLICIT_DENY
    assert [(m.policy, m.statement.sid) for m in d.deciding] == [("inline/app", "NoDelete")]


def test_unknown_condition_keys_give_conditional_never_allow():
    p = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
           "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data"}}})
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ), [p]).result is Result.CONDITIONAL
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ, context={"aws:PrincipalTag/team": "data"}), [p]).result is Result.ALLOW
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ, context={"aws:principaltag/team": "web"}), [p]).result is Result.IMPLICIT_DENY
    # complete context: an absent key makes the condition false
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ, context_complete=True), [p]).result is Result.IMPLICIT_DENY


def test_condition_operators():
    def ok(cond, ctx, complete=True):
        p = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": cond})
        return evaluate(Request("s3:GetObject", BUCKET_OBJ, context=ctx, context_complete=complete), [p]).result is Result.ALLOW

    assert ok({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/a"})
    assert not ok({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "etc/a"})
    assert ok({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, {})  # negated + absent -> true
    assert ok({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {})
    assert not ok({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, {})
    assert ok({"Null": {"aws:SourceVpc": "true"}}, {})
    assert not ok({"Null": {"aws:SourceVpc": "true"}}, {"aws:SourceVpc": "vpc-1"})
    assert ok({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"})
    assert not ok({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"})
    assert ok({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10})
    assert ok({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2024-05-01T00:00:00Z"})
    assert ok({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True})
    assert ok({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket*"}}, {"aws:SourceArn": "arn:aws:s3:::bucket-1"})
    assert ok({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]})
    assert not ok({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]})
    assert ok({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {})  # vacuously true
    assert ok({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["c", "b"]})
    assert not ok({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {})


def test_policy_variables_resolve_from_context():
    p = P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"})
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::home/alice/f", context={"aws:username": "alice"}), [p]).result is Result.ALLOW
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::home/bob/f", context={"aws:username": "alice"}), [p]).result is Result.IMPLICIT_DENY
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::home/bob/f"), [p]).result is Result.CONDITIONAL


def test_actions_without_resource_type_need_star():
    p = P({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::*"})
    assert evaluate(Request("s3:ListAllMyBuckets", "*"), [p]).result is Result.IMPLICIT_DENY
    q = P({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    assert evaluate(Request("s3:ListAllMyBuckets", "*"), [q]).result is Result.ALLOW


def test_resource_policy_allows_a_named_principal():
    rp = parse_policy({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
                                      "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]})
    caller = "arn:aws:sts::111122223333:assumed-role/app/session"
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ, principal=caller), [], resource_policy=rp).result is Result.ALLOW
    other = "arn:aws:sts::111122223333:assumed-role/other/session"
    assert evaluate(Request("s3:GetObject", BUCKET_OBJ, principal=other), [], resource_policy=rp).result is Result.IMPLICIT_DENY


@given(policies(), requests, st.sampled_from(["*", "s3:*", None]))
def test_explicit_deny_always_wins(policy, req, deny_action):
    action, resource = req
    deny = {"Effect": "Deny", "Action": deny_action or action, "Resource": "*"}
    denied = policy.with_statements(list(policy.statements) + list(P(deny).statements))
    r = Request(action, resource, context={"aws:PrincipalTag/team": "a", "aws:SecureTransport": "true", "s3:prefix": "logs/a"})
    if deny_action == "s3:*" and not action.startswith("s3:"):
        return
    assert evaluate(r, [denied]).result is Result.EXPLICIT_DENY
    # ... also when the deny is in the boundary, or a separate policy
    assert evaluate(r, [policy, P(deny)]).result is Result.EXPLICIT_DENY
    assert evaluate(r, [policy], boundary=P({"Effect": "Allow", "Action": "*", "Resource": "*"}, deny)).result is Result.EXPLICIT_DENY


@given(st.lists(st.sampled_from(["s3:*", "iam:*", "s3:Get*", "kms:Decrypt"]), min_size=1, max_size=3), requests)
def test_not_action_allows_everything_else(excluded, req):
    action, resource = req
    p = P({"Effect": "Allow", "NotAction": excluded, "Resource": "*"})
    from iam_analyzer.iam import wildcard

    expected = not any(wildcard.matches(x, action, ignore_case=True) for x in excluded)
    assert (evaluate(Request(action, resource), [p]).result is Result.ALLOW) == expected


@given(st.lists(st.sampled_from(["arn:aws:s3:::bucket/*", "arn:aws:s3:::*", "arn:aws:dynamodb:*:*:table/*"]), min_size=1, max_size=2), requests)
def test_not_resource_allows_every_other_resource(excluded, req):
    action, resource = req
    from iam_analyzer.iam import arn

    p = P({"Effect": "Allow", "Action": "*", "NotResource": excluded})
    expected = not any(arn.matches(x, resource) for x in excluded)
    assert (evaluate(Request(action, resource), [p]).result is Result.ALLOW) == expected


@given(policies(conditions=False), policies(conditions=False), requests)
def test_boundary_intersects_identity_permissions(identity, boundary, req):
    r = Request(*req)
    alone = evaluate(r, [identity]).result is Result.ALLOW
    bound = evaluate(r, [boundary]).result is Result.ALLOW
    both = evaluate(r, [identity], boundary=boundary).result is Result.ALLOW
    assert both == (alone and bound)


@given(st.lists(statements(effect="Allow", conditions=False), min_size=1, max_size=3), st.sampled_from(CONCRETE_ACTIONS))
def test_allow_statements_only_ever_allow_what_they_match(sts, action):
    p = P(*sts)
    d = evaluate(Request(action, "arn:aws:s3:::bucket/x"), [p])
    assume(d.result is Result.ALLOW)
    assert d.allows and all(m.statement.is_allow for m in d.allows)
