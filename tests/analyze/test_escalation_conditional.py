"""Conditional escalation paths: principals one step short of administrator are reported with
`conditional` and `requires`; Deny, resource constraints and impossible conditions still clear them."""

from __future__ import annotations

from iam_analyzer.analyze.graph import Analyzer, Escalations, snapshot_from_gaad
from iam_analyzer.model import Account, Function, InlinePolicy, Role, Snapshot, User

A = "111122223333"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def pol(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


def allow(actions, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": actions, "Resource": resource}, **extra)


def deny(actions, resource="*"):
    return {"Effect": "Deny", "Action": actions, "Resource": resource}


def trust(service=None, aws=None):
    principal = {"Service": service} if service else {"AWS": aws}
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def role(name, *docs, service="ec2.amazonaws.com", aws=None):
    return Role(arn=f"arn:aws:iam::{A}:role/{name}", name=name, trust_policy=trust(None if aws else service, aws),
                inline_policies=[InlinePolicy(f"p{i}", d) for i, d in enumerate(docs)])


def user(name, *docs):
    return User(arn=f"arn:aws:iam::{A}:user/{name}", name=name, inline_policies=[InlinePolicy(f"p{i}", d) for i, d in enumerate(docs)])


def findings(roles=(), users=(), functions=()):
    snap = Snapshot(accounts=[Account(account_id=A, roles=list(roles), users=list(users), functions=list(functions))])
    return Escalations(Analyzer(snap)).find()[0]


def of(found, name):
    return [f for f in found if f["principal"].endswith(f"/{name}")]


def test_role_that_can_write_user_policies_is_one_step_short():
    found = findings(roles=[role("writer", pol(allow(["iam:AttachUserPolicy", "iam:PutUserPolicy"])))],
                     users=[user("alice")])
    got = of(found, "writer")
    assert {f["method"] for f in got} == {"AttachUserPolicy", "PutUserPolicy"}
    for f in got:
        assert f["conditional"] is True and f["complete"] is False
        assert "credentials of alice" in f["requires"]
        assert f["targets"] == 1 and f["target"].endswith("user/alice")


def test_role_that_can_write_group_policies_of_other_groups():
    from iam_analyzer.model import Group

    snap = Snapshot(accounts=[Account(account_id=A, roles=[role("gw", pol(allow("iam:PutGroupPolicy")))],
                                      users=[User(arn=f"arn:aws:iam::{A}:user/bob", name="bob", groups=["devs"])],
                                      groups=[Group(arn=f"arn:aws:iam::{A}:group/devs", name="devs")])])
    got = of(Escalations(Analyzer(snap)).find()[0], "gw")
    assert [f["method"] for f in got] == ["PutGroupPolicy"]
    assert got[0]["conditional"] and "member of devs" in got[0]["requires"]


def test_user_that_can_write_role_policies_but_assume_none():
    found = findings(roles=[role("app", pol(allow("s3:GetObject")))],
                     users=[user("rw", pol(allow(["iam:AttachRolePolicy"])))])
    got = of(found, "rw")
    assert [f["method"] for f in got] == ["AttachRolePolicy"]
    assert got[0]["conditional"] and "a way to act as app" in got[0]["requires"]


def test_writing_and_assuming_is_a_complete_path():
    found = findings(roles=[role("app", pol(allow("s3:GetObject")), aws=f"arn:aws:iam::{A}:user/rw")],
                     users=[user("rw", pol(allow(["iam:AttachRolePolicy"])))])
    got = of(found, "rw")
    assert any(f["method"] == "AttachRolePolicy+AssumeRole" and not f["conditional"] and f["requires"] is None for f in got)


def test_update_function_code_without_function_inventory_is_conditional():
    roles = [role("fn-admin", ADMIN, service="lambda.amazonaws.com"),
             role("dev", pol(allow(["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"])))]
    got = of(findings(roles=roles), "dev")
    assert {f["method"] for f in got} == {"UpdateFunctionCode", "UpdateFunctionConfiguration"}
    for f in got:
        assert f["conditional"] and "existing Lambda function that runs as fn-admin" in f["requires"]
        assert f["yields"].startswith("administrator")
    # with an inventory that has no function running as the administrator role: nothing
    fn = Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:other", name="other", account_id=A, region="us-east-1",
                  role_arn=f"arn:aws:iam::{A}:role/dev")
    assert not of(findings(roles=roles, functions=[fn]), "dev")


def test_update_function_code_from_a_gaad_file():
    gaad = {"RoleDetailList": [
        {"RoleName": "fn-admin", "Arn": f"arn:aws:iam::{A}:role/fn-admin", "Path": "/",
         "AssumeRolePolicyDocument": trust("lambda.amazonaws.com"),
         "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": ADMIN}], "AttachedManagedPolicies": []},
        {"RoleName": "dev", "Arn": f"arn:aws:iam::{A}:role/dev", "Path": "/", "AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
         "RolePolicyList": [{"PolicyName": "d", "PolicyDocument": pol(allow("lambda:UpdateFunctionCode"))}],
         "AttachedManagedPolicies": []}]}
    got = of(Escalations(Analyzer(snapshot_from_gaad(gaad))).find()[0], "dev")
    assert [f["method"] for f in got] == ["UpdateFunctionCode"] and got[0]["conditional"]


def test_deny_constraint_and_impossible_condition_still_clear():
    roles = [role("fn-admin", ADMIN, service="lambda.amazonaws.com"),
             role("denied", pol(allow(["iam:AttachUserPolicy", "lambda:UpdateFunctionCode"])),
                  pol(deny(["iam:AttachUserPolicy", "lambda:UpdateFunctionCode"]))),
             role("scoped", pol(allow("iam:AttachUserPolicy", f"arn:aws:iam::{A}:user/nobody-*"),
                                allow("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:999999999999:function:*"))),
             role("never", pol(allow(["iam:PutUserPolicy", "lambda:UpdateFunctionConfiguration"], "*",
                                     Condition={"DateLessThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}})))]
    found = findings(roles=roles, users=[user("alice")])
    for name in ("denied", "scoped", "never"):
        assert not of(found, name), name


def test_complete_paths_keep_their_fields_and_gain_new_ones():
    found = findings(roles=[role("lam-admin", ADMIN, service="lambda.amazonaws.com")],
                     users=[user("deployer", pol(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])))])
    f = next(f for f in of(found, "deployer") if f["method"] == "PassRoleLambdaInvoke")
    assert f["conditional"] is False and f["requires"] is None and f["complete"] is True
    assert f["hops"] == 1 and f["path"][0]["method"] == "PassRoleLambdaInvoke" and f["yields"].startswith("administrator")
    assert f["target"].endswith("role/lam-admin") and f["targets"] == 1


def dense(n: int) -> Snapshot:
    """n roles: half are deployers (PassRole + CreateFunction on *), each trusts the previous one."""
    roles = []
    for i in range(n):
        docs = [ADMIN] if i == 0 else [pol(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))] \
            if i % 2 else [pol(allow("s3:GetObject"))]
        r = role(f"r{i}", *docs, service="lambda.amazonaws.com")
        if i:
            r.trust_policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/r{i - 1}"},
                                                "Action": "sts:AssumeRole"})
        roles.append(r)
    return Snapshot(accounts=[Account(account_id=A, roles=roles)])


def test_dense_account_reports_one_finding_per_principal_and_method():
    n = 200
    found = Escalations(Analyzer(dense(n))).find()[0]
    passers = [f for f in found if f["method"].startswith("PassRoleLambdaInvoke")]
    assert len({f["principal"] for f in passers}) == n // 2
    assert len(passers) == n // 2  # one per principal and method, not one per target
    f = passers[0]
    assert f["targets"] >= n // 2 - 1 and f["target"].endswith("role/r0") and f["yields"].startswith("administrator")
    assert f["path"][0]["targets"] == f["targets"]  # the step to every passable role, as one edge



def test_writing_a_plain_role_that_trusts_the_account_is_complete():
    found = findings(roles=[role("plain", pol(allow("s3:GetObject")), aws=f"arn:aws:iam::{A}:root")],
                     users=[user("rw", pol(allow(["iam:PutRolePolicy", "sts:AssumeRole"])))])
    got = of(found, "rw")
    assert any(f["method"] == "PutRolePolicy+AssumeRole" and f["complete"] and not f["conditional"] for f in got)


def test_the_example_path_is_the_shortest_of_a_method():
    u = f"arn:aws:iam::{A}:user/start"
    roles = [role("a", aws=u), role("b", aws=f"arn:aws:iam::{A}:role/a"),
             role("admin1", ADMIN, aws=f"arn:aws:iam::{A}:role/b"),
             role("c", aws=u), role("admin2", ADMIN, aws=f"arn:aws:iam::{A}:role/c")]
    roles[1].inline_policies = []
    got = [f for f in of(findings(roles=roles, users=[user("start")]), "start") if f["method"].startswith("AssumeRole")]
    assert len(got) == 1  # one finding per principal and first-step method
    assert got[0]["hops"] == 2 and got[0]["target"].endswith("role/admin2") and got[0]["targets"] == 2


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=7).flatmap(lambda n: st.tuples(
    st.just(n), st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=12),
    st.sets(st.integers(0, n - 1), max_size=2))))
def test_reachability_agrees_with_a_brute_force_search(case):
    """Role i trusts role j for each edge (j, i); admins hold *:*. A non-admin role has an
    AssumeRole finding exactly when some administrator is reachable through trusts."""
    n, edges, admins = case
    trusted_by = {i: sorted({j for j, k in edges if k == i and j != i}) for i in range(n)}
    roles = []
    for i in range(n):
        principals = [f"arn:aws:iam::{A}:role/r{j}" for j in trusted_by[i]] or ["arn:aws:iam::999999999999:root"]
        r = Role(arn=f"arn:aws:iam::{A}:role/r{i}", name=f"r{i}", trust_policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]},
            inline_policies=[InlinePolicy("p", ADMIN if i in admins else pol(allow("s3:GetObject")))])
        roles.append(r)
    found = findings(roles=roles)
    reached = {int(f["principal"].rsplit("r", 1)[-1]) for f in found if f["method"].startswith("AssumeRole")}
    expected = set()
    for s in range(n):
        if s in admins:
            continue
        seen, stack = {s}, [s]
        while stack:
            x = stack.pop()
            for k in range(n):
                if x in trusted_by[k] and k not in seen:
                    seen.add(k)
                    stack.append(k)
        if seen & set(admins) - {s}:
            expected.add(s)
    assert reached == expected


def test_passing_itself_or_updating_its_own_function_is_not_an_escalation():
    me = f"arn:aws:iam::{A}:role/deployer"
    r = role("deployer", pol(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], me),
                             allow("lambda:UpdateFunctionCode")), service="lambda.amazonaws.com")
    fn = Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:mine", name="mine", account_id=A, region="us-east-1", role_arn=me)
    assert not of(findings(roles=[r, role("other", pol(allow("s3:GetObject")))], functions=[fn]), "deployer")


def test_function_steps_to_many_roles_are_one_edge_and_name_the_role_reached():
    roles = [role("fa", ADMIN, service="lambda.amazonaws.com"), role("fb", ADMIN, service="lambda.amazonaws.com"),
             role("dev", pol(allow("lambda:UpdateFunctionCode")))]
    got = of(findings(roles=roles), "dev")
    assert len(got) == 1 and got[0]["targets"] == 2 and got[0]["conditional"]
    reached = got[0]["target"].rsplit("/", 1)[-1]
    assert reached in ("fa", "fb") and f"runs as {reached}" in got[0]["requires"]
    assert got[0]["path"][0]["to"] == got[0]["target"]
    fns = [Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:{n}", name=n, account_id=A, region="us-east-1",
                    role_arn=f"arn:aws:iam::{A}:role/{n}") for n in ("fa", "fb")]
    got = of(findings(roles=roles, functions=fns), "dev")
    assert len(got) == 1 and got[0]["targets"] == 2 and not got[0]["conditional"] and got[0]["requires"] is None


def ties() -> Snapshot:
    """A user who can assume several roles that can each grant themselves anything."""
    u = f"arn:aws:iam::{A}:user/start"
    roles = [role(f"self{i}", pol(allow("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/self{i}")), aws=u) for i in range(8)]
    return Snapshot(accounts=[Account(account_id=A, roles=roles, users=[user("start")])])


def test_findings_do_not_depend_on_hash_seeds():
    """Reports are compared across runs (fingerprints, CI): the same input gives the same paths."""
    import os
    import subprocess
    import sys

    code = ("import json, tests.analyze.test_escalation_conditional as t; "
            "from iam_analyzer.analyze.graph import Analyzer, Escalations; "
            "print(json.dumps([Escalations(Analyzer(s)).find()[0] for s in (t.dense(40), t.ties())], sort_keys=True))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1


def test_the_evidence_of_a_step_through_many_functions_names_one_that_runs_as_the_role_reached():
    # the demo's shape: report-role may update any function; the first function in the account
    # (db-sync) runs as a plain role, another (public-status) as the administrator
    roles = [role("vpc", pol(allow("ec2:*")), service="lambda.amazonaws.com"),
             role("admin", ADMIN, service="lambda.amazonaws.com"),
             role("report", pol(allow(["lambda:UpdateFunctionCode", "ec2:RunInstances"])), service="lambda.amazonaws.com")]
    fns = [Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:{n}", name=n, account_id=A, region="us-east-1",
                    role_arn=f"arn:aws:iam::{A}:role/{r}") for n, r in (("db-sync", "vpc"), ("public-status", "admin"),
                                                                      ("report-job", "report"))]
    got = [f for f in of(findings(roles=roles, functions=fns), "report") if f["method"] == "UpdateFunctionCode"]
    assert len(got) == 1 and got[0]["target"].endswith("role/admin") and not got[0]["conditional"]
    step = got[0]["path"][0]
    assert step["to"].endswith("role/admin") and step["requires"][0]["resource"].endswith("function:public-status")


def test_a_complete_step_hides_conditional_ones_to_the_same_role_but_a_write_never_does():
    admin = role("task-admin", ADMIN, service="ecs-tasks.amazonaws.com")
    # PassRole + RegisterTaskDefinition + RunTask is complete; PassRole + RunTask alone needs an
    # existing task definition: only the complete way in is reported
    dev = role("dev", pol(allow(["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"])))
    got = of(findings(roles=[admin, dev]), "dev")
    assert [f["method"] for f in got] == ["PassRoleECS"] and not got[0]["conditional"]
    # a policy write to a role is no way to act as it: the conditional assume step stays
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    plain = Role(arn=f"arn:aws:iam::{A}:role/plain", name="plain", inline_policies=[InlinePolicy("p", pol(allow("s3:GetObject")))],
                 trust_policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"AWS": f"arn:aws:iam::{A}:user/w"}, "Condition": mfa}]})
    got = of(findings(roles=[plain], users=[user("w", pol(allow(["iam:PutRolePolicy", "sts:AssumeRole"], plain.arn)))]), "w")
    assert [f["method"] for f in got] == ["PutRolePolicy+AssumeRole"] and got[0]["conditional"]
