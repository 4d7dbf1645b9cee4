# expect: dynamodb:PutItem
import os
import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    dynamodb.put_item(TableName=os.environ["TABLE_NAME"], Item={"id": {"S": event["id"]}})
