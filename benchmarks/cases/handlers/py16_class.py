# expect: dynamodb:UpdateItem
# expect: sqs:SendMessage
import os
import boto3


class Service:
    def __init__(self):
        self.table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
        self.sqs = boto3.client("sqs")

    def run(self, order_id):
        self.table.update_item(Key={"id": order_id}, UpdateExpression="SET s = :s")
        self.sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=order_id)


def handler(event, context):
    Service().run(event["id"])
