"""The demo's thumbnail-worker: SQS jobs -> read the upload, write the thumbnail."""
import json
import os

import boto3

s3 = boto3.resource("s3")
BUCKET = os.environ.get("UPLOADS_BUCKET", "demo-uploads")


def handler(event, context):
    bucket = s3.Bucket(BUCKET)
    for record in event["Records"]:
        job = json.loads(record["body"])
        src = bucket.Object(f"incoming/{job['key']}")
        body = src.get()["Body"].read()
        bucket.put_object(Key=f"thumbnails/{job['key']}", Body=body)
