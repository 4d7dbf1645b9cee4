"""Code analysis throughput: 2,000 handler files (Python and JavaScript/TypeScript) analysed.

    python benchmarks/code_scan.py [--files 2000]

Writes a synthetic package to a temporary folder: half Python (boto3 clients, resources,
tables, paginators, helpers handed a client), half JavaScript and TypeScript (SDK v3
commands, lib-dynamodb, lib-storage, SDK v2 with promise() and DocumentClient), each file
60-120 lines with several SDK calls among ordinary code. Reads them with ``read_code`` as
new-role does (files from disk, parsing, call resolution; the first call also loads the SDK
models, which is counted), then prints files/s and calls found against the target of
issue 14: 2,000 files in under 20 s on this machine.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from iam_analyzer.collect.code import read_code

TARGET_FILES, TARGET_SECONDS = 2000, 20.0

PY = '''import json
import os

import boto3
from .util_{n} import archive

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_{n}"])
s3 = boto3.client("s3")
sqs = boto3.client("sqs")


class Repo:
    def __init__(self):
        self.table = TABLE
        self.events = boto3.client("events")

    def save(self, item):
        self.table.put_item(Item=item)
        self.events.put_events(Entries=[{{"EventBusName": "bus-{n}", "Detail": "{{}}"}}])


def handler(event, context):
    repo = Repo()
    for record in event.get("Records", []):
        body = json.loads(record["body"])
        repo.save(body)
        key = f"incoming/{{body['id']}}.json"
        s3.put_object(Bucket="bucket-{n}", Key=key, Body=json.dumps(body))
        archive(s3, body["id"])
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bucket-{n}", Prefix="incoming/"):
        for obj in page.get("Contents", []):
            s3.download_file("bucket-{n}", obj["Key"], "/tmp/x")
    sqs.send_message(QueueUrl=os.environ["QUEUE_{n}"], MessageBody="done")
    return {{"statusCode": 200, "body": json.dumps({{"ok": True}})}}
'''
PY_UTIL = '''def archive(client, ident):
    client.copy_object(CopySource={{"Bucket": "bucket-{n}", "Key": f"incoming/{{ident}}.json"}},
                       Bucket="archive-{n}", Key=f"archive/{{ident}}.json")
'''
JS = '''import {{ DynamoDBClient }} from "@aws-sdk/client-dynamodb";
import {{ DynamoDBDocumentClient, PutCommand, QueryCommand }} from "@aws-sdk/lib-dynamodb";
import {{ S3Client, GetObjectCommand }} from "@aws-sdk/client-s3";
import {{ Upload }} from "@aws-sdk/lib-storage";
import {{ SNSClient, PublishCommand }} from "@aws-sdk/client-sns";

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({{}}));
const s3 = new S3Client({{}});
const sns = new SNSClient({{}});
const {{ TABLE_{n}, TOPIC_{n} }} = process.env;

function shape(item) {{
  const out = {{ ...item, updated: Date.now() }};
  if (out.tags && out.tags.length > 3) {{ out.tags = out.tags.slice(0, 3); }}
  return out;
}}

export const handler = async (event) => {{
  for (const record of event.Records ?? []) {{
    const item = shape(JSON.parse(record.body));
    await ddb.send(new PutCommand({{ TableName: TABLE_{n}, Item: item }}));
    const obj = await s3.send(new GetObjectCommand({{ Bucket: "bucket-{n}", Key: `in/${{item.id}}.json` }}));
    const up = new Upload({{ client: s3, params: {{ Bucket: "bucket-{n}", Key: `out/${{item.id}}.json`, Body: obj.Body }} }});
    await up.done();
  }}
  const res = await ddb.send(new QueryCommand({{ TableName: TABLE_{n}, IndexName: "by-date", KeyConditionExpression: "d = :d" }}));
  await sns.send(new PublishCommand({{ TopicArn: TOPIC_{n}, Message: JSON.stringify(res.Items) }}));
  return {{ statusCode: 200 }};
}};
'''
JS_V2 = '''const AWS = require("aws-sdk");
const docs = new AWS.DynamoDB.DocumentClient();
const s3 = new AWS.S3();

exports.handler = async (event) => {{
  const got = await docs.get({{ TableName: process.env.TABLE_{n}, Key: {{ id: event.id }} }}).promise();
  await s3.upload({{ Bucket: process.env.BUCKET_{n}, Key: "reports/" + event.id + ".csv", Body: "" }}).promise();
  const lines = [];
  for (let i = 0; i < 10; i++) {{ lines.push(`${{i}},${{got.Item && got.Item.id}}`); }}
  await s3.putObject({{ Bucket: "bucket-{n}", Key: `csv/${{event.id}}.csv`, Body: lines.join("\\n") }}).promise();
  return lines.length;
}};
'''
FILLER_PY = "\n\ndef util_{i}(values):\n    total = 0\n    for v in values:\n        if v % 2:\n            total += v * {i}\n    return total\n"
FILLER_JS = "\nfunction util{i}(values) {{\n  let total = 0;\n  for (const v of values) {{ if (v % 2) {{ total += v * {i}; }} }}\n  return total;\n}}\n"


def write_package(root: Path, files: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    for n in range(files):
        pkg = root / f"svc{n // 50}"
        pkg.mkdir(exist_ok=True)
        kind = n % 4
        filler = rng.randrange(3, 8)
        if kind in (0, 1):
            name, text = (f"handler_{n}.py", PY.format(n=n)) if kind == 0 else (f"util_{n - 1}.py", PY_UTIL.format(n=n - 1))
            text += "".join(FILLER_PY.format(i=i) for i in range(filler))
            (pkg / "__init__.py").write_text("")
        elif kind == 2:
            name, text = f"handler_{n}.ts", JS.format(n=n) + "".join(FILLER_JS.format(i=i) for i in range(filler))
        else:
            name, text = f"handler_{n}.js", JS_V2.format(n=n) + "".join(FILLER_JS.format(i=i) for i in range(filler))
        (pkg / name).write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=TARGET_FILES)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_package(root, args.files)
        start = time.perf_counter()
        scan = read_code([root])
        elapsed = time.perf_counter() - start
    rate = scan.files / elapsed if elapsed else 0.0
    target_rate = TARGET_FILES / TARGET_SECONDS
    print(f"files: {scan.files}  calls found: {len(scan.calls)}  problems: {len(scan.problems)}")
    print(f"time: {elapsed:.2f} s  ->  {rate:.0f} files/s  (target: {TARGET_FILES} files in {TARGET_SECONDS:.0f} s = "
          f"{target_rate:.0f} files/s)  {'MET' if rate >= target_rate else 'NOT MET'}")


if __name__ == "__main__":
    main()
