"""The CI gate on a monorepo: 200 SAM/CloudFormation templates, 1,000 functions, against a base.

    python benchmarks/check.py [--templates 200] [--functions-per-template 5] [--changed 10]
                               [--corpus iac_read|own] [--profile]

Writes a synthetic monorepo into a temporary folder (half SAM with policy templates and
events, half plain CloudFormation with roles and inline policies; by default the reader's
own corpus from benchmarks/iac_read.py, or this script's with --corpus own), copies it as the base,
changes a few templates in the head (a widened statement, a removed statement, a new
function), and times ``stages.check`` end to end: reading both sides, matching, lint, the
rule pack and escalation graph on both, new access per role, rendering JSON/SARIF/Markdown.
Target (issue 13): under 20 s on this machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import tempfile
import time
from pathlib import Path

TARGET_S = 20.0
ACTIONS = [("dynamodb:GetItem", "dynamodb:PutItem", "table/t{n}"), ("s3:GetObject", "s3:PutObject", "bucket{n}/*"),
           ("sqs:SendMessage", "sqs:ReceiveMessage", "q{n}"), ("sns:Publish", None, "topic{n}")]


def _arn(svc: str, res: str) -> str:
    if svc == "s3":
        return f"arn:aws:s3:::{res}"
    if svc == "dynamodb":
        return f"!Sub arn:aws:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:{res}"
    return f"!Sub arn:aws:{svc}:${{AWS::Region}}:${{AWS::AccountId}}:{res}"


def sam_template(t: int, k: int, rng: random.Random) -> str:
    out = ["AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::Serverless-2016-10-31",
           "Globals:", "  Function:", "    Runtime: python3.12", "    Timeout: 10", "Resources:",
           f"  Table{t}:", "    Type: AWS::DynamoDB::Table", "    Properties:",
           f"      TableName: table-{t}", "      BillingMode: PAY_PER_REQUEST",
           "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]",
           "      KeySchema: [{AttributeName: id, KeyType: HASH}]",
           f"  Queue{t}:", "    Type: AWS::SQS::Queue"]
    for i in range(k):
        n = t * 100 + i
        a, b, res = rng.choice(ACTIONS)
        svc = a.split(":")[0]
        out += [f"  Fn{i}:", "    Type: AWS::Serverless::Function", "    Properties:",
                f"      FunctionName: svc{t}-fn{i}", "      Handler: app.handler", f"      CodeUri: src/fn{i}",
                "      Policies:", "        - DynamoDBReadPolicy:", f"            TableName: !Ref Table{t}",
                "        - Statement:", "            - Effect: Allow",
                f"              Action: [{a}{', ' + b if b else ''}]",
                f"              Resource: {_arn(svc, res.format(n=n))}"]
        if i % 2 == 0:
            out += ["      Events:", "        Jobs:", "          Type: SQS", "          Properties:",
                    f"            Queue: !GetAtt Queue{t}.Arn"]
    return "\n".join(out) + "\n"


def cfn_template(t: int, k: int, rng: random.Random) -> str:
    out = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"]
    for i in range(k):
        n = t * 100 + i
        a, b, res = rng.choice(ACTIONS)
        svc = a.split(":")[0]
        out += [f"  Fn{i}Role:", "    Type: AWS::IAM::Role", "    Properties:",
                "      AssumeRolePolicyDocument:", "        Version: '2012-10-17'", "        Statement:",
                "          - Effect: Allow", "            Principal: {Service: lambda.amazonaws.com}",
                "            Action: sts:AssumeRole",
                "      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "      Policies:", "        - PolicyName: app", "          PolicyDocument:",
                "            Version: '2012-10-17'", "            Statement:", "              - Effect: Allow",
                f"                Action: [{a}{', ' + b if b else ''}]",
                f"                Resource: {_arn(svc, res.format(n=n))}",
                f"  Fn{i}:", "    Type: AWS::Lambda::Function", "    Properties:",
                f"      FunctionName: svc{t}-fn{i}", "      Runtime: python3.12", "      Handler: app.handler",
                f"      Role: !GetAtt Fn{i}Role.Arn", "      Code: {ZipFile: 'def handler(e, c): pass'}"]
    return "\n".join(out) + "\n"


def monorepo(root: Path, templates: int, per: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for t in range(templates):
        d = root / f"services/svc{t:03d}"
        d.mkdir(parents=True, exist_ok=True)
        text = sam_template(t, per, rng) if t % 2 == 0 else cfn_template(t, per, rng)
        (d / "template.yaml").write_text(text)


def change(root: Path, changed: int) -> None:
    """A pull request's worth of changes: widen some statements, remove some, add a function."""
    for t in range(changed):
        p = root / f"services/svc{t * 7 % 200:03d}/template.yaml"
        if not p.exists():
            continue
        text = p.read_text()
        if t % 3 == 0:
            text = text.replace("Action: [", "Action: [iam:PassRole, ", 1)
        elif t % 3 == 1:
            text = text.replace("Resource: arn:aws:s3:::bucket", "Resource: arn:aws:s3:::*", 1).replace(
                "Action: [dynamodb:GetItem, dynamodb:PutItem]", "Action: ['dynamodb:*']", 1)
        else:
            text = text.replace("s3:PutObject", "s3:DeleteObject", 1).replace("sqs:ReceiveMessage", "sqs:PurgeQueue", 1)
        p.write_text(text)


def iac_read_corpus(root: Path, templates: int, per: int) -> None:
    """The monorepo of benchmarks/iac_read.py (the reader's benchmark), so both time the same input."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("iac_read", Path(__file__).with_name("iac_read.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.generate(root, templates, per, 0.5)


def change_iac_read(root: Path, changed: int) -> None:
    files = sorted(root.glob("services/*/*.yaml"))
    for t in range(changed):
        p = files[t * 7 % len(files)]
        text = p.read_text()
        if t % 3 == 0:
            text = text.replace("Action: ['s3:GetObject']", "Action: ['s3:GetObject', 's3:DeleteObject']", 1)
            text = text.replace("Action: [sns:Publish]", "Action: ['sns:*']", 1)
        elif t % 3 == 1:
            text = text.replace("s3:::svc", "s3:::*", 1).replace(", 'dynamodb:Query'", "", 1)
        else:
            text = text.replace("- SQSSendMessagePolicy", "- SQSPollerPolicy", 1).replace(
                "Action: ['dynamodb:GetItem', 'dynamodb:Query']", "Action: ['dynamodb:*', 'iam:PassRole']", 1)
        p.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", type=int, default=200)
    ap.add_argument("--functions-per-template", type=int, default=5)
    ap.add_argument("--changed", type=int, default=10)
    ap.add_argument("--corpus", choices=["iac_read", "own"], default="iac_read")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    from iam_analyzer import stages
    from iam_analyzer.emit import check_report

    tmp = Path(tempfile.mkdtemp(prefix="iam-analyzer-bench-"))
    try:
        base, head = tmp / "base", tmp / "head"
        if args.corpus == "own":
            monorepo(base, args.templates, args.functions_per_template)
        else:
            iac_read_corpus(base, args.templates, args.functions_per_template)
        shutil.copytree(base, head)
        (change if args.corpus == "own" else change_iac_read)(head, args.changed)
        req = stages.CheckRequest(paths=[str(head)], base=str(base))
        prof = cProfile.Profile() if args.profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        result = stages.check(req)
        t1 = time.perf_counter()
        doc = check_report.document(result)
        for fmt in ("json", "sarif", "markdown"):
            check_report.render(fmt, doc)
        t2, c2 = time.perf_counter(), time.process_time()
        if prof:
            prof.disable()
        s = doc["summary"]
        errors = sum(len(i["errors"]) for i in doc["inputs"])
        print(f"templates: {args.templates}, functions: {s['functions']}, roles: {s['roles']}, input errors: {errors}")
        print(f"new access: {s['new_access']} statement(s), removed: {s['removed_access']}, "
              f"new findings: {s['findings']}, existing: {s['existing_findings']}")
        total = t2 - t0
        print(f"check: {t1 - t0:.2f} s, render json+sarif+markdown: {t2 - t1:.2f} s, total {total:.2f} s wall, "
              f"{c2 - c0:.2f} s CPU (target < {TARGET_S:.0f} s: {'met' if total < TARGET_S else 'NOT met'})")
        print("phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
