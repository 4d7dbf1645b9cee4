# expect: s3:GetObject
# expect: s3:PutObject
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    s3.copy_object(CopySource={"Bucket": "incoming", "Key": event["key"]}, Bucket="archive", Key="a/" + event["key"])
