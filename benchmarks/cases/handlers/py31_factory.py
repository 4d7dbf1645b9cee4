# expect: s3:PutObject
import boto3


def get_client():
    return boto3.client("s3")


def handler(event, context):
    get_client().put_object(Bucket="out", Key="a.txt", Body=b"x")
