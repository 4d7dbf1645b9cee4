# expect: dynamodb:BatchWriteItem
import boto3

table = boto3.resource("dynamodb").Table("events")


def handler(event, context):
    with table.batch_writer() as batch:
        for r in event["Records"]:
            batch.put_item(Item=r)
