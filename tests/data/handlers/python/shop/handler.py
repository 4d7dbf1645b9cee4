import boto3

from .helpers import archive

s3 = boto3.client("s3")


def handler(event, context):
    archive(s3, event["key"])
