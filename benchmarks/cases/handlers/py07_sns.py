# expect: sns:Publish
import boto3

sns = boto3.client("sns")


def handler(event, context):
    sns.publish(TopicArn="arn:aws:sns:eu-west-1:111122223333:alerts", Message="hello")
