"""Size and render time of the HTML report for a synthetic account of 1,000 functions.

    python benchmarks/report_size.py [--functions 1000] [--out DIR]

The account: N functions over about 0.8 N roles (every fifth function shares its
neighbour's role), broad service-wide policies of several services, an administrator role
every 100 roles, a role every 50 that may update any function's code (an escalation path to
the administrators' functions), a public function URL (auth NONE) every 40 functions, and a
usage document in which each function used two or three actions. The full pipeline after the
scan runs (rules, generated policies, report model), then the HTML is rendered. Prints the
HTML size against the 5 MB target (issue 16) and the seconds of each step.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from iam_analyzer import stages
from iam_analyzer.model import Account, Function, FunctionUrl, InlinePolicy, Invoker, Role, Snapshot

A = "111122223333"
REGION = "us-east-1"
TARGET = 5_000_000
SERVICES = [["dynamodb:*", "s3:GetObject"], ["s3:*", "sqs:*"], ["sns:Publish", "sqs:SendMessage", "kms:Decrypt"],
            ["ssm:Get*", "secretsmanager:GetSecretValue"], ["dynamodb:GetItem", "dynamodb:PutItem", "logs:*"]]
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def account(n: int) -> Snapshot:
    roles: list[Role] = []
    fns: list[Function] = []
    for i in range(n):
        if i % 5 == 4 and roles:
            role = roles[-1]
        else:
            r = len(roles)
            statements = [{"Effect": "Allow", "Action": SERVICES[r % len(SERVICES)], "Resource": "*"}]
            if r % 100 == 7:
                statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
            elif r % 50 == 11:
                statements.append({"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
                                   "Resource": "*"})
            role = Role(arn=f"arn:aws:iam::{A}:role/service-role/app-role-{r:04d}", name=f"app-role-{r:04d}",
                        trust_policy=TRUST, inline_policies=[InlinePolicy("app", doc(*statements))])
            roles.append(role)
        name = f"app-fn-{i:04d}"
        arn = f"arn:aws:lambda:{REGION}:{A}:function:{name}"
        fns.append(Function(
            arn=arn, name=name, account_id=A, region=REGION, role_arn=role.arn, runtime="python3.12",
            urls=[FunctionUrl(f"https://{i}.lambda-url.{REGION}.on.aws", "NONE")] if i % 40 == 0 else [],
            invokers=[Invoker(principal="s3.amazonaws.com", principal_type="service", actions=["lambda:InvokeFunction"],
                              source_arn=f"arn:aws:s3:::bucket-{i % 30}", source_account=A)]))
    return Snapshot(accounts=[Account(account_id=A, regions=[REGION], roles=roles, functions=fns)])


def usage(snapshot: Snapshot) -> dict:
    principals = []
    for i, fn in enumerate(snapshot.functions()):
        actions = [{"action": "s3:GetObject", "resource": f"arn:aws:s3:::bucket-{i % 30}/data/*", "count": 40,
                    "last_seen": "2026-11-29T10:00:00Z"},
                   {"action": "dynamodb:GetItem", "resource": f"arn:aws:dynamodb:{REGION}:{A}:table/t{i % 20}", "count": 12,
                    "last_seen": "2026-11-29T10:00:00Z"}]
        principals.append({"arn": fn.role_arn, "session": fn.name, "function": fn.arn, "actions": actions})
    return {"kind": "iam-analyzer-usage", "window": {"since": "2026-09-01T00:00:00Z", "until": "2026-11-30T00:00:00Z",
                                                   "first_event": "2026-09-01T00:10:00Z", "last_event": "2026-11-29T23:50:00Z"},
            "principals": principals, "data_events": {"present": True, "by_service": {"s3": [], "dynamodb": []}}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--out", default=None, help="Keep the reports in this folder (default: a temporary one).")
    args = ap.parse_args()
    import tempfile

    snap = account(args.functions)
    use = usage(snap)
    t = time.perf_counter()
    analysis = stages.analyze(snap, use)
    t_rules = time.perf_counter() - t
    t = time.perf_counter()
    results = stages.generate(snap, use)
    t_gen = time.perf_counter() - t
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="iam-report-size-"))
    t = time.perf_counter()
    paths = stages.report(snap, use, analysis, results, out, formats=("html", "json"))
    t_report = time.perf_counter() - t
    size = Path(paths["html"]).stat().st_size
    print(f"{args.functions} functions, {len({f.role_arn for f in snap.functions()})} roles, "
          f"{len(analysis.reported)} findings")
    print(f"report.html {size / 1e6:.2f} MB (target < {TARGET / 1e6:.0f} MB: {'ok' if size < TARGET else 'OVER'}), "
          f"report.json {Path(paths['json']).stat().st_size / 1e6:.2f} MB")
    html = Path(paths["html"]).read_text(encoding="utf-8")
    packed = html.count("data-lazy-slot=")
    details, pictures = html.count('<details class="fn"'), html.count('class="pic escalation"')
    print(f"function details drawn in the page: {details - packed}, packed and unpacked on open: {packed}; "
          f"escalation paths drawn: {pictures}")
    print(f"seconds: rules {t_rules:.1f}, generate {t_gen:.1f}, report model and render {t_report:.1f}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
