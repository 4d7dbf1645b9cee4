import json
import os

import boto3

from .store import load_order

sns = boto3.client("sns")


def order_placed(order):
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(order))


def reminder(order_id):
    order = load_order(order_id)
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(order))
