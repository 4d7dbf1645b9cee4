"""The apply plan (pure): what each role becomes, and what is refused before any AWS call."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.analyze.apply_plan import INLINE_NAME, Generated, PlanOptions, plan
from iam_analyzer.model import Account, Function, InlinePolicy, ManagedPolicy, Role, Snapshot

ACCT, R = "111122223333", "us-east-1"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
OLD = "2026-01-01T00:00:00Z"


def doc(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


BROAD = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
NARROW = doc({"Sid": "ObservedS3Reads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})


def fn(name: str, role: str, **kw) -> Function:
    return Function(arn=f"arn:aws:lambda:{R}:{ACCT}:function:{name}", name=name, account_id=ACCT, region=R,
                    role_arn=f"arn:aws:iam::{ACCT}:role/{role}", **kw)


def role(name: str, inline=(("broad", BROAD),), managed=(), **kw) -> Role:
    return Role(arn=f"arn:aws:iam::{ACCT}:role/{name}", name=name, create_date=kw.pop("create_date", OLD),
                inline_policies=[InlinePolicy(n, d) for n, d in inline], managed_policy_arns=list(managed), **kw)


def snap(functions, roles, policies=()) -> Snapshot:
    return Snapshot(accounts=[Account(account_id=ACCT, functions=list(functions), roles=list(roles),
                                      policies=list(policies))])


def gen(f: Function, document=NARROW, verdict="sufficient", verified=True) -> Generated:
    return Generated(f.arn, [document], verified, verdict)


def run(s, generated, **kw):
    return plan(s, generated, PlanOptions(now=NOW, **kw))


def test_a_role_gets_one_inline_policy_in_place_of_its_inline_policies_and_attachments():
    a = fn("a", "app")
    extra = ManagedPolicy(arn=f"arn:aws:iam::{ACCT}:policy/extra", name="extra", document=BROAD)
    s = snap([a], [role("app", managed=[extra.arn], permissions_boundary_arn=f"arn:aws:iam::{ACCT}:policy/b")], [extra])
    p = run(s, [gen(a)])
    assert not p.refused
    (change,) = p.changes
    t = change.change.target
    assert list(t.inline) == [INLINE_NAME] and t.inline[INLINE_NAME].document["Statement"] == NARROW["Statement"]
    assert t.attached == [] and t.boundary == f"arn:aws:iam::{ACCT}:policy/b"  # the boundary is never changed
    assert change.expected.inline["broad"].document == BROAD and change.expected.attached == [extra.arn]


def test_norepo_statements_stay_where_they_are():
    a = fn("a", "app")
    keep = {"Sid": "NOREPOBreakGlass", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}
    managed = ManagedPolicy(arn=f"arn:aws:iam::{ACCT}:policy/team", name="team", document=doc(dict(keep, Sid="NOREPOTeam")))
    s = snap([a], [role("app", inline=[("mixed", doc(keep, BROAD["Statement"][0])), ("only", doc(keep))],
                        managed=[managed.arn])], [managed])
    (change,) = run(s, [gen(a)]).changes
    t = change.change.target
    assert t.inline["mixed"].document["Statement"] == [keep]  # the other statement goes
    assert t.inline["only"].text == change.expected.inline["only"].text  # untouched
    assert t.attached == [managed.arn]
    assert INLINE_NAME in t.inline


def _statements(n: int) -> dict:
    return doc(*({"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"}
                 for i in range(n)))


def test_a_policy_too_large_for_inline_becomes_customer_managed_policies():
    a = fn("a", "app")
    deny = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    big = _statements(120)
    big["Statement"].append(deny)
    (change,) = run(snap([a], [role("app")]), [gen(a, big)]).changes
    new = change.change.create
    assert len(new) == 2 and all(p.arn.startswith(f"arn:aws:iam::{ACCT}:policy/iam-analyzer/iam-analyzer-app-") for p in new)
    assert change.change.target.attached == [p.arn for p in new] and change.change.target.inline == {}
    parts = [p.document.document["Statement"] for p in new]
    assert all(len(json.dumps(p.document.document, separators=(",", ":"))) <= 6144 for p in new)
    assert [s for part in parts for s in part if s["Effect"] == "Allow"] == big["Statement"][:-1]  # nothing lost
    assert all(deny in part for part in parts)  # every part still denies
    p = run(snap([a], [role("app")]), [gen(a, _statements(800))])
    assert not p.changes and "more than 10" in p.refused[0].reason


def test_refusals():
    a, b = fn("a", "shared"), fn("b", "shared")
    s = snap([a, b], [role("shared")])
    (r,) = run(s, [gen(a)]).refused  # b shares the role and has no policy
    assert "function b uses this role and has no generated policy" in r.reason
    assert "is partial" in run(s, [gen(a), gen(b, verdict="partial")]).refused[0].reason
    assert run(s, [gen(a), gen(b, verdict="partial")], allow_partial=True).changes
    assert "insufficient" in run(s, [gen(a), gen(b, verdict="insufficient")], allow_partial=True).refused[0].reason
    assert "not verified" in run(s, [gen(a), gen(b, verified=False)]).refused[0].reason
    young = snap([a], [role("shared", create_date="2026-11-25T00:00:00Z")])
    assert "younger than --min-age 14" in run(young, [gen(a)]).refused[0].reason
    assert run(young, [gen(a)], min_age_days=3).changes
    stack = snap([fn("a", "shared", tags={"aws:cloudformation:stack-name": "orders"})], [role("shared")])
    assert "aws:cloudformation:stack-name=orders" in run(stack, [gen(a)]).refused[0].reason
    tf = snap([a], [role("shared", tags={"managed-by": "terraform"})])
    assert run(tf, [gen(a)]).changes
    assert "managed-by=terraform" in run(tf, [gen(a)], managed_tags=("managed-by",)).refused[0].reason
    other = snap([a, fn("c", "other")], [role("shared"), role("other")])
    p = run(other, [gen(a)], roles=("other", "nope"))
    assert not p.changes and {x.reason for x in p.refused} == {"no role of the snapshot has this name or ARN",
                                                               "no generated policy in the folder for its functions"}


def test_a_policy_edited_to_grant_more_than_the_role_has_is_refused():
    a = fn("a", "app")
    wider = doc({"Effect": "Allow", "Action": ["s3:GetObject", "iam:PassRole"], "Resource": "*"})
    p = run(snap([a], [role("app")]), [gen(a, wider)])
    assert not p.changes and "grants what the role does not today (iam:PassRole" in p.refused[0].reason


def test_a_role_already_as_generated_is_left_alone():
    a = fn("a", "app")
    p = run(snap([a], [role("app", inline=[(INLINE_NAME, NARROW)])]), [gen(a)])
    assert not p.changes and p.unchanged == [f"arn:aws:iam::{ACCT}:role/app"]


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["s3:GetObject", "sqs:SendMessage", "dynamodb:Query"]),
                          st.text("abcdefghij0123456789-", min_size=1, max_size=120)), min_size=1, max_size=300),
       st.booleans())
def test_split_keeps_every_statement_once_within_the_limit_and_denies_in_each(items, with_deny):
    from iam_analyzer.analyze.apply_plan import MANAGED_LIMIT, _split

    allows = [{"Sid": f"S{i}", "Effect": "Allow", "Action": a, "Resource": f"arn:aws:s3:::{r}/*"}
              for i, (a, r) in enumerate(items)]
    denies = [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}] if with_deny else []
    parts = _split(doc(*allows, *denies))
    assert parts is not None
    assert [s for p in parts for s in p["Statement"] if s["Effect"] == "Allow"] == allows
    assert all(len(json.dumps(p, separators=(",", ":"))) <= MANAGED_LIMIT for p in parts)
    assert all([s for s in p["Statement"] if s["Effect"] == "Deny"] == denies for p in parts)
