"""The demo's order-stream: DynamoDB stream records -> SNS."""
import json
import os

import boto3

sns = boto3.client("sns")


def handler(event, context):
    for record in event["Records"]:
        sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(record["dynamodb"]))
