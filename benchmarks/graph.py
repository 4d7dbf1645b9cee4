"""Graph build and escalation analysis on synthetic accounts of 1,000, 5,000 and 10,000 roles.

    python benchmarks/graph.py [--sizes 1000 5000 10000] [--shapes sparse dense]

Each account: N roles (most are Lambda execution roles with inline and shared managed
policies, a tenth with a permissions boundary, a few administrators and a few with
escalation actions), a function per Lambda role, N/20 users in N/100 groups, some users
able to assume roles. Prints seconds for building the graph and for the full escalation
analysis, and the growth between sizes. Target (issue 5): 10,000 roles in under 30 s,
growth close to linear.

The *dense* shape (issue 18): half the roles are deployers holding iam:PassRole,
lambda:CreateFunction and lambda:InvokeFunction on "*", every role is trusted by Lambda, and
each role trusts the previous one (an assume-role chain through the account). Target: 10,000
roles in under 30 s and 2 GB (peak resident memory printed), growth close to linear.

A last line times `who-can` over a role whose policy has a pathological resource pattern
(`arn:aws:s3:::a*a*a*...b`): target under 1 s (matching is bounded, issue 18).
"""

from __future__ import annotations

import argparse
import random
import time

from iam_analyzer.analyze.graph import Analyzer, Escalations, build_graph
from iam_analyzer.model import Account, Function, Group, InlinePolicy, ManagedPolicy, Role, Snapshot, User

A = "111122223333"


def trust(service=None, aws=None):
    principal = {"Service": service} if service else {"AWS": aws}
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def doc(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


def account(n: int, seed: int = 1) -> Snapshot:
    rng = random.Random(seed)
    shared = [ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/shared-{i}", name=f"shared-{i}", document=doc(
        {"Effect": "Allow", "Action": rng.sample(["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "sqs:SendMessage",
                                                  "sns:Publish", "kms:Decrypt", "logs:*"], 3),
         "Resource": "*"})) for i in range(50)]
    boundary = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/boundary", name="boundary",
                             document=doc({"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "logs:*"], "Resource": "*"}))
    roles, fns = [], []
    for i in range(n):
        name = f"role-{i:05d}"
        arn = f"arn:aws:iam::{A}:role/{name}"
        if i % 500 == 0:
            inline = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
        elif i % 97 == 0:
            inline = doc({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"})
        elif i % 89 == 0:
            inline = doc({"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "*"})
        else:
            inline = doc({"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                          "Resource": f"arn:aws:dynamodb:us-east-1:{A}:table/t{i % 300}"},
                         {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"})
        roles.append(Role(arn=arn, name=name, trust_policy=trust("lambda.amazonaws.com") if i % 10 else trust(aws=f"arn:aws:iam::{A}:root"),
                          inline_policies=[InlinePolicy("inline", inline)],
                          managed_policy_arns=[shared[i % 50].arn],
                          permissions_boundary_arn=boundary.arn if i % 10 == 3 else None))
        if i % 10:
            fns.append(Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:fn-{i}", name=f"fn-{i}", account_id=A,
                                region="us-east-1", role_arn=arn))
    groups = [Group(arn=f"arn:aws:iam::{A}:group/g{i}", name=f"g{i}", inline_policies=[InlinePolicy("g", doc(
        {"Effect": "Allow", "Action": ["s3:List*", "sts:AssumeRole"], "Resource": "*"}))]) for i in range(max(1, n // 100))]
    users = [User(arn=f"arn:aws:iam::{A}:user/u{i}", name=f"u{i}", groups=[f"g{i % len(groups)}"],
                  inline_policies=[InlinePolicy("u", doc({"Effect": "Allow", "Action": "iam:CreateAccessKey" if i % 40 == 0 else "s3:GetObject",
                                                          "Resource": "*"}))]) for i in range(max(1, n // 20))]
    return Snapshot(accounts=[Account(account_id=A, roles=roles, users=users, groups=groups, functions=fns,
                                      policies=shared + [boundary])])


def dense_account(n: int) -> Snapshot:
    roles, users = [], []
    for i in range(n):
        name = f"role-{i:05d}"
        if i % 1000 == 0:
            inline = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
        elif i % 2:
            inline = doc({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
                          "Resource": "*"})
        else:
            inline = doc({"Effect": "Allow", "Action": ["s3:GetObject", "logs:*"], "Resource": "*"})
        t = trust("lambda.amazonaws.com")
        if i:
            t["Statement"].append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/role-{i - 1:05d}"},
                                   "Action": "sts:AssumeRole"})
        roles.append(Role(arn=f"arn:aws:iam::{A}:role/{name}", name=name, trust_policy=t,
                          inline_policies=[InlinePolicy("inline", inline)]))
    for i in range(max(1, n // 50)):
        users.append(User(arn=f"arn:aws:iam::{A}:user/u{i}", name=f"u{i}", inline_policies=[InlinePolicy("u", doc(
            {"Effect": "Allow", "Action": "iam:AttachRolePolicy" if i % 5 == 0 else "s3:ListAllMyBuckets", "Resource": "*"}))]))
    return Snapshot(accounts=[Account(account_id=A, roles=roles, users=users)], source={"kind": "gaad"})


def _peak_mb() -> float:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def who_can_pathological() -> float:
    from iam_analyzer.analyze.graph.blast import who_can

    bad = "arn:aws:s3:::" + "a*" * 40 + "b"
    snap = Snapshot(accounts=[Account(account_id=A, roles=[
        Role(arn=f"arn:aws:iam::{A}:role/r{i}", name=f"r{i}", trust_policy=trust("lambda.amazonaws.com"),
             inline_policies=[InlinePolicy("p", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": bad}))])
        for i in range(20)])])
    t = time.perf_counter()
    who_can(snap, "s3:GetObject", "arn:aws:s3:::" + "a" * 3000)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    ap.add_argument("--shapes", nargs="+", default=["sparse", "dense"], choices=["sparse", "dense"])
    args = ap.parse_args()
    for shape in args.shapes:
        print(f"-- {shape} accounts")
        run(account if shape == "sparse" else dense_account, args.sizes)
    print(f"who-can over a pattern with 40 wildcards: {who_can_pathological():.3f} s   (target < 1 s)")


def run(make, sizes) -> None:
    prev = None
    for n in sizes:
        snap = make(n)
        t = time.perf_counter()
        an = Analyzer(snap)
        g = build_graph(snap, analyzer=an, with_escalation=False)
        build = time.perf_counter() - t
        t = time.perf_counter()
        found, _ = Escalations(an).find()
        esc = time.perf_counter() - t
        total = build + esc
        growth = f", x{total / prev[1]:.1f} time for x{n / prev[0]:.1f} roles" if prev else ""
        print(f"{n:>6} roles: graph {build:5.1f} s ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges), "
              f"escalation analysis {esc:5.1f} s, {len(found)} paths, total {total:5.1f} s{growth}"
              + f", peak RSS {_peak_mb():.0f} MB" + ("   (target < 30 s, < 2 GB)" if n >= 10000 else ""))
        prev = (n, total)


if __name__ == "__main__":
    main()
