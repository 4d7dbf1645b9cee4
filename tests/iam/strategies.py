"""Hypothesis strategies for random but valid IAM policies and concrete requests."""

from hypothesis import strategies as st

from iam_analyzer.iam.policy import parse_policy

ACTION_PATTERNS = [
    "s3:GetObject", "s3:PutObject", "s3:Get*", "s3:*Object", "s3:ListBucket", "s3:*",
    "dynamodb:GetItem", "dynamodb:*Item", "dynamodb:Query", "sqs:SendMessage", "sqs:*",
    "iam:PassRole", "lambda:InvokeFunction", "kms:Decrypt", "*",
]
CONCRETE_ACTIONS = [
    "s3:GetObject", "s3:PutObject", "s3:GetObjectAcl", "s3:DeleteObject", "s3:ListBucket",
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "sqs:SendMessage",
    "sqs:ReceiveMessage", "iam:PassRole", "lambda:InvokeFunction", "kms:Decrypt", "ec2:RunInstances",
]
RESOURCE_PATTERNS = [
    "*", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/logs/*",
    "arn:aws:s3:::*", "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
    "arn:aws:dynamodb:*:*:table/*", "arn:aws:sqs:us-east-1:111122223333:q?",
    "arn:aws:iam::111122223333:role/app-*", "arn:aws:lambda:*:111122223333:function:*",
]
CONCRETE_RESOURCES = [
    "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/logs/a.txt", "arn:aws:s3:::bucket/x",
    "arn:aws:s3:::other/x", "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
    "arn:aws:dynamodb:us-east-1:111122223333:table/users", "arn:aws:sqs:us-east-1:111122223333:q1",
    "arn:aws:iam::111122223333:role/app-worker", "arn:aws:iam::111122223333:role/admin",
    "arn:aws:lambda:us-east-1:111122223333:function:f", "*",
]
CONDITIONS = [
    {"StringEquals": {"aws:PrincipalTag/team": "a"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringLike": {"s3:prefix": ["logs/*"]}},
]


@st.composite
def statements(draw, effect=None, allow_not=True, conditions=True):
    s = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    acts = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3, unique=True))
    if allow_not and draw(st.integers(0, 5)) == 0:
        s["NotAction"] = acts
    else:
        s["Action"] = acts if len(acts) > 1 else acts[0]
    res = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3, unique=True))
    if allow_not and draw(st.integers(0, 5)) == 0:
        s["NotResource"] = res
    else:
        s["Resource"] = res
    if conditions and draw(st.integers(0, 3)) == 0:
        s["Condition"] = draw(st.sampled_from(CONDITIONS))
    if draw(st.booleans()):
        s["Sid"] = f"S{draw(st.integers(0, 10**6))}"
    return s


@st.composite
def policy_docs(draw, min_size=1, max_size=4, **kw):
    sts = draw(st.lists(statements(**kw), min_size=min_size, max_size=max_size))
    seen = set()
    for s in sts:  # Sids must be unique
        if "Sid" in s and s["Sid"] in seen:
            del s["Sid"]
        seen.add(s.get("Sid"))
    return {"Version": "2012-10-17", "Statement": sts}


def policies(**kw):
    return policy_docs(**kw).map(parse_policy)


requests = st.tuples(st.sampled_from(CONCRETE_ACTIONS), st.sampled_from(CONCRETE_RESOURCES))
