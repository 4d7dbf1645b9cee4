"""iam.api_actions.covered_by: names in a policy that are API operations IAM authorises under
another action (#22: SAM's SQSPollerPolicy lists sqs:DeleteMessageBatch)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.iam.api_actions import covered_by
from iam_analyzer.iam.api_renames import RENAMES
from iam_analyzer.iam.catalog import default_catalog


def test_sqs_and_sns_batch_calls_are_covered_by_the_single_message_action():
    assert covered_by("sqs:DeleteMessageBatch") == ("sqs:DeleteMessage",)
    assert covered_by("SQS:changemessagevisibilitybatch") == ("sqs:ChangeMessageVisibility",)
    assert covered_by("sqs:SendMessageBatch") == ("sqs:SendMessage",)
    assert covered_by("sns:PublishBatch") == ("sns:Publish",)


def test_real_actions_typos_and_patterns_are_not_covered():
    assert covered_by("sqs:DeleteMessage") == ()
    assert covered_by("sqs:DeleteMesageBatch") == ()
    assert covered_by("sqs:*Batch") == ()
    assert covered_by("DeleteMessageBatch") == ()


CAT = default_catalog()
KEYS = sorted(RENAMES)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(KEYS), st.sampled_from([str.lower, str.upper, lambda s: s]))
def test_whatever_the_casing_only_real_other_actions_cover_a_name(key, case):
    prefix, op = key
    name = f"{prefix}:{case(op)}"
    covering = covered_by(name, CAT)
    assert all(CAT.get(a) is not None and a.lower() != name.lower() for a in covering)
    if CAT.get(name) is not None:
        assert covering == ()  # a name that is an action is never "covered"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:*?-", max_size=40))
def test_arbitrary_text_never_raises_and_never_covers_itself(text):
    out = covered_by(text, CAT)
    assert isinstance(out, tuple) and text.lower() not in (a.lower() for a in out)
