from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.iam.catalog import default_catalog, expand_actions
from iam_analyzer.iam.minimize import minimize_actions

CAT = default_catalog()
SERVICES = ["s3", "dynamodb", "lambda", "sqs", "iam", "kms", "logs", "ec2"]


@st.composite
def action_sets(draw):
    services = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True))
    chosen = set()
    for svc in services:
        names = [f"{svc}:{a.name}" for a in CAT.service_actions(svc)]
        mode = draw(st.sampled_from(["some", "prefix", "all"]))
        if mode == "all":
            chosen.update(names)
        elif mode == "prefix":
            p = draw(st.sampled_from(["Get", "List", "Put", "Describe", "Delete", "Create"]))
            chosen.update(n for n in names if n.split(":")[1].startswith(p))
        else:
            chosen.update(draw(st.lists(st.sampled_from(names), min_size=1, max_size=25)))
    return chosen


@settings(max_examples=200, deadline=None)
@given(action_sets(), st.integers(1, 6))
def test_minimise_then_expand_gives_exactly_the_input(actions, min_prefix):
    patterns = minimize_actions(actions, min_prefix=min_prefix)
    assert expand_actions(patterns) == {a.lower() for a in actions}
    assert len(patterns) <= len(actions)


def test_minimise_examples():
    every_s3_get = [a.full_name for a in CAT.expand("s3:Get*")]
    assert minimize_actions(every_s3_get, min_prefix=3) == ["s3:Get*"]
    all_sqs = [a.full_name for a in CAT.service_actions("sqs")]
    assert minimize_actions(all_sqs) == ["sqs:*"]
    # GetObject alone may not become GetObject* (that would add GetObjectAcl, ...)
    assert minimize_actions(["s3:getobject"]) == ["s3:GetObject"]
    assert minimize_actions(["custom:Thing", "s3:GetObject"]) == ["s3:GetObject", "custom:Thing"]


# -- statements covered by another statement of the same policy (issue #15) --------------------

from iam_analyzer.iam.evaluate import Request, evaluate  # noqa: E402
from iam_analyzer.iam.minimize import covered_permissions, drop_covered_statements  # noqa: E402
from iam_analyzer.iam.policy import parse_policy  # noqa: E402

from .strategies import CONCRETE_ACTIONS, CONCRETE_RESOURCES, policy_docs  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(policy_docs(min_size=1, max_size=5, effect="Allow"))
def test_dropping_covered_statements_changes_no_decision(doc):
    kept = drop_covered_statements(doc["Statement"])
    assert len(kept) <= len(doc["Statement"])
    before, after = [parse_policy(doc)], [parse_policy({"Version": "2012-10-17", "Statement": kept})]
    for action in CONCRETE_ACTIONS:
        for resource in CONCRETE_RESOURCES:
            assert evaluate(Request(action, resource), before).result is evaluate(Request(action, resource), after).result


def test_a_log_stream_statement_inside_the_log_group_statement_is_dropped():
    group = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/worker"
    streams = {"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": f"{group}:log-stream:*"}
    groups = {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{group}:*"}
    assert drop_covered_statements([streams, groups]) == [groups]
    # conditions: a statement with a condition the other lacks does not cover it
    conditional = dict(groups, Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert drop_covered_statements([streams, conditional]) == [streams, conditional]
    twins = [dict(groups, Sid="A"), dict(groups, Sid="B")]
    assert drop_covered_statements(twins) == [twins[0]]  # of two equal statements the first stays
    assert covered_permissions([("logs:CreateLogStream", f"{group}:log-stream:*", ()),
                                ("logs:createlogstream", f"{group}:*", ())]) == {0}
