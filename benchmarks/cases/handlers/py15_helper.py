# expect: s3:PutObject
import json
import boto3


def save(client, key, body):
    client.put_object(Bucket="results", Key=f"out/{key}.json", Body=body)


def handler(event, context):
    save(boto3.client("s3"), event["id"], json.dumps(event))
