# expect: sqs:ReceiveMessage
# expect: sqs:DeleteMessage
import boto3


class Worker:
    sqs = boto3.client("sqs")
    url = "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"

    def poll(self):
        for m in self.sqs.receive_message(QueueUrl=self.url).get("Messages", []):
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])


def handler(event, context):
    Worker().poll()
