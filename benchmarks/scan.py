"""Scan 1,000 functions across two regions in moto with 50 ms of latency on every API call.

    python benchmarks/scan.py [--functions 1000] [--latency-ms 50] [--workers 16]

moto runs as a separate process (so its memory is not counted); the account is provisioned
with roles (shared and per function), inline and managed policies, SQS event source mappings,
S3, SNS and EventBridge triggers and resource policies. Then the scanner runs with a
botocore hook that sleeps ``--latency-ms`` before every request, as real AWS would take.

Prints wall time, API calls per function (and the constant part), and peak memory.
Targets (issue 3): at most 3 calls per function plus a constant per account and region,
and under 15 s for 1,000 functions.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
PER_FUNCTION_OPS = {"get_policy", "list_aliases", "get_function_url_config", "list_function_event_invoke_configs",
                    "get_function_concurrency", "GetPolicy", "ListAliases", "GetFunctionUrlConfig",
                    "ListFunctionEventInvokeConfigs", "GetFunctionConcurrency"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(port: int) -> subprocess.Popen:
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start")


def provision(endpoint: str, n: int, regions: list[str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return 1\n")
    code = buf.getvalue()
    s = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x")
    iam = s.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    shared = iam.create_role(RoleName="shared", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    pol = iam.create_policy(PolicyName="common", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="shared", PolicyArn=pol)
    iam.attach_role_policy(RoleName="shared", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")

    def make(i: int) -> None:
        region = regions[i % len(regions)]
        lam = s.client("lambda", region_name=region, endpoint_url=endpoint)
        if i % 4 == 0:
            role = iam.create_role(RoleName=f"fn-role-{i}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            iam.put_role_policy(RoleName=f"fn-role-{i}", PolicyName="inline", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}))
        else:
            role = shared
        arn = lam.create_function(FunctionName=f"fn-{i:05d}", Runtime="python3.12", Role=role, Handler="index.handler",
                                  Code={"ZipFile": code}, Environment={"Variables": {"TABLE": f"t{i}", "MODE": "x"}})["FunctionArn"]
        kind = i % 5
        if kind == 0:
            sqs = s.client("sqs", region_name=region, endpoint_url=endpoint)
            url = sqs.create_queue(QueueName=f"q-{i}")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=arn)
        elif kind == 1:
            lam.add_permission(FunctionName=arn, StatementId="s3", Action="lambda:InvokeFunction",
                               Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::bucket-{i}")
        elif kind == 2:
            sns = s.client("sns", region_name=region, endpoint_url=endpoint)
            topic = sns.create_topic(Name=f"t-{i}")["TopicArn"]
            sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
        elif kind == 3:
            ev = s.client("events", region_name=region, endpoint_url=endpoint)
            ev.put_rule(Name=f"r-{i}", ScheduleExpression="rate(1 hour)")
            ev.put_targets(Rule=f"r-{i}", Targets=[{"Id": "1", "Arn": arn}])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(n)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--workers", type=int, default=16)
    args = ap.parse_args()
    regions = ["us-east-1", "eu-west-1"]
    port = free_port()
    proc = start_moto(port)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    try:
        t = time.perf_counter()
        provision(endpoint, args.functions, regions)
        print(f"provisioned {args.functions} functions in {time.perf_counter() - t:.1f} s")

        from iam_analyzer.collect.aws.inventory import ScanOptions, scan
        from iam_analyzer.collect.aws.session import Clients

        clients = Clients(boto3.session.Session(region_name="us-east-1"), endpoint_url=endpoint)
        delay = args.latency_ms / 1000.0

        def latency(service, op, params):
            time.sleep(delay)

        clients.add_hook(latency)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        snap = scan(clients, ScanOptions(regions=regions, workers=args.workers))
        wall = time.perf_counter() - t
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        n = len(snap.functions())
        per_fn = sum(c for (svc, op), c in clients.call_log.counts.items() if op in PER_FUNCTION_OPS)
        const = clients.call_log.total - per_fn
        print(f"functions scanned: {n} in {len(regions)} regions, {sum(len(a.coverage) for a in snap.accounts)} coverage gap(s)")
        print(f"wall time: {wall:.1f} s with {args.latency_ms:.0f} ms per call, {args.workers} workers per region"
              f"  ->  {wall / max(n, 1) * 1000:.1f} s per 1,000 functions   (target < 15 s)")
        print(f"API calls: {clients.call_log.total} = {per_fn / max(n, 1):.2f} per function  + {const} other"
              f" ({const / len(regions):.0f} per region, incl. paginated lists and push sources)   (target <= 3 per function)")
        top = sorted(clients.call_log.counts.items(), key=lambda kv: -kv[1])[:8]
        print("busiest operations:", ", ".join(f"{op}={c}" for (_, op), c in top))
        print(f"peak memory (max RSS of this process, moto runs apart): {rss_after / 1024:.0f} MiB "
              f"(before the scan: {rss_before / 1024:.0f} MiB)")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
