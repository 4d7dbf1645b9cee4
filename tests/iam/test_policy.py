import json

import pytest
from hypothesis import given

from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.policy import PolicyError, normalise, parse_policy, parse_policy_lenient

from .strategies import policy_docs


def test_every_valid_form_parses():
    p = parse_policy({
        "Version": "2012-10-17",
        "Id": "x",
        "Statement": {
            "Sid": "All",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"], "Service": "lambda.amazonaws.com"},
            "NotAction": "iam:*",
            "NotResource": ["arn:aws:s3:::secret/*"],
            "Condition": {
                "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team*", "env"]},
                "Bool": {"aws:MultiFactorAuthPresent": True},
                "NumericLessThan": {"s3:max-keys": 10},
                "Null": {"aws:SourceVpc": "false"},
            },
        },
    })
    st = p.statements[0]
    assert st.principal.values("AWS") == ("arn:aws:iam::111122223333:root", "444455556666")
    assert st.not_actions == ("iam:*",) and st.actions is None
    ops = {c.operator.text: c for c in st.conditions}
    assert ops["ForAnyValue:StringLikeIfExists"].operator.set_op == "ForAnyValue"
    assert ops["ForAnyValue:StringLikeIfExists"].operator.if_exists
    assert ops["ForAnyValue:StringLikeIfExists"].operator.base == "StringLike"
    assert ops["Bool"].values == ("true",)
    assert ops["NumericLessThan"].values == ("10",)
    star = parse_policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                        "Resource": "arn:aws:s3:::b/${aws:username}/*"}]})
    assert star.statements[0].principal.is_everyone
    assert star.to_json()["Statement"][0]["Principal"] == "*"


@pytest.mark.parametrize(
    "doc,location,fragment",
    [
        ({"Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}, "Statement[0].Effect", "Effect"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Statement[0]", "exactly one of Action"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "x:y", "Resource": "*"}]}, "Statement[0]", "exactly one"),
        ({"Statement": [{"Effect": "Allow", "Action": ["s3:*", 3], "Resource": "*"}]}, "Statement[0].Action[1]", "expected a string"),
        ({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "Statement[0].Action", "empty"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3 GetObject", "Resource": "*"}]}, "Statement[0].Action[0]", "invalid action"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}]},
         "Statement[0].Condition.StringEqualz", "unknown condition operator"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": {"Bogus": "x"}}]},
         "Statement[0].Principal.Bogus", "unknown principal type"),
        ({"Version": "2020-01-01", "Statement": []}, "Version", "Version must be"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resorce": "*"}]}, "Statement[0].Resorce", "unknown element"),
        ({"Version": "2012-10-17"}, "Statement", "missing"),
    ],
)
def test_malformed_input_names_the_location(doc, location, fragment):
    with pytest.raises(PolicyError) as e:
        parse_policy(doc)
    assert e.value.location == location
    assert fragment in e.value.message


def test_lenient_parsing_keeps_the_good_statements():
    policy, errors = parse_policy_lenient({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Maybe", "Action": "s3:PutObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    ]})
    assert [s.index for s in policy.statements] == [0, 2]
    assert [e.location for e in errors] == ["Statement[1].Effect"]


def test_invalid_json_text_reports_line_and_column():
    _, errors = parse_policy_lenient('{"Statement": [\n  {"Effect": "Allow",, }]}')
    assert errors and errors[0].location.startswith("line 2 column")


@given(policy_docs())
def test_round_trip_through_json(doc):
    p = parse_policy(doc)
    text = p.dumps()
    again = parse_policy(json.loads(text))
    assert again == p
    assert again.dumps() == text  # deterministic bytes


@given(policy_docs())
def test_normal_form_is_idempotent_and_canonical(doc):
    cat = default_catalog()
    n = normalise(parse_policy(doc), cat.canonical)
    assert normalise(n, cat.canonical) == n
    for s in n.statements:
        for a in s.actions or ():
            assert cat.get(a) is None or cat.canonical(a) == a
