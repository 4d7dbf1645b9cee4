# expect: sts:AssumeRole
import boto3


def handler(event, context):
    creds = boto3.client("sts").assume_role(RoleArn="arn:aws:iam::444455556666:role/reader", RoleSessionName="x")
    return creds["Credentials"]["AccessKeyId"]
