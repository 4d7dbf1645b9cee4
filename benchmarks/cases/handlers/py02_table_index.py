# expect: dynamodb:GetItem
# expect: dynamodb:Query
import boto3

table = boto3.resource("dynamodb").Table("orders")


def handler(event, context):
    item = table.get_item(Key={"id": event["id"]}).get("Item")
    rows = table.query(IndexName="by-customer", KeyConditionExpression="c = :c")
    return item, rows
