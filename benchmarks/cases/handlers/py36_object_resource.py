# expect: s3:GetObject
# expect: s3:PutObject
import boto3

s3 = boto3.resource("s3")


def handler(event, context):
    body = s3.Object("inbox", "in/" + event["key"]).get()["Body"].read()
    s3.Bucket("outbox").put_object(Key="out/" + event["key"], Body=body)
