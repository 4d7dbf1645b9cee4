"""analyze.diff: base vs head snapshots as the IaC readers give them (built here by hand)."""

from __future__ import annotations

import copy

from iam_analyzer.analyze import diff
from iam_analyzer.model import Account, Function, InlinePolicy, Role, Snapshot, SourceLocation

A = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}


def doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def stack(path: str, stack_name: str, fns: dict[str, list[dict]]) -> Snapshot:
    """One template at ``path``: per logical id, a function and its role with one inline policy."""
    roles, functions = [], []
    for i, (lid, statements) in enumerate(sorted(fns.items())):
        role_arn = f"arn:aws:iam::{A}:role/{stack_name}-{lid}Role-*"
        loc = SourceLocation(path, 10 + 20 * i, f"{lid}Role")
        roles.append(Role(arn=role_arn, name=f"{stack_name}-{lid}Role-*", trust_policy=TRUST, location=loc,
                          inline_policies=[InlinePolicy(f"{lid}Policy", doc(*statements),
                                                        SourceLocation(path, 12 + 20 * i, f"{lid}Role"))]))
        name = lid.lower()
        functions.append(Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:{name}", name=name, account_id=A,
                                  region="us-east-1", role_arn=role_arn, runtime="python3.12",
                                  location=SourceLocation(path, 5 + 20 * i, lid)))
    return Snapshot(accounts=[Account(account_id=A, regions=["us-east-1"], roles=roles, functions=functions)])


def compare(base: Snapshot, head: Snapshot, base_roots=("base.yaml",), head_roots=("head.yaml",)):
    pairing = diff.match(base, head, list(base_roots), list(head_roots))
    diff.align(base, head, pairing)
    return pairing, *diff.access_changes(base, head, pairing)


BASE = {"Orders": [allow("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{A}:table/orders")],
        "Thumbs": [allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::pics/*")]}


def test_the_same_stack_under_another_file_and_stack_name_shows_nothing_new():
    base, head = stack("base.yaml", "old", BASE), stack("head.yaml", "new", BASE)
    pairing, new, removed = compare(base, head)
    assert new == [] and removed == []
    assert len(pairing.functions) == 2 and len(pairing.roles) == 2
    # aligned: the base now uses the head's role ARNs, so fingerprints compare
    assert {r.arn for r in base.roles()} == {r.arn for r in head.roles()}


def test_a_widened_statement_is_new_access_at_its_line_and_the_narrowing_is_removed_access():
    head_fns = copy.deepcopy(BASE)
    head_fns["Thumbs"] = [allow(["s3:PutObject", "s3:DeleteObject"], "arn:aws:s3:::pics/*")]
    base, head = stack("base.yaml", "s", BASE), stack("head.yaml", "s", head_fns)
    _, new, removed = compare(base, head)
    assert [(c.subject, c.actions, c.resources, c.functions) for c in new] == [
        ("ThumbsRole", ["s3:DeleteObject"], ["arn:aws:s3:::pics/*"], ["thumbs"])]
    assert new[0].location.path == "head.yaml" and new[0].policy == "ThumbsPolicy" and new[0].statement == 0
    assert [(c.subject, c.actions) for c in removed] == [("ThumbsRole", ["s3:GetObject"])]


def test_a_wider_resource_is_new_access_and_a_narrower_one_is_not():
    wider = {**BASE, "Orders": [allow("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{A}:table/*")]}
    _, new, _ = compare(stack("b.yaml", "s", BASE), stack("h.yaml", "s", wider))
    assert [(c.actions, c.resources) for c in new] == [(["dynamodb:GetItem"], [f"arn:aws:dynamodb:us-east-1:{A}:table/*"])]
    _, new, removed = compare(stack("b.yaml", "s", wider), stack("h.yaml", "s", BASE))
    assert new == [] and len(removed) == 1


def test_a_new_function_compares_against_nothing():
    head_fns = {**BASE, "Admin": [allow("iam:*")]}
    _, new, _ = compare(stack("b.yaml", "s", BASE), stack("h.yaml", "s", head_fns))
    assert [c.subject for c in new] == ["AdminRole"]
    assert new[0].actions_total > 100 and len(new[0].actions) <= diff.ACTIONS_LISTED  # "iam:*" counted, listed in part


def test_a_deleted_function_s_grants_are_removed_access():
    head_fns = {"Orders": BASE["Orders"]}
    _, new, removed = compare(stack("b.yaml", "s", BASE), stack("h.yaml", "s", head_fns))
    assert new == [] and [c.subject for c in removed] == ["ThumbsRole"]


def test_a_deny_in_the_head_cancels_the_new_grant():
    head_fns = {**BASE, "Thumbs": BASE["Thumbs"] + [allow("s3:DeleteObject", "arn:aws:s3:::pics/*"),
                                                     {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
    _, new, _ = compare(stack("b.yaml", "s", BASE), stack("h.yaml", "s", head_fns))
    assert new == []


def test_subjects_in_a_monorepo_match_by_file_and_logical_id_not_by_logical_id_alone():
    # two templates both declare "Fn"; only the second one widens
    b1, b2 = stack("repo/a/template.yaml", "a", {"Fn": [allow("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:q")]}), \
        stack("repo/b/template.yaml", "b", {"Fn": [allow("sns:Publish", f"arn:aws:sns:us-east-1:{A}:t")]})
    base = Snapshot(accounts=[Account(A, roles=b1.roles() + b2.roles(), functions=[])])
    h1 = stack("/tmp/x/repo/a/template.yaml", "a", {"Fn": [allow("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:q")]})
    h2 = stack("/tmp/x/repo/b/template.yaml", "b", {"Fn": [allow("sns:*", f"arn:aws:sns:us-east-1:{A}:t")]})
    head = Snapshot(accounts=[Account(A, roles=h1.roles() + h2.roles(), functions=[])])
    _, new, _ = compare(base, head, ["repo"], ["/tmp/x/repo"])
    assert [(c.location.path, "sns:Publish" not in c.actions) for c in new] == [("/tmp/x/repo/b/template.yaml", True)]


USAGE = {"schema_version": 1, "kind": "iam-analyzer-usage", "principals": [
    {"arn": f"arn:aws:iam::{A}:role/prod-ThumbsRole-AbC123", "type": "AssumedRole", "session": "thumbs",
     "actions": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::pics/in/cat.png", "count": 42, "denied": 0,
                  "last_seen": "2026-11-20T23:59:59Z"},
                 {"action": "s3:PutObject", "resource": "arn:aws:s3:::pics/out/cat.png", "count": 7, "denied": 0,
                  "last_seen": "2026-11-21T23:59:59Z"},
                 {"action": "s3:ListBucket", "resource": "arn:aws:s3:::pics", "count": 0, "denied": 3,
                  "last_seen": "2026-11-21T23:59:59Z"}]}]}


def test_removing_a_used_permission_would_break_with_count_and_last_seen():
    head_fns = {**BASE, "Thumbs": [allow("s3:PutObject", "arn:aws:s3:::pics/*")]}
    base, head = stack("b.yaml", "s", BASE), stack("h.yaml", "s", head_fns)
    pairing, _, _ = compare(base, head)
    breaks = diff.would_break(base, head, pairing, USAGE)
    assert [(w.function, w.action, w.resource, w.count, w.last_seen) for w in breaks] == [
        ("thumbs", "s3:GetObject", "arn:aws:s3:::pics/in/cat.png", 42, "2026-11-20T23:59:59Z")]


def test_narrowing_to_what_was_used_breaks_nothing_and_unused_removals_break_nothing():
    head_fns = {**BASE, "Thumbs": [allow("s3:GetObject", "arn:aws:s3:::pics/in/*"),
                                   allow("s3:PutObject", "arn:aws:s3:::pics/out/*")]}
    base, head = stack("b.yaml", "s", BASE), stack("h.yaml", "s", head_fns)
    pairing, _, removed = compare(base, head)
    assert removed  # the grant is narrower ...
    assert diff.would_break(base, head, pairing, USAGE) == []  # ... but covers every call made


def test_a_call_the_base_did_not_allow_either_is_not_this_change_s_doing():
    usage = copy.deepcopy(USAGE)
    usage["principals"][0]["actions"].append({"action": "s3:DeleteObject", "resource": "arn:aws:s3:::pics/x",
                                              "count": 1, "last_seen": "2026-11-21T23:59:59Z"})
    base, head = stack("b.yaml", "s", BASE), stack("h.yaml", "s", BASE)
    pairing, _, _ = compare(base, head)
    assert diff.would_break(base, head, pairing, usage) == []


def test_usage_is_attributed_by_session_name_whatever_the_stack_named_the_role():
    snap = stack("h.yaml", "whatever", BASE)
    adapted = diff.usage_for_snapshot(USAGE, snap)
    p = adapted["principals"][0]
    assert p["arn"] == f"arn:aws:iam::{A}:role/whatever-ThumbsRole-*" and p["function"].endswith(":function:thumbs")
    other = copy.deepcopy(USAGE)
    other["principals"][0]["arn"] = "arn:aws:iam::999999999999:role/prod-ThumbsRole-AbC123"  # another account
    assert diff.usage_for_snapshot(other, snap)["principals"][0]["arn"].startswith("arn:aws:iam::999999999999")
    assert diff.functions_with_usage(USAGE, snap) == [f"arn:aws:lambda:us-east-1:{A}:function:thumbs"]


def test_new_findings_by_fingerprint():
    class F:
        def __init__(self, fp):
            self.fingerprint = fp

    new, old = diff.new_by_fingerprint([F("a"), F("b")], [F("b"), F("c")])
    assert [f.fingerprint for f in new] == ["c"] and [f.fingerprint for f in old] == ["b"]


from hypothesis import given, settings
from hypothesis import strategies as st

POOL = [allow("s3:GetObject", "arn:aws:s3:::pics/*"), allow("s3:*", "arn:aws:s3:::pics/*"),
        allow(["dynamodb:GetItem", "dynamodb:Query"], f"arn:aws:dynamodb:us-east-1:{A}:table/orders"),
        allow("dynamodb:*", f"arn:aws:dynamodb:us-east-1:{A}:table/*"), allow("sqs:SendMessage", "*"),
        allow("iam:PassRole", f"arn:aws:iam::{A}:role/app-*"),
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
stacks = st.dictionaries(st.sampled_from(["Api", "Worker", "Cron"]), st.lists(st.sampled_from(POOL), min_size=1, max_size=4),
                         min_size=1, max_size=3)


@settings(max_examples=25, deadline=None)
@given(stacks)
def test_property_a_stack_compared_with_itself_under_other_names_changes_nothing(fns):
    _, new, removed = compare(stack("b.yaml", "old", fns), stack("h.yaml", "new", copy.deepcopy(fns)))
    assert new == [] and removed == []


@settings(max_examples=25, deadline=None)
@given(stacks, st.data())
def test_property_dropping_allow_statements_never_adds_access(fns, data):
    head = {}
    for lid, sts in fns.items():
        keep = [s for s in sts if s["Effect"] == "Deny" or data.draw(st.booleans())]
        head[lid] = keep or sts  # every Deny is kept; some Allows dropped
    _, new, _ = compare(stack("b.yaml", "s", fns), stack("h.yaml", "s", head))
    assert new == []
