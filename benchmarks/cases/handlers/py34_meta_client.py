# expect: s3:PutObject
# expect: s3:AbortMultipartUpload
import boto3

s3 = boto3.resource("s3")


def handler(event, context):
    s3.meta.client.upload_file("/tmp/a", "uploads", "in/a")
