# expect: kinesis:PutRecord
import json
import boto3

kinesis = boto3.client("kinesis")


def handler(event, context):
    kinesis.put_record(StreamName="clicks", Data=json.dumps(event), PartitionKey=event["user"])
