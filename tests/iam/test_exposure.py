"""Who can call through a resource policy: iam/exposure.py, checked against policyuniverse.

policyuniverse is an independent, widely used reading of the same question ("is this
statement internet accessible?"). Over a space of Lambda resource-policy statements where
the two readings are meant to agree (principals, conditions on caller keys and on keys the
caller sets, negated operators, match-all values), they must give the same answer.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from policyuniverse.statement import Statement as PUStatement

from iam_analyzer.collect.invokers import invokers_from_policy
from iam_analyzer.iam.exposure import open_to_anyone
from iam_analyzer.iam.policy import parse_policy_lenient

ACCOUNT = "123456789012"

principals = st.sampled_from([
    "*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/caller"}, {"Service": "s3.amazonaws.com"},
])
# (operator, key, value): conditions on keys AWS sets from the caller ...
caller_conditions = st.sampled_from([
    ("StringEquals", "aws:SourceAccount", ACCOUNT),
    ("StringEquals", "aws:SourceAccount", "*"),
    ("StringNotEquals", "aws:SourceAccount", ACCOUNT),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::upload-bucket"),
    ("ArnLike", "aws:SourceArn", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"),
    ("ArnLike", "aws:SourceArn", "*"),
    ("StringEquals", "aws:PrincipalOrgID", "o-abcdef1234"),
    ("StringEquals", "aws:PrincipalAccount", ACCOUNT),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
    ("IpAddress", "aws:SourceIp", "0.0.0.0/0"),
    ("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
])
# ... and on keys the caller sets itself
chosen_conditions = st.sampled_from([
    ("StringLike", "aws:UserAgent", "curl*"),
    ("StringEquals", "aws:Referer", "https://example.com"),
    ("Bool", "aws:SecureTransport", "true"),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
])


@st.composite
def statements(draw):
    statement = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])), "Principal": draw(principals),
                 "Action": "lambda:InvokeFunction", "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"}
    block: dict = {}
    # At most one caller condition: with several, IAM requires all of them, while policyuniverse
    # calls the statement open when any one is weak (see test_every_condition_must_hold below).
    picked = draw(st.lists(caller_conditions, max_size=1)) + draw(st.lists(chosen_conditions, max_size=2, unique=True))
    for op, key, value in picked:
        block.setdefault(op, {})[key] = value
    if block:
        statement["Condition"] = block
    return statement


@settings(max_examples=300)
@given(statements())
def test_open_to_anyone_agrees_with_policyuniverse(statement):
    policy, errors = parse_policy_lenient({"Version": "2012-10-17", "Statement": [statement]})
    assert not errors
    assert open_to_anyone(policy.statements[0]) == PUStatement(statement).is_internet_accessible(), statement


def test_a_condition_the_caller_sets_pins_nobody():
    st_ = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*",
           "Condition": {"StringLike": {"aws:UserAgent": "curl*"}}}
    (invoker,), _ = invokers_from_policy({"Version": "2012-10-17", "Statement": [st_]})
    assert invoker.open_to_anyone


def test_a_negated_account_condition_lets_every_other_account_in():
    st_ = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*",
           "Condition": {"StringNotEquals": {"aws:SourceAccount": "999999999999"}}}
    (invoker,), _ = invokers_from_policy({"Version": "2012-10-17", "Statement": [st_]})
    assert invoker.open_to_anyone


def test_a_source_account_pins_the_caller():
    st_ = {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
           "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    (invoker,), _ = invokers_from_policy({"Version": "2012-10-17", "Statement": [st_]})
    assert not invoker.open_to_anyone


def test_every_condition_must_hold():
    """IAM ANDs the keys of a Condition block: one pinning key pins the statement, even next to a
    match-all one. (policyuniverse reads this statement as open; IAM does not let strangers in.)"""
    st_ = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*",
           "Condition": {"StringEquals": {"aws:SourceAccount": "*"}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"}}}
    policy, _ = parse_policy_lenient({"Version": "2012-10-17", "Statement": [st_]})
    assert not open_to_anyone(policy.statements[0])
