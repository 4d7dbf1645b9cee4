# expect: s3:ListBucket
# expect: s3:DeleteObject
import boto3

bucket = boto3.resource("s3").Bucket("scratch")


def handler(event, context):
    for obj in bucket.objects.filter(Prefix="tmp/"):
        obj.delete()
