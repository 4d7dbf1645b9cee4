# expect: s3:GetObject
from aws_lambda_powertools.utilities.streaming.s3_object import S3Object


def handler(event, context):
    s3 = S3Object(bucket="big-files", key=event["key"])
    return sum(1 for _ in s3)
