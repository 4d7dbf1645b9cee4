"""CloudTrail usage throughput against the physical limit, measured in the same run.

    python benchmarks/usage.py [--events 1000000] [--workers 2] [--corpus DIR] [--memory-check]

1. Generates (once, cached in --corpus) a realistic corpus: ~1.5 KB events, ~200 Lambda
   roles with 1-3 functions each, S3 and DynamoDB data events, many services, ~1% AccessDenied,
   1,000 records per gzip file laid out as CloudTrail delivers them. Each role calls a fixed
   set of 3-7 APIs (as a function's code does); S3 object keys are new on every call (the
   worst case for aggregation).
2. Reference, the decode-only limit: the same files, on the same number of worker processes,
   only read, decompressed in one call (ISA-L), decoded with msgspec into the typed structs of
   the fields usage needs (``records.LogFile``, request parameters included), and the records
   counted: nothing else, none of the pipeline's own code (no bounds, no fallback).
3. End to end: ``iam_analyzer.collect.cloudtrail.pipeline.run`` on the same files.

``--rounds`` alternates the two, so machine noise shows in both; prints events per second
of each round, the median ratio (target >= 60%, issue #28), peak memory of the workers, and
checks that 1 and N workers give identical output. ``--memory-check`` also runs on four
times the events (the same files linked under other dates) and compares peak memory (target:
within 10%). ``--floors`` also times the reference plus only the counting step in its
cheapest forms (by caller and event name; by the full raw key within each file).
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import operator
import os
import random
import resource
import shutil
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ACCOUNT = "123456789012"
OPS = [
    # (weight, source, name, params builder key, data event)
    (18, "s3.amazonaws.com", "GetObject", "s3obj"),
    (8, "s3.amazonaws.com", "PutObject", "s3obj"),
    (3, "s3.amazonaws.com", "ListObjectsV2", "s3bucket"),
    (2, "s3.amazonaws.com", "HeadObject", "s3obj"),
    (16, "dynamodb.amazonaws.com", "GetItem", "ddb"),
    (8, "dynamodb.amazonaws.com", "PutItem", "ddb"),
    (6, "dynamodb.amazonaws.com", "Query", "ddbidx"),
    (2, "dynamodb.amazonaws.com", "BatchWriteItem", "ddb"),
    (6, "sqs.amazonaws.com", "SendMessage", "sqs"),
    (3, "sqs.amazonaws.com", "SendMessageBatch", "sqs"),
    (4, "sns.amazonaws.com", "Publish", "sns"),
    (6, "kms.amazonaws.com", "Decrypt", "kms"),
    (3, "kms.amazonaws.com", "GenerateDataKey", "kms"),
    (4, "secretsmanager.amazonaws.com", "GetSecretValue", "secret"),
    (4, "ssm.amazonaws.com", "GetParameter", "ssm"),
    (2, "lambda.amazonaws.com", "Invoke", "lambda"),
    (1, "lambda.amazonaws.com", "GetFunction20150331v2", "lambda"),
    (2, "states.amazonaws.com", "StartExecution", "states"),
    (2, "events.amazonaws.com", "PutEvents", "events"),
    (1, "kinesis.amazonaws.com", "PutRecord", "kinesis"),
    (1, "logs.amazonaws.com", "CreateLogStream", "logs"),
    (1, "sts.amazonaws.com", "GetCallerIdentity", "none"),
    (1, "ec2.amazonaws.com", "DescribeNetworkInterfaces", "none"),
    (1, "monitoring.amazonaws.com", "PutMetricData", "none"),
]


PROFILES = [random.Random(r).sample(range(len(OPS)), 3 + r % 5) for r in range(200)]


def _params(kind: str, rng: random.Random, role: int, region: str) -> tuple[dict | None, list | None]:
    t = f"app{role % 50}"
    if kind == "s3obj":
        b = f"bucket-{role % 40}"
        k = f"{rng.choice(['in', 'out', 'tmp', 'data/raw', 'data/curated'])}/{rng.randint(2020, 2026)}/{rng.randint(1, 12):02d}/{rng.getrandbits(48):x}.json"
        return ({"bucketName": b, "Host": f"{b}.s3.{region}.amazonaws.com", "key": k},
                [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{b}/{k}"},
                 {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}])
    if kind == "s3bucket":
        b = f"bucket-{role % 40}"
        return ({"bucketName": b, "Host": f"{b}.s3.{region}.amazonaws.com", "list-type": "2", "prefix": "in/"},
                [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}])
    if kind in ("ddb", "ddbidx"):
        p = {"tableName": t, "key": {"pk": {"S": f"user#{rng.getrandbits(32)}"}}, "consistentRead": False}
        if kind == "ddbidx":
            p = {"tableName": t, "indexName": "by-date", "keyConditionExpression": "pk = :v", "limit": 25}
        return p, [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{t}"}]
    if kind == "sqs":
        return {"queueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{t}-jobs", "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS"}, None
    if kind == "sns":
        return {"topicArn": f"arn:aws:sns:{region}:{ACCOUNT}:{t}-events", "message": "HIDDEN_DUE_TO_SECURITY_REASONS"}, None
    if kind == "kms":
        kid = f"{role % 20:08d}-1111-2222-3333-444455556666"
        return ({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:fn"}},
                [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": f"arn:aws:kms:{region}:{ACCOUNT}:key/{kid}"}])
    if kind == "secret":
        return {"secretId": f"{t}/db"}, None
    if kind == "ssm":
        return {"name": f"/{t}/config", "withDecryption": True}, None
    if kind == "lambda":
        return {"functionName": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{t}-worker"}, None
    if kind == "states":
        return {"stateMachineArn": f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{t}-flow", "input": "HIDDEN"}, None
    if kind == "events":
        return {"entries": [{"source": "app", "detailType": "order", "eventBusName": "default"}]}, None
    if kind == "kinesis":
        return {"streamName": f"{t}-clicks", "partitionKey": str(rng.getrandbits(32))}, None
    if kind == "logs":
        return {"logGroupName": f"/app/{t}", "logStreamName": str(rng.getrandbits(40))}, None
    return None, None


def _gen_file(args) -> int:
    idx, out_dir, n_records, seed = args
    from isal import igzip

    from iam_analyzer.collect.cloudtrail.synth import Caller, record

    rng = random.Random(seed + idx)
    weights = [w for w, *_ in OPS]
    region = "us-east-1" if idx % 3 else "eu-west-1"
    start = datetime(2026, 10, 1, tzinfo=timezone.utc) + timedelta(minutes=5 * idx)
    recs = []
    for i in range(n_records):
        role = rng.randrange(200)
        fn = f"fn-{role:03d}-{rng.randrange(1 + role % 3)}"
        caller = Caller(ACCOUNT, f"lambda-role-{role:03d}", fn, role_path="/service-role/", region=region,
                        access_key=f"ASIA{role:016d}")
        # a function calls the few APIs its code uses, not every service: a fixed profile per role
        profile = PROFILES[role]
        _, src, name, kind = OPS[rng.choices(profile, [weights[k] for k in profile])[0]]
        params, resources = _params(kind, rng, role, region)
        err = "AccessDenied" if rng.random() < 0.01 else None
        recs.append(record(caller, start + timedelta(milliseconds=i * 300), src, name, params, resources, err, rng=rng))
    when = start
    folder = Path(out_dir) / "AWSLogs" / ACCOUNT / "CloudTrail" / region / when.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"Records": recs}, separators=(",", ":")).encode()
    (folder / f"{ACCOUNT}_CloudTrail_{region}_{when.strftime('%Y%m%dT%H%MZ')}_{idx:06d}.json.gz").write_bytes(
        igzip.compress(payload, compresslevel=2))
    return len(payload)


def generate(corpus: Path, events: int, per_file: int = 1000) -> None:
    marker = corpus / f".complete-{events}-v2"
    if marker.exists():
        return
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    files = events // per_file
    t = time.perf_counter()
    with mp.get_context("fork").Pool(os.cpu_count()) as pool:
        sizes = pool.map(_gen_file, [(i, str(corpus), per_file, 7) for i in range(files)], chunksize=4)
    marker.write_text("ok")
    print(f"generated {files} files, {events:,} events, {sum(sizes) / events:.0f} bytes/event, "
          f"{sum(sizes) / 2**30:.2f} GiB uncompressed, in {time.perf_counter() - t:.0f} s")


# -- reference: decompress + typed decode only --------------------------------------------------


_REF_DECODER = None


def _decoded(path: str) -> list:
    """Decompress (ISA-L, one call) and decode into the typed structs of the needed fields."""
    global _REF_DECODER
    import msgspec
    from isal import isal_zlib

    from iam_analyzer.collect.cloudtrail.records import LogFile

    if _REF_DECODER is None:
        _REF_DECODER = msgspec.json.Decoder(LogFile)
    with open(path, "rb") as fh:
        return _REF_DECODER.decode(isal_zlib.decompress(fh.read(), 31)).Records


def _ref_file(path: str) -> int:
    return len(_decoded(path))


def _cpu(who) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


LAST_REFERENCE_CPU = [0.0]


def reference(files: list[str], workers: int, fn=_ref_file) -> tuple[float, int]:
    t, c = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    # the pipeline's workers run without the cyclic GC: so do these, for a like-for-like figure
    with mp.get_context("fork").Pool(workers, initializer=gc.disable) as pool:
        n = sum(pool.imap_unordered(fn, files, chunksize=8))
    LAST_REFERENCE_CPU[0] = _cpu(resource.RUSAGE_CHILDREN) - c
    return time.perf_counter() - t, n


# -- floors: the reference plus the least counting any usage tool must do ----------------------


def _floor_two_fields(path: str) -> int:
    """Reference + counting each record by (caller, event name) only: too little to say which
    resource was used, so a lower bound on any aggregation's cost."""
    recs = _decoded(path)
    Counter(map(operator.attrgetter("userIdentity.arn", "eventName"), recs))
    return len(recs)


def _floor_raw_key(path: str) -> int:
    """Reference + counting each record by the pipeline's raw key within its own file: the
    count a correct result needs, without merging across files or folding to IAM actions."""
    from iam_analyzer.collect.cloudtrail.counting import RAW_KEY

    recs = _decoded(path)
    Counter(map(RAW_KEY, recs))
    return len(recs)


def pipeline_run(corpus: Path, workers: int):
    from iam_analyzer.collect.cloudtrail.pipeline import Window, run, to_document
    from iam_analyzer.collect.cloudtrail.sources import FolderSource

    src = FolderSource(corpus)
    units = list(src.units())
    t = time.perf_counter()
    agg = run(units, Window(), workers=workers)
    wall = time.perf_counter() - t
    doc = to_document(agg, Window(), [src.describe()])
    return wall, agg, doc


def child_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _measure(corpus: Path, workers: int, q):
    wall, agg, doc = pipeline_run(corpus, workers)
    q.put((wall, agg.events, child_peak_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           json.dumps({k: v for k, v in doc.items() if k != "created_at"}, sort_keys=True),
           _cpu(resource.RUSAGE_CHILDREN) + _cpu(resource.RUSAGE_SELF)))


def in_fresh_process(target, *args):
    """Run ``target(*args, queue)`` in a forked process and return what it put on the queue,
    so peak-memory figures are that run's own."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    res = q.get()
    p.join()
    return res


def measured(corpus: Path, workers: int):
    """Run the pipeline in a fresh process so peak-memory figures are its own; the last item
    is the CPU seconds of that process and its workers."""
    return in_fresh_process(_measure, corpus, workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--corpus", default="/tmp/iam-analyzer-bench/cloudtrail")
    ap.add_argument("--rounds", type=int, default=3, help="reference and usage alternated this many times")
    ap.add_argument("--memory-check", action="store_true", help="also run on 4x the events and compare peak memory")
    ap.add_argument("--floors", action="store_true",
                    help="also time the reference plus the least counting a usage tool must do (lower bounds)")
    args = ap.parse_args()
    corpus = Path(args.corpus) / str(args.events)
    generate(corpus, args.events)
    from iam_analyzer.collect.cloudtrail.sources import FolderSource

    files = [u.location for u in FolderSource(corpus).units()]

    print(f"{len(files)} files, {args.workers} workers, {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    ratios, cpu_ratios, child_mib, parent_mib, doc_n = [], [], 0.0, 0.0, None
    for r in range(args.rounds):
        ref_wall, n = reference(files, args.workers)
        ref_cpu = LAST_REFERENCE_CPU[0]
        wall, events, child_mib, parent_mib, doc_n, cpu = measured(corpus, args.workers)
        ratios.append(ref_wall / wall)
        cpu_ratios.append(ref_cpu / cpu)
        print(f"round {r + 1}: reference {n / ref_wall:,.0f} events/s ({ref_wall:.2f} s, {ref_cpu:.2f} s CPU); "
              f"usage {events / wall:,.0f} events/s ({wall:.2f} s, {cpu:.2f} s CPU); "
              f"ratio {ref_wall / wall:.2f} (CPU {ref_cpu / cpu:.2f})")
    ratios.sort()
    med = statistics.median(ratios)
    print(f"events: {n:,}; ratio to the decode-only limit: median {med:.2f} (min {ratios[0]:.2f}, "
          f"max {ratios[-1]:.2f})   target >= 0.60: {'met' if med >= 0.6 else 'NOT met'}")
    print(f"the same in CPU seconds (less sensitive to other jobs on the machine): median "
          f"{statistics.median(cpu_ratios):.2f}")
    print(f"peak memory: {child_mib:.0f} MiB per worker, {parent_mib:.0f} MiB parent")
    if args.floors:
        ref_best = min(reference(files, args.workers)[0] for _ in range(2))
        for label, fn in (("reference + count by (caller, event name) per file", _floor_two_fields),
                          ("reference + count by the raw key per file", _floor_raw_key)):
            w = min(reference(files, args.workers, fn)[0] for _ in range(2))
            print(f"floor: {label}: {n / w:,.0f} events/s = {ref_best / w * 100:.0f}% of the reference")
    doc_1 = measured(corpus, 1)[4]
    print(f"identical output for 1 and {args.workers} workers: {doc_1 == doc_n}")
    if args.memory_check:
        big = Path(args.corpus) / f"{args.events}x4"
        if not (big / ".complete").exists():
            shutil.rmtree(big, ignore_errors=True)
            for k in range(4):
                for f in files:
                    rel = Path(f).relative_to(corpus)
                    parts = list(rel.parts)
                    parts[-4] = str(2020 + k)  # same files under another year
                    dst = big.joinpath(*parts)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.link(f, dst) if not dst.exists() else None
            (big / ".complete").write_text("ok")
        wall4, events4, child4, parent4, _, _ = measured(big, args.workers)
        print(f"4x events: {events4:,} at {events4 / wall4:,.0f} events/s; peak {child4:.0f} MiB per worker, "
              f"{parent4:.0f} MiB parent  ->  {max(child4, parent4) / max(child_mib, parent_mib) * 100 - 100:+.0f}% "
              f"(target within 10%)")


if __name__ == "__main__":
    sys.exit(main())
