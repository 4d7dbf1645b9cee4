# expect: sqs:SendMessage
import json
import os
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    entries = [{"Id": str(i), "MessageBody": json.dumps(r)} for i, r in enumerate(event["Records"])]
    sqs.send_message_batch(QueueUrl=os.environ["QUEUE_URL"], Entries=entries)
