"""Every method of rules/escalation.yaml (DataDog's pathfinding.cloud catalog): an account whose
attacker holds exactly the method's permissions shows the path (conditional only where the
method needs something the input cannot show), and an account one permission short shows
nothing the remaining permissions do not justify. The catalog's two-step paths (`chains`) too."""

from __future__ import annotations

import pytest

from iam_analyzer.analyze.graph import Analyzer, Escalations
from iam_analyzer.analyze.graph.principals import escalation_chains, escalation_methods
from iam_analyzer.model import Account, Function, Group, InlinePolicy, ManagedPolicy, Role, Snapshot, User

A = "111122223333"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ATTACKER = f"arn:aws:iam::{A}:user/attacker"
METHODS = {m["id"]: m for m in escalation_methods()}


def actions(m: dict) -> frozenset[str]:
    return frozenset(r["action"] for r in m["requires"])


def doc(acts):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": sorted(acts), "Resource": "*"}]} if acts else \
        {"Version": "2012-10-17", "Statement": []}


def trust(service=None, aws=None):
    principal = {"Service": service} if service else {"AWS": aws}
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def role(name, trust_doc, *docs, managed=()):
    return Role(arn=f"arn:aws:iam::{A}:role/{name}", name=name, trust_policy=trust_doc,
                inline_policies=[InlinePolicy(f"p{i}", d) for i, d in enumerate(docs)], managed_policy_arns=list(managed))


def account_for(m: dict, held) -> Snapshot:
    """The attacker (holding `held` through a customer-managed policy attached to it) and what the
    method's first requirement acts on, privileged."""
    first = m["requires"][0]
    held_policy = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/held", name="held", document=doc(held))
    roles, users, groups, functions = [], [], [], []
    attacker = User(arn=ATTACKER, name="attacker", managed_policy_arns=[held_policy.arn])
    on = first["target"]
    if on == "self-or-role":  # the catalog's path: a role that rewrites its own policies
        attacker = role("attacker", trust("ec2.amazonaws.com"), managed=[held_policy.arn])
    if on in ("passable-role", "existing") and first["service"] == "cognito-identity.amazonaws.com":
        # an identity pool's role trusts the pool's provider for web identities, not as a service
        roles.append(role("svc-admin", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Federated": first["service"]}, "Action": "sts:AssumeRoleWithWebIdentity"}]}, ADMIN))
    elif on in ("passable-role", "existing"):
        roles.append(role("svc-admin", trust(first["service"]), ADMIN))
    elif on == "function":
        roles.append(role("fn-admin", trust("lambda.amazonaws.com"), ADMIN))
        functions.append(Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:admin-fn", name="admin-fn", account_id=A,
                                  region="us-east-1", role_arn=roles[-1].arn))
    elif on in ("other-user", "self-or-user"):
        users.append(User(arn=f"arn:aws:iam::{A}:user/boss", name="boss", inline_policies=[InlinePolicy("a", ADMIN)]))
    elif on == "other-role":
        roles.append(role("boss-role", trust("ec2.amazonaws.com"), ADMIN))
    elif on == "group" and m["id"] == "AddUserToGroup":
        groups.append(Group(arn=f"arn:aws:iam::{A}:group/admins", name="admins", inline_policies=[InlinePolicy("a", ADMIN)]))
    elif on == "group":
        groups.append(Group(arn=f"arn:aws:iam::{A}:group/team", name="team"))
        attacker.groups = ["team"]
    elif on == "trusting-role":
        roles.append(role("trusting-admin", trust(aws=f"arn:aws:iam::{A}:root"), ADMIN))
    (roles if isinstance(attacker, Role) else users).append(attacker)
    return Snapshot(accounts=[Account(account_id=A, roles=roles, users=users, groups=groups, policies=[held_policy],
                                      functions=functions)])


def attacker_findings(snap: Snapshot) -> list[dict]:
    return [f for f in Escalations(Analyzer(snap)).find()[0] if f["principal"].endswith("/attacker")]


def first_method(f: dict) -> str:
    return f["method"].split("+")[0]


def covering(m: dict) -> set[str]:
    """Methods whose permissions are a subset of this one's: any of them shows the path (the
    graph reports the smallest way in, not each superset)."""
    return {k for k, x in METHODS.items() if actions(x) <= actions(m)}


@pytest.mark.parametrize("mid", sorted(METHODS))
def test_the_method_is_found_with_exactly_its_permissions(mid):
    m = METHODS[mid]
    found = attacker_findings(account_for(m, actions(m)))
    ways = [f for f in found if first_method(f) in covering(m)]
    assert ways, f"{mid}: nothing found ({[f['method'] for f in found]})"
    if m.get("needs"):
        # the input cannot show the instance, project, stack ... it needs: conditional, saying what
        assert any(f["conditional"] and f["requires"] for f in ways), mid
    else:
        assert any(not f["conditional"] and f["complete"] for f in ways), (mid, [(f["method"], f["requires"]) for f in ways])
    assert all(f["target"].split(":")[4] == A for f in ways)


@pytest.mark.parametrize("mid,missing", sorted((k, a) for k, m in METHODS.items() for a in actions(m)))
def test_one_permission_short_shows_only_what_the_rest_justifies(mid, missing):
    m = METHODS[mid]
    held = actions(m) - {missing}
    found = attacker_findings(account_for(m, held))
    assert mid not in {first_method(f) for f in found}
    for f in found:  # a finding of another method must be one the remaining permissions hold
        assert actions(METHODS[first_method(f)]) <= held, (mid, missing, f["method"])


def test_every_catalog_path_is_covered_once():
    refs = [r for m in METHODS.values() for r in m.get("ref", [])] + [c["ref"] for c in escalation_chains()]
    assert len(refs) == len(set(refs))
    families = {r.rsplit("-", 1)[0] for r in refs}
    assert {"apprunner", "bedrock", "cloudformation", "codebuild", "ec2", "ecs", "glue", "iam", "lambda", "sagemaker",
            "ssm", "sts", "datapipeline"} <= families
    assert {f"iam-{i:03d}" for i in range(1, 22)} <= set(refs)
    for c in escalation_chains():
        assert all(s in METHODS for s in c["steps"]) and len(c["steps"]) == 2


def chain_account(chain: dict, held) -> Snapshot:
    """A plain role (no privileges) with a customer-managed policy attached, trusting the account
    (so acting as it needs the attacker's own sts:AssumeRole) when the chain ends in AssumeRole, or
    only EC2 when it ends in rewriting the trust policy; a plain user for the access-key chains."""
    # each permission scoped to the chain's target, as the catalog states it (never the attacker itself)
    on = {"iam:CreatePolicyVersion": f"arn:aws:iam::{A}:policy/shared", "iam:AttachUserPolicy": f"arn:aws:iam::{A}:user/plain-user",
          "iam:PutUserPolicy": f"arn:aws:iam::{A}:user/plain-user", "iam:CreateAccessKey": f"arn:aws:iam::{A}:user/plain-user"}
    scoped = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": a, "Resource": on.get(a, f"arn:aws:iam::{A}:role/plain")} for a in sorted(held)]}
    held_policy = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/held", name="held", document=scoped)
    shared = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/shared", name="shared",
                           document=doc(["s3:ListAllMyBuckets"]))
    how = trust(aws=f"arn:aws:iam::{A}:root") if chain["steps"][1] == "AssumeRole" else trust("ec2.amazonaws.com")
    plain = role("plain", how, managed=[shared.arn])
    plain_user = User(arn=f"arn:aws:iam::{A}:user/plain-user", name="plain-user")
    attacker = User(arn=ATTACKER, name="attacker", managed_policy_arns=[held_policy.arn])
    return Snapshot(accounts=[Account(account_id=A, roles=[plain], users=[plain_user, attacker],
                                      policies=[held_policy, shared])])


def chain_actions(chain: dict) -> frozenset[str]:
    return frozenset().union(*(actions(METHODS[s]) for s in chain["steps"]))


@pytest.mark.parametrize("ref", sorted(c["ref"] for c in escalation_chains()))
def test_two_step_catalog_paths_are_complete(ref):
    chain = next(c for c in escalation_chains() if c["ref"] == ref)
    found = attacker_findings(chain_account(chain, chain_actions(chain)))
    want = "+".join(chain["steps"])
    got = [f for f in found if f["method"] == want]
    assert got and not got[0]["conditional"] and got[0]["complete"], (ref, [(f["method"], f["conditional"]) for f in found])
    assert got[0]["target"].endswith(("role/plain", "user/plain-user"))
    for missing in chain_actions(chain):  # one short: never complete
        short = attacker_findings(chain_account(chain, chain_actions(chain) - {missing}))
        assert not [f for f in short if f["complete"] and not f["conditional"]], (ref, missing)


def test_the_methods_page_is_generated_and_current():
    from iam_analyzer.emit.escalation_docs import render
    from tests.paths import ROOT

    text = (ROOT / "docs" / "escalation.md").read_text()
    assert text == render(), "docs/escalation.md is stale: run python -m iam_analyzer.emit.escalation_docs"
    for m in METHODS.values():
        assert f"| {m['id']}: " in text and all(f"[{r}](" in text for r in m.get("ref", []))
