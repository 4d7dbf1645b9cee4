"""A small account for the report's pictures: a shared role, an administrator's function
behind a public URL, a role that can redeploy it (an escalation), and names with markup."""

from __future__ import annotations

from iam_analyzer.model import Account, Function, FunctionUrl, InlinePolicy, Invoker, Role, Snapshot

A = "111122223333"
EVIL = "<script>window.__xss=1</script>&\"'\x07x"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def role(name, *statements):
    return Role(arn=f"arn:aws:iam::{A}:role/{name}", name=name, trust_policy=TRUST,
                inline_policies=[InlinePolicy("p", doc(*statements))])


def function(name, r: Role, **kw):
    return Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:{name}", name=name, account_id=A, region="us-east-1",
                    role_arn=r.arn, runtime="python3.12", **kw)


def snapshot(evil: bool = False, extra_functions: int = 0) -> Snapshot:
    admin = role("admin-role", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    deployer = role("deployer-role" + (EVIL if evil else ""),
                    {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "s3:GetObject"], "Resource": "*"})
    shared = role("shared-role", {"Effect": "Allow", "Action": ["dynamodb:*", "s3:*"], "Resource": "*"})
    fns = [function("public-status", admin, urls=[FunctionUrl("https://x.lambda-url.us-east-1.on.aws", "NONE")],
                    invokers=[Invoker(principal="*", principal_type="everyone", actions=["lambda:InvokeFunctionUrl"],
                                      function_url_auth_type="NONE")]),
           function("deployer" + (EVIL if evil else ""), deployer),
           function("worker-a", shared), function("worker-b", shared)]
    fns += [function(f"extra-{i:04d}", shared) for i in range(extra_functions)]
    return Snapshot(accounts=[Account(account_id=A, regions=["us-east-1"], roles=[admin, deployer, shared], functions=fns)])


def usage(snap: Snapshot) -> dict:
    principals = [{"arn": f.role_arn, "session": f.name, "function": f.arn,
                   "actions": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key", "count": 3,
                                "last_seen": "2026-11-29T00:00:00Z"}]} for f in snap.functions()]
    return {"kind": "iam-analyzer-usage", "window": {"since": "2026-09-01T00:00:00Z", "until": "2026-11-30T00:00:00Z",
                                                     "first_event": "2026-09-01T00:00:00Z", "last_event": "2026-11-29T00:00:00Z"},
            "principals": principals, "data_events": {"present": True, "by_service": {"s3": ["arn:aws:s3:::bucket"]}}}
