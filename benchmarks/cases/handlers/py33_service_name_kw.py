# expect: sns:Publish
import boto3

session = boto3.session.Session()
client = session.client(service_name="sns", region_name="eu-west-1")


def handler(event, context):
    client.publish(TopicArn="arn:aws:sns:eu-west-1:111122223333:t", Message="m")
