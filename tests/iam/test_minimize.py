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
