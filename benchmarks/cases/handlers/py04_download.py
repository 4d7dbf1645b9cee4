# expect: s3:GetObject
import boto3


def handler(event, context):
    boto3.client("s3").download_file("inbox", f"in/{event['name']}", "/tmp/x")
