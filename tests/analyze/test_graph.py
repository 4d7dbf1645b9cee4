"""Permission graph and escalation: known vulnerable setups found, near-miss controls not."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.analyze.graph import Analyzer, Escalations, build_graph, export, snapshot_from_gaad
from iam_analyzer.model import Account, Function, Group, InlinePolicy, ManagedPolicy, Role, Snapshot, User

A = "111122223333"
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def trust(service=None, aws=None):
    principal = {"Service": service} if service else {"AWS": aws}
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def pol(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


def allow(actions, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": actions, "Resource": resource}, **extra)


def user(name, *docs, managed=(), groups=()):
    return User(arn=f"arn:aws:iam::{A}:user/{name}", name=name,
                inline_policies=[InlinePolicy(f"p{i}", d) for i, d in enumerate(docs)],
                managed_policy_arns=list(managed), groups=list(groups))


@pytest.fixture(scope="module")
def account() -> Snapshot:
    roles = [
        Role(arn=f"arn:aws:iam::{A}:role/lambda-admin", name="lambda-admin", trust_policy=trust("lambda.amazonaws.com"),
             inline_policies=[InlinePolicy("admin", ADMIN_DOC)]),
        Role(arn=f"arn:aws:iam::{A}:role/ec2-admin", name="ec2-admin", trust_policy=trust("ec2.amazonaws.com"),
             inline_policies=[InlinePolicy("admin", ADMIN_DOC)]),
        Role(arn=f"arn:aws:iam::{A}:role/deployer", name="deployer", trust_policy=trust(aws=f"arn:aws:iam::{A}:user/chain"),
             inline_policies=[InlinePolicy("deploy", pol(allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{A}:function:*")))]),
        Role(arn=f"arn:aws:iam::{A}:role/app", name="app", trust_policy=trust("lambda.amazonaws.com"),
             inline_policies=[InlinePolicy("app", pol(allow("dynamodb:GetItem")))]),
        # a chain through a role with no policies at all
        Role(arn=f"arn:aws:iam::{A}:role/hop-1", name="hop-1", trust_policy=trust(aws=f"arn:aws:iam::{A}:user/chain-start")),
        Role(arn=f"arn:aws:iam::{A}:role/hop-2", name="hop-2", trust_policy=trust(aws=f"arn:aws:iam::{A}:role/hop-1"),
             inline_policies=[InlinePolicy("admin", ADMIN_DOC)]),
        Role(arn=f"arn:aws:iam::{A}:role/plain-assumable", name="plain-assumable",
             trust_policy=trust(aws=f"arn:aws:iam::{A}:user/write-and-assume"),
             inline_policies=[InlinePolicy("p", pol(allow("s3:ListAllMyBuckets")))]),
    ]
    custom = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/versioned", name="versioned",
                           document=pol(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{A}:policy/versioned")))
    users = [
        user("policy-version", managed=[custom.arn]),
        user("pass-lambda", pol(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))),
        user("split", pol(allow("iam:PassRole")), pol(allow("ec2:RunInstances"))),  # across two policies
        user("notaction", pol({"Effect": "Allow", "NotAction": ["s3:*", "ec2:*"], "Resource": "*"})),
        user("put-self", pol(allow("iam:PutUserPolicy", f"arn:aws:iam::{A}:user/put-self"))),
        user("chain"),  # can assume deployer, which can change the admin function's code
        user("chain-start"),  # assumes hop-1, which assumes the administrator hop-2
        user("via-group", groups=["builders"]),
        # near misses
        user("fp-deny", pol(allow("iam:PutUserPolicy"), {"Effect": "Deny", "Action": "iam:PutUserPolicy", "Resource": "*"})),
        user("fp-never", pol(allow("iam:AttachUserPolicy", "*", Condition={"DateLessThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}}))),
        user("fp-passrole-only", pol(allow("iam:PassRole"))),
        user("fp-other-user", pol(allow("iam:PutUserPolicy", f"arn:aws:iam::{A}:user/nobody-*"))),
        user("fp-passed-to", pol(allow("iam:PassRole", "*", Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
                                 allow(["lambda:CreateFunction", "lambda:InvokeFunction"]))),
        user("mfa", pol(allow("iam:AttachUserPolicy", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
        # rewrites a harmless role's policy, then assumes it
        user("write-and-assume", pol(allow("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/plain-assumable"))),
        # joins the admins group
        user("joiner", pol(allow("iam:AddUserToGroup", f"arn:aws:iam::{A}:group/admins"))),
        # a date condition on the token that always holds, and one that never can
        user("token-new", pol(allow("iam:PutUserPolicy", "*", Condition={"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}))),
        user("fp-token-old", pol(allow("iam:PutUserPolicy", "*", Condition={"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}))),
        # may rewrite the role but cannot assume it: one step short (a conditional path)
        user("fp-write-only", pol(allow("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/app"))),
    ]
    groups = [Group(arn=f"arn:aws:iam::{A}:group/builders", name="builders",
                    inline_policies=[InlinePolicy("g", pol(allow("iam:AttachGroupPolicy", f"arn:aws:iam::{A}:group/builders")))]),
              Group(arn=f"arn:aws:iam::{A}:group/admins", name="admins", inline_policies=[InlinePolicy("a", ADMIN_DOC)])]
    fns = [Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:admin-fn", name="admin-fn", account_id=A, region="us-east-1",
                    role_arn=f"arn:aws:iam::{A}:role/lambda-admin")]
    return Snapshot(accounts=[Account(account_id=A, roles=roles, users=users, groups=groups, policies=[custom], functions=fns)])


@pytest.fixture(scope="module")
def findings(account):
    found, _ = Escalations(Analyzer(account)).find()
    return found


def who(findings, name, conditional=False):
    return {f["method"] for f in findings if f["principal"].endswith(f"/{name}") and f["conditional"] == conditional}


def test_known_escalations_are_found(findings):
    assert "CreatePolicyVersion" in who(findings, "policy-version")
    assert "PassRoleLambdaInvoke" in who(findings, "pass-lambda")
    assert "PassRoleEC2" in who(findings, "split")  # split across two policies of the same user
    assert who(findings, "notaction") & {"PutUserPolicy", "AttachUserPolicy", "CreateAccessKey"}  # NotAction allows count
    assert "PutUserPolicy" in who(findings, "put-self")
    assert "AttachGroupPolicy" in who(findings, "via-group")  # a group policy, through membership
    chain = [f for f in findings if f["principal"].endswith("/chain")]
    assert any(f["method"] == "AssumeRole+UpdateFunctionCode" and f["hops"] == 2 for f in chain)
    assert any(f["method"] == "PutRolePolicy+AssumeRole" for f in findings if f["principal"].endswith("/write-and-assume"))
    assert "AddUserToGroup" in who(findings, "joiner")
    assert "PutUserPolicy" in who(findings, "token-new")
    assert any(f["method"] == "AssumeRole+AssumeRole" for f in findings if f["principal"].endswith("/chain-start"))  # unconditional: the condition always holds
    hop = next(f for f in chain if f["hops"] == 2)["path"]
    assert hop[0]["to"].endswith("role/deployer") and hop[1]["to"].endswith("role/lambda-admin")
    assert hop[1]["requires"][0]["statements"]  # each hop names the statements that allow it


def test_near_misses_are_not_flagged(findings):
    for name in ("fp-deny", "fp-never", "fp-passrole-only", "fp-other-user", "fp-passed-to", "fp-token-old"):
        assert not [f for f in findings if f["principal"].endswith(f"/{name}")], name
    assert not [f for f in findings if f["principal"].endswith("/app")]


def test_unknown_conditions_are_reported_as_conditional(findings):
    assert not who(findings, "mfa") and "AttachUserPolicy" in who(findings, "mfa", conditional=True)


def test_graph_edges_and_exports(account):
    g = build_graph(account)
    types = {d["type"] for _, _, d in g.edges(data=True)}
    assert {"runs_as", "has_policy", "member_of", "grants", "can_assume", "can_pass_role", "can_modify_function"} <= types
    assert g.nodes[f"arn:aws:iam::{A}:role/lambda-admin"]["admin"] is True
    data = json.loads(export(g, "json"))
    assert data["nodes"] and data["links"]
    assert "<graphml" in export(g, "graphml")
    dot = export(g, "dot")
    assert dot.startswith("digraph") and "runs_as" in dot


def test_gaad_input_and_cli(tmp_path, account):
    acct = account.accounts[0]
    gaad = {
        "UserDetailList": [{"UserName": u.name, "Arn": u.arn, "Path": "/", "GroupList": u.groups,
                            "UserPolicyList": [{"PolicyName": p.name, "PolicyDocument": p.document} for p in u.inline_policies],
                            "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in u.managed_policy_arns]}
                           for u in acct.users],
        "GroupDetailList": [{"GroupName": g.name, "Arn": g.arn, "Path": "/",
                             "GroupPolicyList": [{"PolicyName": p.name, "PolicyDocument": json.dumps(p.document)} for p in g.inline_policies],
                             "AttachedManagedPolicies": []} for g in acct.groups],
        "RoleDetailList": [{"RoleName": r.name, "Arn": r.arn, "Path": "/", "AssumeRolePolicyDocument": r.trust_policy,
                            "RolePolicyList": [{"PolicyName": p.name, "PolicyDocument": p.document} for p in r.inline_policies],
                            "AttachedManagedPolicies": []} for r in acct.roles],
        "Policies": [{"PolicyName": p.name, "Arn": p.arn, "DefaultVersionId": "v1",
                      "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": p.document}]} for p in acct.policies],
    }
    (tmp_path / "gaad.json").write_text(json.dumps(gaad))
    snap = snapshot_from_gaad(gaad)
    assert len(snap.roles()) == 7
    res = CliRunner().invoke(main, ["graph", "escalations", "--gaad", str(tmp_path / "gaad.json"), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["catalog"]["version"]
    methods = {(e["principal"].rsplit("/", 1)[-1], e["method"]) for e in data["escalations"]}
    assert ("pass-lambda", "PassRoleLambdaInvoke") in methods and ("split", "PassRoleEC2") in methods
    res = CliRunner().invoke(main, ["graph", "who-can", "iam:PassRole", f"arn:aws:iam::{A}:role/lambda-admin",
                                    "--gaad", str(tmp_path / "gaad.json")])
    assert res.exit_code == 0 and "pass-lambda" in res.stdout and "fp-passrole-only" in res.stdout
    assert "/app" not in res.stdout
    res = CliRunner().invoke(main, ["graph", "export", "--gaad", str(tmp_path / "gaad.json"), "--format", "dot",
                                    "-o", str(tmp_path / "g.dot")])
    assert res.exit_code == 0 and (tmp_path / "g.dot").read_text().startswith("digraph")
    bad = tmp_path / "bad.json"
    bad.write_text('{"nope": 1}')
    res = CliRunner().invoke(main, ["graph", "escalations", "--gaad", str(bad)])
    assert res.exit_code == 2 and "bad.json" in res.stderr


def test_every_escalation_method_names_real_actions_and_known_targets():
    from iam_analyzer.analyze.graph.principals import escalation_methods
    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    targets = {"*", "policy", "self-or-user", "self-or-role", "other-user", "other-role", "group", "passable-role",
               "function", "trusting-role", "existing", "same"}
    methods = escalation_methods()
    assert len(methods) >= 30 and len({m["id"] for m in methods}) == len(methods)
    for m in methods:
        assert m["yields"] and m["name"] and m["exists"]
        for i, r in enumerate(m["requires"]):
            assert cat.get(r["action"]) is not None, (m["id"], r["action"])
            assert r["target"] in targets, (m["id"], r["target"])
            assert i > 0 or r["target"] != "same", m["id"]  # "same" refers back to the first requirement
            if r["target"] in ("passable-role", "existing"):
                assert r["service"].endswith(".amazonaws.com")
            if r["target"] == "existing":  # what the input cannot show makes the path conditional
                assert i == 0 and "{name}" in m["needs"], m["id"]


def test_who_can_invoke_includes_the_function_resource_policy(account):
    from iam_analyzer.analyze.graph.blast import who_can
    from iam_analyzer.model import Invoker

    fn = account.accounts[0].functions[0]
    fn.invokers = [Invoker(principal="s3.amazonaws.com", principal_type="service", actions=["lambda:InvokeFunction"],
                           source_arn="arn:aws:s3:::b", conditions={"ArnLike": {"AWS:SourceArn": ["arn:aws:s3:::b"]}}),
                   Invoker(principal="*", principal_type="everyone", actions=["lambda:InvokeFunctionUrl"])]
    try:
        rows = who_can(account, "lambda:InvokeFunction", fn.arn)
        by = {r["principal"]: r for r in rows}
        assert by["s3.amazonaws.com"]["result"] == "CONDITIONAL" and by["s3.amazonaws.com"]["source_arn"] == "arn:aws:s3:::b"
        assert "*" not in by  # the public statement is for the URL action only
        assert by[f"arn:aws:iam::{A}:user/notaction"]["result"] == "ALLOW"  # identity policies too
        url_rows = who_can(account, "lambda:InvokeFunctionUrl", fn.arn)
        assert any(r["principal"] == "*" and r["type"] == "resource-policy:everyone" for r in url_rows)
    finally:
        fn.invokers = []


def test_a_path_through_a_class_of_roles_names_the_role_it_reaches():
    # alice assumes ci, which may pass any role to Lambda: the graph steps to the class
    # "any role Lambda can be passed" (class:passable:...); the finding names the role reached
    admin = Role(arn=f"arn:aws:iam::{A}:role/fn-admin", name="fn-admin", trust_policy=trust("lambda.amazonaws.com"),
                 inline_policies=[InlinePolicy("admin", ADMIN_DOC)])
    plain = Role(arn=f"arn:aws:iam::{A}:role/fn-plain", name="fn-plain", trust_policy=trust("lambda.amazonaws.com"),
                 inline_policies=[InlinePolicy("p", pol(allow("s3:GetObject")))])
    ci = Role(arn=f"arn:aws:iam::{A}:role/ci", name="ci", trust_policy=trust(aws=f"arn:aws:iam::{A}:user/alice"),
              inline_policies=[InlinePolicy("p", pol(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])))])
    alice = user("alice", pol(allow("sts:AssumeRole", ci.arn)))
    found, _ = Escalations(Analyzer(Snapshot(accounts=[Account(account_id=A, roles=[admin, plain, ci], users=[alice])]))).find()
    assert not [h for f in found for h in f["path"] if h["to"].startswith("class:") or h["from"].startswith("class:")]
    f = next(f for f in found if f["principal"].endswith("user/alice"))
    assert [h["to"] for h in f["path"]] == [ci.arn, admin.arn] and f["target"] == admin.arn
