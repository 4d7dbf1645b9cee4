"""The demo's nightly-report: an EventBridge cron job; scans orders, writes a CSV."""
import csv
import io
import os
from datetime import date

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    rows = []
    for page in dynamodb.get_paginator("scan").paginate(TableName="orders"):
        rows.extend(page["Items"])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    boto3.client("s3").put_object(Bucket=os.environ["REPORT_BUCKET"], Key=f"daily/{date.today()}.csv",
                                  Body=out.getvalue())
