"""The demo's orders-api: an API Gateway handler on the orders table."""
import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
ssm = boto3.client("ssm")


def handler(event, context):
    config = ssm.get_parameter(Name=os.environ["CONFIG_PARAM"])
    if event.get("httpMethod") == "POST":
        TABLE.put_item(Item=json.loads(event["body"]))
        return {"statusCode": 201}
    order = TABLE.get_item(Key={"id": event["pathParameters"]["id"]})
    by_customer = TABLE.query(IndexName="by-customer", KeyConditionExpression="c = :c")
    return {"statusCode": 200, "body": json.dumps([order, by_customer, config], default=str)}
