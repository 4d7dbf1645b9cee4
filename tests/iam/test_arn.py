import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.iam import arn


def test_parse_and_parts():
    a = arn.Arn.parse("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:prod")
    assert (a.partition, a.service, a.region, a.account) == ("aws", "lambda", "eu-west-1", "123456789012")
    assert a.resource == "function:my-fn:prod"
    assert a.resource_type == "function"
    assert str(a) == "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:prod"
    assert arn.Arn.parse("arn:aws:s3:::bucket/key/with:colon").resource == "bucket/key/with:colon"


@pytest.mark.parametrize("bad", ["", "arn:aws:s3", "not-an-arn:aws:s3:::b", "arn:aws::us-east-1:1:x", "*"])
def test_parse_rejects(bad):
    with pytest.raises(arn.ArnError):
        arn.Arn.parse(bad)


def test_matching_is_segment_wise_for_the_first_five_parts():
    assert arn.matches("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:x")
    assert arn.matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/k")
    assert not arn.matches("arn:aws:s3:::b/*", "arn:aws:s3:::b")
    assert not arn.matches("arn:aws:s3:::b*", "arn:aws:s3:::other")
    # a star in the region segment does not eat the account segment
    assert not arn.matches("arn:aws:sqs:*:111111111111:q", "arn:aws:sqs:us-east-1:222222222222:q")
    # ARNs are case sensitive
    assert not arn.matches("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket")
    assert arn.matches("*", "arn:aws:s3:::bucket")


def test_policy_variables_are_unknown_text():
    assert arn.matches("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x")
    assert not arn.contains("arn:aws:s3:::home/*", "arn:aws:s3:::home/${aws:username}/*")


def test_contains_and_intersects():
    assert arn.contains("arn:aws:dynamodb:*:*:table/*", "arn:aws:dynamodb:us-east-1:1:table/t")
    assert arn.contains("arn:aws:s3:::b/*", "arn:aws:s3:::b/prefix/*")
    assert not arn.contains("arn:aws:s3:::b/prefix/*", "arn:aws:s3:::b/*")
    assert not arn.contains("arn:aws:s3:::b", "*")
    assert arn.intersects("arn:aws:s3:::b/prefix/*", "arn:aws:s3:::b/*")
    assert not arn.intersects("arn:aws:s3:::b/*", "arn:aws:s3:::c/*")


@pytest.mark.parametrize(
    "value,service,name",
    [
        ("arn:aws:s3:::my-bucket", "s3", "bucket"),
        ("arn:aws:s3:::my-bucket/some/key.txt", "s3", "object"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", "dynamodb", "table"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-date", "dynamodb", "index"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000", "dynamodb", "stream"),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", "lambda", "function"),
        ("arn:aws:sqs:us-east-1:123456789012:queue1", "sqs", "queue"),
        ("arn:aws:iam::123456789012:role/service-role/r", "iam", "role"),
    ],
)
def test_identify_resource_type(value, service, name):
    rt = arn.identify(value)
    assert rt is not None and rt.service == service and rt.name.lower() == name


def test_pattern_applies_to_action_types():
    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    get_object = cat.action_resource_types(cat.get("s3:GetObject"))
    list_bucket = cat.action_resource_types(cat.get("s3:ListBucket"))
    assert arn.pattern_applies_to_action("arn:aws:s3:::b/*", get_object)
    assert not arn.pattern_applies_to_action("arn:aws:s3:::b", get_object)
    assert arn.pattern_applies_to_action("arn:aws:s3:::b", list_bucket)
    assert not arn.pattern_applies_to_action("arn:aws:s3:::b/*", list_bucket)
    assert arn.pattern_applies_to_action("*", list_bucket)


def test_a_pattern_of_another_service_never_applies_even_with_a_wildcard_name():
    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    publish = cat.action_resource_types(cat.get("sns:Publish"))
    assert not arn.pattern_applies_to_action("arn:aws:sqs:us-east-1:123456789012:stack-Queue-*", publish)
    assert not arn.pattern_applies_to_action("arn:aws:sqs:*:*:*", publish)
    assert arn.pattern_applies_to_action("arn:aws:sns:us-east-1:123456789012:stack-Topic-*", publish)
    assert arn.pattern_applies_to_action("arn:aws:sn*:us-east-1:123456789012:t", publish)  # IAM: a trailing * may run on
    assert arn.pattern_applies_to_action("arn:aws:*", publish)
    assert arn.resource_types_for("arn:aws:sqs:us-east-1:123456789012:q-*")[0].service == "sqs"
    assert all(rt.service == "sqs" for rt in arn.resource_types_for("arn:aws:sqs:us-east-1:123456789012:q-*"))


_TYPES = [("sns", "topic"), ("sqs", "queue"), ("s3", "object"), ("dynamodb", "table"), ("logs", "log-stream"),
          ("lambda", "function"), ("events", "event-bus"), ("firehose", "deliverystream")]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_TYPES), st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,6}", fullmatch=True), min_size=4,
                                        max_size=4), st.integers(0, 200), st.integers(0, 200), st.booleans())
def test_a_pattern_matching_a_resource_of_a_type_always_applies_to_the_type(which, names, start, length, tail):
    """Soundness of PL005: whenever a pattern matches a concrete ARN of a resource type, the
    type is one the pattern can be (so no action on that type is reported as misplaced)."""
    import re

    from iam_analyzer.iam.catalog import default_catalog

    rt = default_catalog().resource_type(*which)
    it = iter(names * 3)
    concrete = re.sub(r"\$\{([^}]*)\}", lambda m: {"Partition": "aws", "Region": "us-east-1",
                                                   "Account": "123456789012"}.get(m.group(1)) or next(it), rt.arn_format)
    start %= len(concrete)
    pattern = concrete[:start] + "*" + ("" if tail else concrete[start + length % (len(concrete) - start + 1):])
    if arn.matches(pattern, concrete):
        assert arn.pattern_applies_to_action(pattern, [rt]), (pattern, concrete)
    assert arn.pattern_applies_to_action(concrete, [rt])
