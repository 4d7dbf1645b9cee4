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
    """A usage document as `iam-analyzer usage` writes it, with real evidence: 90 days of
    management events of the account in us-east-1, and S3 data events for the bucket read."""
    principals = [{"arn": f.role_arn, "type": "role", "session": f.name, "function": f.arn,
                   "actions": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key", "count": 3, "denied": 0,
                                "first_seen": "2026-09-01T00:00:00Z", "last_seen": "2026-11-29T23:59:59Z",
                                "data_event": True}]} for f in snap.functions()]
    reads = 3 * len(principals)
    return {"schema_version": 1, "kind": "iam-analyzer-usage",
            "window": {"since": "2026-09-01T00:00:00Z", "until": "2026-11-29T23:59:59Z",
                       "first_event": "2026-09-01T00:00:00Z", "last_event": "2026-11-29T23:59:59Z",
                       "start": "2026-09-01T00:00:00Z", "end": "2026-11-29T23:59:59Z", "days": 90},
            "events": {"total": reads + 900, "attributed": reads, "out_of_window": 0},
            "coverage": [{"account": A, "region": "us-east-1", "files": 90, "management_events": 900,
                          "data_events": reads, "first_day": "2026-09-01", "last_day": "2026-11-29", "days": 90,
                          "services": ["dynamodb", "iam", "lambda", "s3", "sts"]}],
            "principals": principals,
            "data_events": {"present": True, "by_service": {"s3": {"arn:aws:s3:::bucket": reads}}}}
